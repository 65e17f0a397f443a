"""release.tap against real git: a local bare repository is the tap remote; the formula's archives are served
from 127.0.0.1 and checked before every push."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from common.errors import UserError
from release.homebrew.jobs import tap_job
from release.homebrew.tap import SyncResult, TapTarget
from tests.support.homebrew import OLDER, ServedRelease, commit_count, free_port, git, make_tap, refs, show


def target(url: Path | str, branch: str = "main") -> TapTarget:
    return TapTarget(str(url), branch, "Release Bot", "bot@example.invalid")


def publish(
    release: ServedRelease, url: Path | str, path: str = "litestream.rb", *, dry_run: bool = False, **kw: object
) -> tuple[SyncResult, list[str]]:
    said: list[str] = []
    inputs = release.inputs()
    result = tap_job(inputs, target(url, **kw), path, dry_run=dry_run, say=said.append)  # type: ignore[arg-type]
    return result, said


def hook(bare: Path, script: str) -> None:
    path = bare / "hooks" / "pre-receive"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_one_commit_then_already_up_to_date(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    first, _ = publish(published, bare)
    assert first.status == "pushed" and commit_count(bare) == 2
    assert show(bare, "litestream.rb") == published.formula()
    assert (
        git("log", "-1", "--format=%an <%ae>|%cn|%s", cwd=bare)
        == "Release Bot <bot@example.invalid>|Release Bot|litestream v0.5.16"
    )
    before = refs(bare)
    second, said = publish(published, bare)
    assert second.status == "up to date" and commit_count(bare) == 2 and refs(bare) == before
    assert any("already up to date" in line for line in said)


def test_dry_run_prints_the_diff_and_changes_nothing(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    before = refs(bare)
    result, said = publish(published, bare, dry_run=True)
    text = "\n".join(said)
    assert result.status == "dry run" and refs(bare) == before
    assert "--- a/litestream.rb\n+++ b/litestream.rb" in text
    assert '-  version "0.5.15"' in text and "+  service do" in text
    assert "nothing was pushed" in text


def test_empty_tap_gets_the_branch_and_formula(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path)
    publish(published, bare)
    assert show(bare, "litestream.rb") == published.formula()


def test_refuses_formula_dir_while_root_formula_exists(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"already has litestream\.rb; writing Formula/litestream\.rb"):
        publish(published, bare, "Formula/litestream.rb")
    assert commit_count(bare) == 1


def test_refuses_root_formula_while_formula_dir_copy_exists(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"Formula/litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"already has Formula/litestream\.rb; writing litestream\.rb"):
        publish(published, bare, "litestream.rb")
    assert commit_count(bare) == 1


def test_refuses_root_formula_while_an_empty_formula_dir_hides_it(published: ServedRelease, tmp_path: Path) -> None:
    # what scripts/setup-homebrew-tap.sh leaves behind: Formula/.gitkeep
    bare = make_tap(tmp_path, {"Formula/.gitkeep": "", "litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"Formula/ exists in the tap, so Homebrew reads formulae from there"):
        publish(published, bare)


def test_formula_dir_path_works_when_the_tap_uses_it(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"Formula/litestream.rb": OLDER.read_text()})
    publish(published, bare, "Formula/litestream.rb")
    assert show(bare, "Formula/litestream.rb") == published.formula()


@pytest.mark.parametrize(
    "path", ["other.rb", "Casks/litestream.rb", "../litestream.rb", "HomebrewFormula/x/litestream.rb"]
)
def test_paths_homebrew_never_reads_are_refused(published: ServedRelease, tmp_path: Path, path: str) -> None:
    with pytest.raises(UserError, match="--path"):
        publish(published, tmp_path / "unused.git", path)


def test_push_rejected_once_fetches_rebases_and_pushes(published: ServedRelease, tmp_path: Path) -> None:
    # A concurrent writer (GoReleaser's brews:) lands the published formula first; our change is replayed on top.
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    other = tmp_path / "other"
    git("clone", "-q", str(bare), str(other))
    (other / "litestream.rb").write_text(OLDER.read_text().replace("0.5.15", "0.5.16"))
    git("commit", "-qam", "Brew formula update for litestream version v0.5.16", cwd=other)
    git("push", "-q", "origin", "HEAD:refs/concurrent/main", cwd=other)
    concurrent = git("rev-parse", "HEAD", cwd=other)
    hook(
        bare,
        "if [ ! -f concurrent-done ]; then\n  touch concurrent-done\n"
        "  env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main refs/concurrent/main\n"
        '  echo "someone else pushed first" >&2\n  exit 1\nfi\n',
    )
    result, said = publish(published, bare)
    assert result.status == "pushed" and result.rebased
    assert any("rejected" in line and "rebasing once" in line for line in said)
    assert git("rev-parse", "main~1", cwd=bare) == concurrent
    assert show(bare, "litestream.rb") == published.formula()


def test_push_rejected_twice_is_a_clear_failure(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    hook(bare, 'echo "tap is frozen" >&2\nexit 1\n')
    before = refs(bare)
    with pytest.raises(UserError, match=r"rejected twice \(pre-receive hook declined\).*nothing was forced"):
        publish(published, bare)
    assert refs(bare) == before


def test_missing_remote_path(published: ServedRelease, tmp_path: Path) -> None:
    with pytest.raises(
        UserError, match=r"cannot clone the tap .*nope\.git: repository .* does not exist; check --tap-repo"
    ):
        publish(published, tmp_path / "nope.git")


def test_remote_that_is_not_a_git_repository(published: ServedRelease, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UserError, match=r"the tap .*plain is a directory but not a git repository"):
        publish(published, plain)


def test_unreachable_http_remote(published: ServedRelease, tmp_path: Path) -> None:
    with pytest.raises(
        UserError,
        match=r"cannot clone the tap http://127\.0\.0\.1:\d+/tap\.git: .*(Failed to connect|Could not connect)",
    ):
        publish(published, f"http://127.0.0.1:{free_port()}/tap.git")


def test_branch_missing_on_the_tap(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"has no branch release \(it has main\); pass --branch"):
        publish(published, bare, branch="release")


def test_every_archive_is_downloaded_and_checked_before_the_push(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    result, said = publish(published, bare)
    assert result.status == "pushed"
    checked = [line for line in said if "matches the download" in line]
    assert len(checked) == 5 and any("litestream-0.5.16-linux-armv6.tar.gz" in line for line in checked)


def test_an_archive_that_does_not_match_stops_the_push(own_release: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    (own_release.directory / "litestream-0.5.16-darwin-arm64.tar.gz").write_bytes(b"replaced after the release\n")
    with pytest.raises(UserError, match=r"^litestream-0\.5\.16-darwin-arm64\.tar\.gz at http://127\.0\.0\.1:\d+/"):
        publish(own_release, bare)
    assert commit_count(bare) == 1


def test_a_preview_is_never_published(published: ServedRelease, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    inputs = published.inputs(preview=True, checksums=str(published.directory / "checksums.txt"))
    with pytest.raises(UserError, match=r"release\.tap never publishes a preview"):
        tap_job(inputs, target(bare), "litestream.rb", dry_run=False, say=lambda line: None)
    assert commit_count(bare) == 1
    said: list[str] = []
    result = tap_job(inputs, target(bare), "litestream.rb", dry_run=True, say=said.append)
    assert result.status == "dry run" and "+# PREVIEW:" in "\n".join(said)
