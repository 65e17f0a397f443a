"""``invoke release.build``: the 8-target matrix from the tiny module, archives, checksums, reproducibility.

One build of the whole matrix (module fixture) is shared by the assertions; a second one, from a fresh clone
of the same commit, checks that the archives come out byte-identical.
"""

from __future__ import annotations

import filecmp
import gzip
import re
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from common.versions import parse_version
from release.build.matrix import TARGETS
from release.build.release_build import ReleaseBuild, run_release_build
from release.build.toolchain import build_settings
from tests.support.cli import assert_one_error_line
from tests.support.golit import COMMIT_TIME, FIXTURE, TAG, break_go_file, git, make_checkout, run_invoke

PUBLISHED_NAMES = [
    "litestream-0.5.16-darwin-arm64.tar.gz",
    "litestream-0.5.16-darwin-x86_64.tar.gz",
    "litestream-0.5.16-linux-arm64.tar.gz",
    "litestream-0.5.16-linux-armv6.tar.gz",
    "litestream-0.5.16-linux-armv7.tar.gz",
    "litestream-0.5.16-linux-x86_64.tar.gz",
    "litestream-0.5.16-windows-arm64.zip",
    "litestream-0.5.16-windows-x86_64.zip",
]
EXTRAS = ["LICENSE", "README.md", "etc/litestream.service", "etc/litestream.yml"]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkout(tmp_path_factory.mktemp("golit") / "src")


@pytest.fixture(scope="module")
def release(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> ReleaseBuild:
    return run_release_build(checkout, tmp_path_factory.mktemp("dist"), parse_version(TAG))


def archives_in(dist: Path) -> list[str]:
    return sorted(p.name for p in dist.iterdir() if p.is_file() and p.name != "checksums.txt")


def test_matrix_archive_names_are_the_published_ones(release: ReleaseBuild) -> None:
    assert archives_in(release.dist) == PUBLISHED_NAMES
    assert sorted(p.name for p in release.archives) == PUBLISHED_NAMES


def test_tar_gz_members_modes_owners_and_mtimes(release: ReleaseBuild, checkout: Path) -> None:
    for name in PUBLISHED_NAMES[:6]:
        with tarfile.open(release.dist / name) as tar:
            members = tar.getmembers()
            assert [m.name for m in members] == [*EXTRAS, "litestream"]
            for member in members:
                assert member.isfile()
                assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "root", "root")
                assert member.mtime == COMMIT_TIME
                assert member.mode == (0o755 if member.name == "litestream" else 0o644)
            for extra in EXTRAS:
                assert tar.extractfile(extra).read() == (checkout / extra).read_bytes()  # type: ignore[union-attr]
        header = (release.dist / name).read_bytes()[:10]
        assert header[3] & 0x08 == 0, "gzip header must not carry a file name"
        assert header[4:8] == b"\0\0\0\0", "gzip header must not carry a timestamp"


def test_zip_members_modes_and_times(release: ReleaseBuild) -> None:
    for name in PUBLISHED_NAMES[6:]:
        with zipfile.ZipFile(release.dist / name) as archive:
            infos = archive.infolist()
            assert [i.filename for i in infos] == [*EXTRAS, "litestream.exe"]
            for info in infos:
                assert info.date_time == time.gmtime(COMMIT_TIME)[:6]
                mode = info.external_attr >> 16
                assert mode == 0o100000 | (0o755 if info.filename == "litestream.exe" else 0o644)
            assert archive.read("etc/litestream.yml") == (FIXTURE / "etc/litestream.yml").read_bytes()


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="needs sha256sum (GNU coreutils)")
def test_checksums_txt_verifies_with_sha256sum(release: ReleaseBuild) -> None:
    text = (release.dist / "checksums.txt").read_text()
    lines = text.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == PUBLISHED_NAMES  # sorted by name
    assert all(re.fullmatch(r"[0-9a-f]{64}  \S+", line) for line in lines)
    proc = subprocess.run(["sha256sum", "-c", "checksums.txt"], cwd=release.dist, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": OK") == 8


def test_binaries_are_cgo_off_for_each_platform_with_bare_version(release: ReleaseBuild) -> None:
    for target in TARGETS:
        settings = build_settings(release.binary_path(target))
        assert settings["CGO_ENABLED"] == "0"
        assert settings["-trimpath"] == "true"
        assert (settings["GOOS"], settings["GOARCH"], settings.get("GOARM", "")) == (
            target.goos,
            target.goarch,
            target.goarm,
        )
    host = release.binary_path(TARGETS[0])  # linux/amd64: the CI host
    if subprocess.run(["uname", "-sm"], capture_output=True, text=True).stdout.split() == ["Linux", "x86_64"]:
        assert subprocess.run([host, "version"], capture_output=True, text=True).stdout == "0.5.16\n"


def test_sub_architecture_is_pinned_whatever_the_environment(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOAMD64", "v3")  # a maintainer's tuning must not leak into release binaries
    job = run_release_build(checkout, tmp_path / "d", parse_version(TAG), targets=TARGETS[:1])
    assert build_settings(job.binary_path(TARGETS[0]))["GOAMD64"] == "v1"


def test_two_runs_are_byte_identical(release: ReleaseBuild, tmp_path: Path) -> None:
    # A fresh clone: same commit, different path and file mtimes.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(release.src), str(clone))
    (clone / "etc" / "litestream.yml").chmod(0o600)  # a stricter umask must not show in the archive
    second = run_release_build(clone, tmp_path / "dist2", parse_version(TAG), jobs=2)
    for name in [*PUBLISHED_NAMES, "checksums.txt"]:
        assert filecmp.cmp(release.dist / name, second.dist / name, shallow=False), name


def test_dirty_tree_is_refused_unless_snapshot(tmp_path: Path) -> None:
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
    job = run_release_build(src, dist, parse_version(TAG), snapshot=True, targets=TARGETS[:1])
    assert [p.name for p in job.archives] == ["litestream-0.5.16-linux-x86_64.tar.gz"]


def test_version_not_tagged_at_head_is_refused_unless_snapshot(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", "v0.5.17", "--dist", str(tmp_path / "d")),
        "tag v0.5.17 does not point at HEAD",
        f"tags at HEAD: {TAG}",
    )
    job = run_release_build(src, tmp_path / "d", parse_version("v0.5.17"), snapshot=True, targets=TARGETS[:1])
    assert [p.name for p in job.archives] == ["litestream-0.5.17-linux-x86_64.tar.gz"]


def test_tag_on_an_older_commit_is_refused(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    (src / "README.md").write_text("next\n")
    git(src, "commit", "-q", "-am", "after the tag")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", TAG, "--dist", str(tmp_path / "d")),
        f"tag {TAG} does not point at HEAD",
        "tags at HEAD: none",
    )


def test_snapshot_without_version_uses_nearest_tag_next(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    job = run_release_build(src, tmp_path / "d", None, snapshot=True, targets=TARGETS[:1])
    assert job.release.tag == "v0.5.16-next"
    assert [p.name for p in job.archives] == ["litestream-0.5.16-next-linux-x86_64.tar.gz"]


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


def test_failed_go_build_shows_go_output_and_where(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    break_go_file(src, "litestream")
    git(src, "commit", "-q", "-am", "broken")
    git(src, "tag", "v0.6.0")
    dist = tmp_path / "dist"
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", "v0.6.0", "--dist", str(dist), "--jobs", "2"),
        "go build ./cmd/litestream (",
        "cmd/litestream/main.go:",
        f"artifacts kept in {dist}",
    )
    assert not list(dist.glob("*.tar.gz")) and not (dist / "checksums.txt").exists()


def test_checkout_missing_archive_files_is_refused(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    (src / "etc" / "litestream.service").unlink()
    git(src, "commit", "-q", "-am", "drop the unit file")
    git(src, "tag", "-f", TAG)
    assert_one_error_line(
        run_invoke("release.build", "--src", str(src), "--version", TAG, "--dist", str(tmp_path / "d")),
        "lacks etc/litestream.service",
    )


def test_release_build_src_not_litestream(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module github.com/benbjohnson/litestream-not\n")
    assert_one_error_line(
        run_invoke("release.build", "--src", str(tmp_path), "--version", TAG), "not a Litestream checkout"
    )


@pytest.mark.litestream
def test_release_build_real_litestream(litestream_src: Path, tmp_path: Path) -> None:
    """End to end on the real checkout (at a tag, clean): 8 archives that verify; binaries print the number."""
    from release.build.checkout import open_checkout

    tags = open_checkout(litestream_src).tags_at_head()
    if not tags:
        pytest.skip(f"{litestream_src} HEAD is not tagged")
    version = parse_version(tags[-1])
    job = run_release_build(litestream_src, tmp_path / "dist", version, snapshot=True)
    assert archives_in(job.dist) == sorted(t.archive_name(version.number) for t in TARGETS)
    proc = subprocess.run(["sha256sum", "-c", "checksums.txt"], cwd=job.dist, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    with gzip.open(job.dist / TARGETS[0].archive_name(version.number)) as raw, tarfile.open(fileobj=raw) as tar:
        assert tar.getnames() == [*EXTRAS, "litestream"]
