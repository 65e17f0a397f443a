"""The formula's ``test do`` and ``service do`` run against a real Litestream built with the release version.

Needs LITESTREAM_SRC (a v0.5.16 checkout) and Go; Homebrew itself is stood in for by formula_shim.rb.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.homebrew import GOLDEN

SHIM = Path(__file__).with_name("formula_shim.rb")
pytestmark = [
    pytest.mark.litestream,
    pytest.mark.skipif(shutil.which("ruby") is None or shutil.which("go") is None, reason="needs ruby and go"),
]


def build(src: Path, out: Path, version: str | None) -> None:
    ldflags = "-s -w" + (f" -X main.Version={version}" if version else "")
    env = {**os.environ, "CGO_ENABLED": "0"}
    cmd = ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(out), "./cmd/litestream"]
    subprocess.run(cmd, cwd=src, env=env, check=True, capture_output=True, timeout=600)


def run_shim(prefix: Path) -> subprocess.CompletedProcess[str]:
    arch = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "armv6")
    env = {**os.environ, "SHIM_OS": "linux", "SHIM_ARCH": arch, "SHIM_PREFIX": str(prefix)}
    return subprocess.run(["ruby", str(SHIM), str(GOLDEN)], env=env, capture_output=True, text=True, timeout=120)


def test_formula_test_block_passes_for_a_release_build(litestream_src: Path, tmp_path: Path) -> None:
    build(litestream_src, tmp_path / "bin" / "litestream", "0.5.16")
    result = run_shim(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test: passed" in result.stdout
    service = result.stdout.split("service: ", 1)[1].splitlines()
    assert service[0] == f"{tmp_path}/bin/litestream replicate -config {tmp_path}/etc/litestream.yml"
    assert service[1] == f"{tmp_path}/var/log/litestream.log"


def test_formula_test_block_fails_for_a_build_without_the_version(litestream_src: Path, tmp_path: Path) -> None:
    build(litestream_src, tmp_path / "bin" / "litestream", None)
    result = run_shim(tmp_path)
    assert result.returncode != 0
    assert 'to match "0.5.16"' in result.stderr
