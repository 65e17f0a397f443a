"""The real ``invoke`` CLI: each bad input of the issue (one ``error:`` line, no traceback), and the done-when runs."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from common.settings import PROJECT_ROOT
from tests.support.cli import assert_one_error_line, run_invoke
from tests.support.homebrew import (
    CHECKSUMS,
    OLDER,
    ServedRelease,
    commit_count,
    file_server,
    free_port,
    make_tap,
    refs,
)

FULL = CHECKSUMS.read_text()


def formula(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_invoke("release.formula", *args, env=env)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "checksums.txt"
    path.write_text(text)
    return str(path)


def test_version_not_a_tag() -> None:
    assert_one_error_line(formula("--version", "0.5.16", "--checksums", str(CHECKSUMS)), "vMAJOR.MINOR.PATCH[-pre]")


def test_version_missing() -> None:
    assert_one_error_line(run_invoke("release.tap", "--checksums", str(CHECKSUMS)), "--version is required")


def test_a_published_copy_of_checksums_txt_is_accepted(tmp_path: Path) -> None:
    out = tmp_path / "litestream.rb"
    result = formula("--version", "v0.5.16", "--checksums", str(CHECKSUMS), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "PREVIEW" not in out.read_text()


def test_checksums_path_missing(tmp_path: Path) -> None:
    result = formula("--version", "v0.5.16", "--checksums", str(tmp_path / "nope.txt"))
    assert_one_error_line(result, "does not exist")


def test_checksums_url_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}/checksums.txt"
    assert_one_error_line(formula("--version", "v0.5.16", "--checksums", url), "unreachable", url)


def test_release_checksums_not_published(tmp_path: Path) -> None:
    with file_server(tmp_path) as base:
        result = formula("--version", "v9.9.9", env={"INVOKE_RELEASE_URL_BASE": base})
    assert_one_error_line(result, "HTTP 404", f"{base}/v9.9.9/checksums.txt")


def test_release_checksums_served_over_http_render(tmp_path: Path) -> None:
    (tmp_path / "v9.9.9").mkdir()
    (tmp_path / "v9.9.9" / "checksums.txt").write_text(FULL.replace("0.5.16", "9.9.9"))
    out = tmp_path / "litestream.rb"
    with file_server(tmp_path) as base:
        result = formula("--version", "v9.9.9", "--output", str(out), env={"INVOKE_RELEASE_URL_BASE": base})
    assert result.returncode == 0, result.stderr
    assert f'url "{base}/v9.9.9/litestream-9.9.9-darwin-arm64.tar.gz"' in out.read_text()


def test_malformed_line(tmp_path: Path) -> None:
    path = write(tmp_path, FULL + "oops\n")
    assert_one_error_line(formula("--version", "v0.5.16", "--checksums", path), "line 25", "'oops'")


def test_platform_missing_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join(x for x in FULL.splitlines() if "linux-armv6.tar.gz" not in x or "sbom" in x))
    assert_one_error_line(formula("--version", "v0.5.16", "--checksums", path), "no linux armv6 archive")


def test_archives_of_another_version(tmp_path: Path) -> None:
    path = write(tmp_path, FULL.replace("0.5.16", "0.5.15"))
    assert_one_error_line(formula("--version", "v0.5.16", "--checksums", path), "version 0.5.15", "v0.5.16")


def tap(release: ServedRelease, *args: str) -> subprocess.CompletedProcess[str]:
    """``invoke release.tap`` for the release served on 127.0.0.1, its checksums.txt taken as published."""
    return run_invoke("release.tap", "--version", "v0.5.16", *args, env={"INVOKE_RELEASE_URL_BASE": release.url_base})


def test_tap_remote_unreachable(published: ServedRelease, tmp_path: Path) -> None:
    result = tap(published, "--tap-repo", str(tmp_path / "gone.git"))
    assert_one_error_line(result, "cannot clone the tap", "does not exist")


def test_tap_remote_not_a_git_repository(published: ServedRelease, tmp_path: Path) -> None:
    assert_one_error_line(tap(published, "--tap-repo", str(tmp_path)), "not a git repository")


def test_push_rejected_twice(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    before = refs(bare)
    assert_one_error_line(tap(published, "--tap-repo", str(bare)), "rejected twice", "nothing was forced")
    assert refs(bare) == before


def test_formula_dir_refused_while_root_formula_exists(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    result = tap(published, "--tap-repo", str(bare), "--path", "Formula/litestream.rb")
    assert_one_error_line(result, "already has litestream.rb")
    assert commit_count(bare) == 1


def test_done_when_one_commit_then_none_through_the_cli(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    committed = (PROJECT_ROOT / "Formula" / "litestream.rb").read_bytes()
    before = refs(bare)
    preview = tap(published, "--tap-repo", str(bare), "--dry-run")
    assert preview.returncode == 0 and "+++ b/litestream.rb" in preview.stdout
    assert refs(bare) == before and (PROJECT_ROOT / "Formula" / "litestream.rb").read_bytes() == committed
    first = tap(published, "--tap-repo", str(bare))
    assert first.returncode == 0, first.stderr
    assert "pushed" in first.stdout and commit_count(bare) == 2
    dry = tap(published, "--tap-repo", str(bare), "--dry-run")
    assert "already up to date" in dry.stdout
    second = tap(published, "--tap-repo", str(bare))
    assert second.returncode == 0 and "already up to date" in second.stdout
    assert commit_count(bare) == 2


def test_tap_refuses_to_publish_a_preview(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    result = tap(published, "--tap-repo", str(bare), "--preview", "--checksums", str(CHECKSUMS))
    assert_one_error_line(result, "release.tap never publishes a preview", "--dry-run")
    assert commit_count(bare) == 1


def test_tap_stops_at_an_archive_whose_download_does_not_match(own_release: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    (own_release.directory / "litestream-0.5.16-linux-arm64.tar.gz").write_bytes(b"swapped on the server\n")
    result = tap(own_release, "--tap-repo", str(bare))
    assert_one_error_line(result, "litestream-0.5.16-linux-arm64.tar.gz at", "has sha256", "nothing was pushed")
    assert commit_count(bare) == 1


def test_tap_stops_when_an_archive_is_missing(own_release: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    (own_release.directory / "litestream-0.5.16-darwin-x86_64.tar.gz").unlink()
    result = tap(own_release, "--tap-repo", str(bare))
    assert_one_error_line(result, "litestream-0.5.16-darwin-x86_64.tar.gz", "HTTP 404", "nothing was pushed")
    assert commit_count(bare) == 1


def test_no_tap_repository_configured() -> None:
    result = run_invoke("release.tap-setup", env={"INVOKE_TAP_REPO": ""})
    assert_one_error_line(result, "no tap repository given", "--tap-repo")


def test_tap_setup_through_the_cli_is_idempotent(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    first = run_invoke("release.tap-setup", "--tap-repo", str(bare))
    assert first.returncode == 0 and "pushed" in first.stdout, first.stderr
    second = run_invoke("release.tap-setup", "--tap-repo", str(bare))
    assert second.returncode == 0 and "already up to date" in second.stdout
    assert commit_count(bare) == 2
