"""After a local build (real GoReleaser on the fixture), a formula needs --preview, says it is one, and never
reaches the tap."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from common.versions import parse_version
from release.build.checksums import parse_checksums
from release.build.release_build import run_release_build
from release.homebrew.formula import is_preview
from tests.support.cli import assert_one_error_line, run_invoke
from tests.support.golit import make_checkout
from tests.support.homebrew import OLDER, commit_count, file_server, make_tap

NEXT = "v0.5.17"  # not tagged yet: the gate's case before a release


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory, goreleaser: Path) -> Path:
    """A snapshot of the fixture named after the coming release: ``litestream-v0.5.17-next-*``."""
    src = make_checkout(tmp_path_factory.mktemp("golit") / "src")
    job = run_release_build(src, tmp_path_factory.mktemp("out") / "dist", parse_version(NEXT), snapshot=True)
    return job.dist


def test_a_local_builds_checksums_are_refused_without_preview(local_build: Path) -> None:
    result = run_invoke("release.formula", "--version", NEXT, "--checksums", str(local_build / "checksums.txt"))
    assert_one_error_line(result, "is a local build's", "published release", "--preview")


def test_no_published_release_and_a_local_build_points_at_preview(local_build: Path, tmp_path: Path) -> None:
    (tmp_path / "srv").mkdir()
    with file_server(tmp_path / "srv") as base:
        result = run_invoke(
            "release.formula", "--version", NEXT, "--dist", str(local_build), "--output", str(tmp_path / "f.rb"),
            env={"INVOKE_RELEASE_URL_BASE": base},
        )  # fmt: skip
    assert_one_error_line(result, "HTTP 404", f"{local_build / 'checksums.txt'} is a local build", "--preview")
    assert not (tmp_path / "f.rb").exists()


def test_preview_renders_the_release_urls_with_the_local_sha256(local_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "litestream.rb"
    result = run_invoke(
        "release.formula", "--version", NEXT, "--preview", "--dist", str(local_build), "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "PREVIEW" in result.stdout and "a local build of v0.5.17-next" in result.stdout
    text = out.read_text()
    assert is_preview(text)
    local = parse_checksums((local_build / "checksums.txt").read_text())
    for platform in ("darwin-x86_64", "darwin-arm64", "linux-x86_64", "linux-arm64", "linux-armv6"):
        assert f'/v0.5.17/litestream-0.5.17-{platform}.tar.gz"' in text
        assert f'sha256 "{local[f"litestream-v0.5.17-next-{platform}.tar.gz"]}"' in text
    if shutil.which("ruby"):
        assert subprocess.run(["ruby", "-c", str(out)], capture_output=True, text=True).returncode == 0


def test_tap_refuses_the_preview_and_shows_it_only_as_a_dry_run(local_build: Path, tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    args = ["release.tap", "--version", NEXT, "--preview", "--dist", str(local_build), "--tap-repo", str(bare)]
    assert_one_error_line(run_invoke(*args), "release.tap never publishes a preview")
    assert commit_count(bare) == 1
    dry = run_invoke(*args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "+# PREVIEW: sha256 values of a local build" in dry.stdout and "nothing was pushed" in dry.stdout
    assert commit_count(bare) == 1
