"""``invoke release.verify``: a release GoReleaser really built, served from 127.0.0.1, checked and rebuilt.

One case reproduces byte for byte; in the other a binary inside an archive was swapped (and checksums.txt
rewritten to match, as an attacker with upload rights would), which only the rebuild from the tag catches.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.versions import parse_version
from release.build.checksums import format_checksums, parse_checksums, sha256_file
from release.build.release_build import run_release_build
from tests.support.cli import assert_one_error_line
from tests.support.golit import RELEASE_ARCHIVES, TAG, clean_env, make_checkout, run_invoke
from tests.support.homebrew import file_server

SWAPPED = "litestream-0.5.16-linux-x86_64.tar.gz"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkout(tmp_path_factory.mktemp("golit") / "src")


@pytest.fixture(scope="module")
def published(checkout: Path, tmp_path_factory: pytest.TempPathFactory, goreleaser: Path) -> Path:
    """``<root>/v0.5.16/``: a real GoReleaser release-mode dist of the fixture, laid out like a download URL."""
    root = tmp_path_factory.mktemp("releases")
    run_release_build(checkout, root / TAG, parse_version(TAG))
    return root


@pytest.fixture
def served(published: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A private copy of the release, served over HTTP on 127.0.0.1: (its directory, the url base)."""
    root = tmp_path / "releases"
    shutil.copytree(published, root)
    with file_server(root) as base:
        yield root / TAG, base


def verify(checkout: Path, base: str, out: Path) -> subprocess.CompletedProcess[str]:
    return run_invoke(
        "release.verify", "--version", TAG, "--src", str(checkout), "--out", str(out),
        env=clean_env(INVOKE_RELEASE_URL_BASE=base),
    )  # fmt: skip


def report(out: Path) -> dict[str, dict[str, object]]:
    data = json.loads((out / "verify.json").read_text())
    return {p["archive"]: p for p in data["platforms"]}


def test_a_release_built_by_goreleaser_reproduces_from_its_tag(
    checkout: Path, served: tuple[Path, str], tmp_path: Path
) -> None:
    _, base = served
    out = tmp_path / "verify"
    proc = verify(checkout, base, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "verify.json").read_text())
    assert (
        data["verdict"] == "pass"
        and data["commit"] == subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=checkout, text=True).strip()
    )
    platforms = report(out)
    assert sorted(platforms) == RELEASE_ARCHIVES
    assert all(p["checksum_ok"] and p["reproduces"] is True for p in platforms.values())
    assert {p["go"] for p in platforms.values()} == {
        subprocess.check_output(["go", "env", "GOVERSION"], text=True).strip()
    }
    assert platforms[SWAPPED]["target"] == "linux_amd64_v1"
    assert len(data["not_checked"]) == 8  # the .deb and .rpm packages
    assert "| yes |" in (out / "verify.md").read_text()


def swap_binary(release: Path, checkout: Path, tmp_path: Path) -> None:
    """Replace the linux/amd64 binary in its archive by another build, and fix up checksums.txt to match."""
    other = tmp_path / "other"
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOTOOLCHAIN": "local"}
    subprocess.run(
        ["go", "build", "-trimpath", "-ldflags=-s -w -X main.Version=0.5.16-backdoor", "-o", str(other),
         "./cmd/litestream"],
        cwd=checkout, env=env, check=True,
    )  # fmt: skip
    archive = release / SWAPPED
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            if member.name == "litestream":
                data = other.read_bytes()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    checksums = release / "checksums.txt"
    digests = parse_checksums(checksums.read_text())
    digests[SWAPPED] = sha256_file(archive)
    checksums.write_text(format_checksums(digests))


def test_a_swapped_binary_is_caught_by_the_rebuild(checkout: Path, served: tuple[Path, str], tmp_path: Path) -> None:
    release, base = served
    swap_binary(release, checkout, tmp_path)
    out = tmp_path / "verify"
    assert_one_error_line(
        verify(checkout, base, out), "1 of 8 published archives are not reproduced", SWAPPED, "verify.md"
    )
    platforms = report(out)
    assert platforms[SWAPPED]["checksum_ok"] is True  # checksums.txt was rewritten: only the rebuild sees it
    assert platforms[SWAPPED]["reproduces"] is False
    assert all(p["reproduces"] is True for name, p in platforms.items() if name != SWAPPED)
    assert json.loads((out / "verify.json").read_text())["verdict"] == "fail"


def test_an_archive_that_does_not_match_checksums_txt(checkout: Path, served: tuple[Path, str], tmp_path: Path) -> None:
    release, base = served
    with (release / "litestream-0.5.16-windows-arm64.zip").open("ab") as handle:
        handle.write(b"tampered")
    out = tmp_path / "verify"
    assert_one_error_line(
        verify(checkout, base, out), "litestream-0.5.16-windows-arm64.zip", "differs from checksums.txt"
    )
    assert report(out)["litestream-0.5.16-windows-arm64.zip"]["reproduces"] is None  # not judged, not passed


def test_src_without_the_tag(served: tuple[Path, str], tmp_path: Path) -> None:
    _, base = served
    src = make_checkout(tmp_path / "src", tag=None)
    assert_one_error_line(verify(src, base, tmp_path / "out"), f"has no tag {TAG}", "git fetch --tags")


def test_release_not_published(checkout: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with file_server(tmp_path / "empty") as base:
        assert_one_error_line(verify(checkout, base, tmp_path / "out"), "HTTP 404", f"{base}/{TAG}/checksums.txt")
