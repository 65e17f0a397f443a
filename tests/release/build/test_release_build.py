"""``invoke release.build``: the real, pinned GoReleaser on the tiny fixture module, and the checks around it.

The fixture's .goreleaser.yml is Litestream v0.5.16's plus the reproducibility fixes; one release-mode build is
shared by the assertions about what ships, the checks are shown to fail on doctored output, and the bad inputs
each end in one error line.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from common.errors import UserError
from common.versions import parse_version
from release.build import dist_checks
from release.build.goreleaser_config import find_config, load_config
from release.build.goreleaser_dist import read_dist
from release.build.goreleaser_run import failure_summary, goreleaser_env, healthcheck
from release.build.release_build import ReleaseBuild, run_release_build
from tests.support.cli import assert_one_error_line
from tests.support.golit import (
    EXTRAS,
    RELEASE_ARCHIVES,
    TAG,
    break_go_file,
    clean_env,
    commit_config,
    git,
    make_checkout,
    run_invoke,
    stock_config,
    tools_dir,
)

PACKAGES = sorted(
    f"litestream-0.5.16-linux-{arch}.{fmt}" for arch in ("x86_64", "arm64", "armv6", "armv7") for fmt in ("deb", "rpm")
)
SNAPSHOT_ARCHIVES = [name.replace("-0.5.16-", "-v0.5.16-next-") for name in RELEASE_ARCHIVES]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkout(tmp_path_factory.mktemp("golit") / "src")


@pytest.fixture(scope="module")
def release(checkout: Path, tmp_path_factory: pytest.TempPathFactory, goreleaser: Path) -> ReleaseBuild:
    """One release-mode build of the fixture at its tag."""
    return run_release_build(checkout, tmp_path_factory.mktemp("out") / "dist", parse_version(TAG))


def files_in(dist: Path, *suffixes: str) -> list[str]:
    return sorted(p.name for p in dist.iterdir() if p.is_file() and p.name.endswith(suffixes))


def test_archives_and_packages_are_named_as_the_release_publishes_them(release: ReleaseBuild) -> None:
    assert files_in(release.dist, ".tar.gz", ".zip") == RELEASE_ARCHIVES
    assert files_in(release.dist, ".deb", ".rpm") == PACKAGES
    assert set(release.checks) == {"artifacts", "archive_members", "build_settings", "host_version", "checksums"}


def test_archives_hold_the_binary_and_the_config_files(release: ReleaseBuild) -> None:
    with tarfile.open(release.dist / "litestream-0.5.16-linux-armv6.tar.gz") as tar:
        assert sorted(tar.getnames()) == sorted([*EXTRAS, "litestream"])
        assert {m.mtime for m in tar.getmembers()} == {1785931200}  # the commit date, from builds_info/info


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="needs sha256sum (GNU coreutils)")
def test_checksums_txt_verifies_with_sha256sum(release: ReleaseBuild) -> None:
    proc = subprocess.run(["sha256sum", "-c", "checksums.txt"], cwd=release.dist, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": OK") == 16


def test_host_binary_prints_the_bare_release_version(release: ReleaseBuild) -> None:
    host = dist_checks.host_binary(release.contents)
    assert host is not None
    out = subprocess.run([str(host.path), "version"], capture_output=True, text=True, check=True).stdout
    assert out == "0.5.16\n"
    assert release.checks["host_version"].endswith("prints 0.5.16")


def test_evidence_records_what_was_built_and_judged(release: ReleaseBuild) -> None:
    data = json.loads((release.dist / "release-build.json").read_text())
    assert (data["mode"], data["tag"], data["version"]) == ("release", TAG, "0.5.16")
    assert data["goreleaser"] == "v2.17.0"
    assert sorted(a["name"] for a in data["archives"]) == RELEASE_ARCHIVES
    assert len(data["binaries"]) == 8 and len(data["packages"]) == 8
    assert data["command"][:3] == ["goreleaser", "release", "--clean"]
    assert "--snapshot" not in data["command"]
    assert "publish" in data["command"][3] and "announce" in data["command"][3]


def test_the_checkout_is_never_written(release: ReleaseBuild, checkout: Path) -> None:
    assert git(checkout, "status", "--porcelain", "--ignored") == ""
    assert not (checkout / "dist").exists()
    assert not list(release.dist.parent.glob(".release-build-*")), "the scratch clone is removed"


def test_snapshot_through_the_cli_names_and_version(goreleaser: Path, tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    (src / "README.md").write_text("a local change the snapshot carries\n")
    dist = tmp_path / "dist"
    proc = run_invoke("release.build", "--src", str(src), "--snapshot", "--dist", str(dist))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert files_in(dist, ".tar.gz", ".zip") == SNAPSHOT_ARCHIVES
    assert "binary prints v0.5.16-next" in proc.stdout
    assert "snapshot, building anyway" in proc.stdout
    with tarfile.open(dist / "litestream-v0.5.16-next-linux-x86_64.tar.gz") as tar:
        readme = tar.extractfile("README.md")
        assert readme is not None and readme.read() == b"a local change the snapshot carries\n"
    assert git(src, "status", "--porcelain") == "M README.md"  # the checkout as it was


def test_snapshot_named_after_a_given_version(goreleaser: Path, tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    job = run_release_build(src, tmp_path / "dist", parse_version("v0.6.0"), snapshot=True)
    assert job.contents.metadata.version == "v0.6.0-next"
    assert "litestream-v0.6.0-next-linux-x86_64.tar.gz" in files_in(job.dist, ".tar.gz")


def test_sboms_are_skipped_only_without_syft_and_it_says_so(goreleaser: Path, tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    bindir = tools_dir(tmp_path, "go", "git")
    proc = run_invoke(
        "release.build",
        "--src",
        str(src),
        "--version",
        TAG,
        "--dist",
        str(tmp_path / "d"),
        env=clean_env(PATH=str(bindir)),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipping sbom: syft is not on PATH" in proc.stdout
    data = json.loads((tmp_path / "d" / "release-build.json").read_text())
    assert data["skipped"] == {"sbom": "syft is not on PATH"}


def test_healthcheck_reads_missing_tools_when_the_environment_forces_colour(
    goreleaser: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI runners set CLICOLOR_FORCE; GoReleaser then colours a pipe too, and a missing syft must still be read."""
    src = make_checkout(tmp_path / "src")
    monkeypatch.setenv("CLICOLOR_FORCE", "1")
    monkeypatch.setenv("PATH", str(tools_dir(tmp_path, "go", "git")))
    assert healthcheck(goreleaser, src) == {"syft": "sbom"}
    assert "NO_COLOR" in goreleaser_env() and "CLICOLOR_FORCE" not in goreleaser_env()


def test_goreleaser_failure_summary_ignores_colour_codes() -> None:
    coloured = "\x1b[1;91m  \u2a2f\x1b[m command failed   \x1b[1;91merror\x1b[m=one or more checks failed\n"
    assert failure_summary(coloured) == "command failed error=one or more checks failed"


def test_check_reproducible_finds_the_fixed_config_reproducible(goreleaser: Path, tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    proc = run_invoke(
        "release.build", "--src", str(src), "--snapshot", "--check-reproducible", "--dist", str(tmp_path / "d")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "d" / "reproducibility.json").read_text())
    assert report["reproducible"] is True
    assert len(report["files"]) == 25 and all(f["same"] for f in report["files"])  # 8+8+8 and checksums.txt
    assert (tmp_path / "d" / "reproducibility.md").read_text().count("| yes |") == 25


def test_check_reproducible_explains_litestreams_own_config(goreleaser: Path, tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    commit_config(src, stock_config())
    dist = tmp_path / "d"
    proc = run_invoke("release.build", "--src", str(src), "--snapshot", "--check-reproducible", "--dist", str(dist))
    line = assert_one_error_line(proc, "not reproducible", "of 7 files differ", "reproducibility.md")
    report = json.loads((dist / "reproducibility.json").read_text())
    causes = {c["id"]: c for c in report["causes"]}
    assert set(causes) == {"build-path", "binary-mtime", "file-mtime", "package-mtime", "checksums"}, line
    assert "-trimpath" in causes["build-path"]["fix"]
    assert "mod_timestamp" in causes["binary-mtime"]["fix"] and "builds_info" in causes["binary-mtime"]["fix"]
    assert "info:" in causes["file-mtime"]["fix"] and "README.md" in causes["file-mtime"]["fix"]
    assert "nfpms:" in causes["package-mtime"]["fix"] and "mtime" in causes["package-mtime"]["fix"]
    assert set(causes["build-path"]["files"]) >= {"litestream_linux_amd64_v1/litestream"}
    assert not any(f["same"] for f in report["files"])
    markdown = (dist / "reproducibility.md").read_text()
    assert "```yaml\nbuilds:\n  - flags:\n      - -trimpath\n```" in markdown
    assert (dist / "release-build.json").is_file()  # the build itself is kept


# --- the checks fail on output that does not match the config ------------------------------------------------


@pytest.fixture
def doctored(release: ReleaseBuild, tmp_path: Path) -> tuple[ReleaseBuild, Path]:
    """A copy of the shared build's dist to tamper with."""
    copy = tmp_path / "dist"
    shutil.copytree(release.dist, copy)
    return release, copy


def test_archive_member_check_catches_a_missing_file(doctored: tuple[ReleaseBuild, Path]) -> None:
    release, dist = doctored
    archive = dist / "litestream-0.5.16-linux-x86_64.tar.gz"
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers() if m.name != "LICENSE"]  # type: ignore[union-attr]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data))
    with pytest.raises(UserError, match=r"linux-x86_64\.tar\.gz lacks LICENSE"):
        dist_checks.check_archive_members(release.config, read_dist(dist), release.src, release.fields)


def test_checksum_check_catches_a_changed_archive(doctored: tuple[ReleaseBuild, Path]) -> None:
    _, dist = doctored
    with (dist / "litestream-0.5.16-darwin-arm64.tar.gz").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(UserError, match=r"darwin-arm64\.tar\.gz does not match its sha256"):
        dist_checks.check_checksums(read_dist(dist))


def test_build_settings_check_catches_a_binary_built_without_trimpath(
    doctored: tuple[ReleaseBuild, Path], checkout: Path
) -> None:
    release, dist = doctored
    binary = dist / "litestream_linux_amd64_v1" / "litestream"
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOTOOLCHAIN": "local"}
    subprocess.run(
        ["go", "build", "-ldflags=-s -w -X main.Version=0.5.16", "-o", str(binary), "./cmd/litestream"],
        cwd=checkout,
        env=env,
        check=True,
    )
    with pytest.raises(UserError, match=r"shows -trimpath=None, but \.goreleaser\.yml asks for 'true'"):
        dist_checks.check_build_settings(release.config, read_dist(dist), release.fields)


def test_artifact_check_catches_a_matrix_that_is_not_the_configs(release: ReleaseBuild, tmp_path: Path) -> None:
    config_dir = tmp_path / "cfg"
    config_dir.mkdir()
    text = (release.src / ".goreleaser.yml").read_text().replace("      - windows\n", "", 1)
    (config_dir / ".goreleaser.yml").write_text(text)
    without_windows = load_config(find_config(config_dir))
    with pytest.raises(UserError, match=r"unexpected binary litestream/windows_amd64_v1"):
        dist_checks.check_artifacts(without_windows, release.contents)


# --- bad input: one line each ---------------------------------------------------------------------------------


def test_no_goreleaser_config_in_the_checkout(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    git(src, "rm", "-q", ".goreleaser.yml")
    git(src, "commit", "-q", "-m", "no config")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--snapshot", "--dist", str(tmp_path / "d")),
        "has no .goreleaser.yml",
    )


def test_version_not_a_tag_at_head_without_snapshot(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", "v0.5.17", "--dist", str(tmp_path / "d")),
        "tag v0.5.17 does not point at HEAD",
        f"tags at HEAD: {TAG}",
        "--snapshot",
    )


def test_dirty_tree_without_snapshot(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    (src / "notes.txt").write_text("untracked counts as dirty, as in GoReleaser\n")
    dist = tmp_path / "dist"
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", TAG, "--dist", str(dist)),
        "uncommitted or untracked",
        "notes.txt",
        "--snapshot",
    )
    assert not dist.exists()


def test_goreleaser_failing_is_one_line_and_keeps_its_log(goreleaser: Path, tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    break_go_file(src, "litestream")
    git(src, "commit", "-q", "-am", "broken")
    git(src, "tag", "v0.6.0")
    dist = tmp_path / "dist"
    line = assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", "v0.6.0", "--dist", str(dist)),
        "GoReleaser failed (exit 1)",
        "build failed",
        f"artifacts kept in {dist}",
    )
    assert str(dist / "goreleaser.log") in line
    assert "cmd/litestream/main.go" in (dist / "goreleaser.log").read_text()


def test_dist_holding_other_files_is_refused(checkout: Path, tmp_path: Path) -> None:
    dist = tmp_path / "mine"
    dist.mkdir()
    (dist / "thesis.tex").write_text("precious")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(checkout), "--version", TAG, "--dist", str(dist)), "holds other files"
    )
    assert (dist / "thesis.tex").read_text() == "precious"


def test_dist_inside_the_checkout_is_refused(checkout: Path) -> None:
    assert_one_error_line(
        run_invoke("release.build", "--src", str(checkout), "--version", TAG, "--dist", str(checkout / "dist")),
        "is inside the checkout",
    )


@pytest.mark.parametrize("bad", ["0.5.16", "v0.5", "v1.2.3.4"])
def test_malformed_version_is_refused(checkout: Path, bad: str) -> None:
    assert_one_error_line(
        run_invoke("release.build", "--src", str(checkout), "--version", bad), "vMAJOR.MINOR.PATCH[-pre]"
    )


def test_version_required_without_snapshot(checkout: Path) -> None:
    assert_one_error_line(run_invoke("release.build", "--src", str(checkout)), "--version is required")


@pytest.mark.parametrize("bad", ["0", "-2", "many", "1.5"])
def test_jobs_must_be_a_positive_integer(checkout: Path, bad: str) -> None:
    assert_one_error_line(
        run_invoke("release.build", "--src", str(checkout), "--version", TAG, f"--jobs={bad}"),
        "--jobs",
        "positive integer",
    )


def test_release_build_src_not_litestream(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module github.com/benbjohnson/litestream-not\n")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(tmp_path), "--version", TAG), "not a Litestream checkout"
    )


# --- the real Litestream checkout (LITESTREAM_SRC) ------------------------------------------------------------


@pytest.mark.litestream
def test_real_litestream_snapshot_names_and_version_are_goreleasers_own(
    litestream_src: Path, goreleaser: Path, tmp_path: Path
) -> None:
    """release.build --snapshot against GoReleaser run by hand on a plain clone: same files, same version."""
    job = run_release_build(litestream_src, tmp_path / "ours", None, snapshot=True)
    theirs = tmp_path / "theirs" / litestream_src.name
    subprocess.run(["git", "clone", "-q", str(litestream_src), str(theirs)], check=True)
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=litestream_src, text=True).strip()
    subprocess.run(["git", "checkout", "-q", "--detach", head], cwd=theirs, check=True)
    skip = [] if shutil.which("syft") else ["--skip=sbom"]
    by_hand = subprocess.run(
        [str(goreleaser), "release", "--snapshot", "--clean", *skip], cwd=theirs, capture_output=True, text=True
    )
    assert by_hand.returncode == 0, by_hand.stderr[-3000:]

    def shipped(dist: Path) -> list[str]:
        ours_only = {"release-build.json", "goreleaser.log", "config.yaml", "artifacts.json", "metadata.json"}
        return sorted(p.name for p in dist.iterdir() if p.is_file() and p.name not in ours_only)

    assert shipped(job.dist) == shipped(theirs / "dist")
    assert sorted(p.name for p in job.dist.iterdir() if p.is_dir()) == sorted(
        p.name for p in (theirs / "dist").iterdir() if p.is_dir()
    )
    ours_bin = dist_checks.host_binary(job.contents)
    theirs_bin = dist_checks.host_binary(read_dist(theirs / "dist"))
    assert ours_bin is not None and theirs_bin is not None
    printed = [subprocess.check_output([str(b.path), "version"], text=True).strip() for b in (ours_bin, theirs_bin)]
    assert printed[0] == printed[1] == job.contents.metadata.version
    if job.contents.metadata.tag == "v0.5.16":  # the checkout the issue names
        assert "litestream-v0.5.16-next-linux-x86_64.tar.gz" in shipped(job.dist)
        assert printed[0] == "v0.5.16-next"
