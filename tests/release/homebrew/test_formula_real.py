"""The formula's ``test do`` and ``service do`` run against a real Litestream built with the release version.

Built from LITESTREAM_SRC when set, else from the pinned release's module source on the Go module proxy; needs Go and
ruby. Homebrew itself is stood in for by formula_shim.rb.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.homebrew import GOLDEN
from tests.support.litestream import build_litestream

SHIM = Path(__file__).with_name("formula_shim.rb")
pytestmark = [
    pytest.mark.skipif(shutil.which("ruby") is None or shutil.which("go") is None, reason="needs ruby and go"),
]


def run_shim(prefix: Path) -> subprocess.CompletedProcess[str]:
    arch = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "armv6")
    env = {**os.environ, "SHIM_OS": "linux", "SHIM_ARCH": arch, "SHIM_PREFIX": str(prefix)}
    return subprocess.run(["ruby", str(SHIM), str(GOLDEN)], env=env, capture_output=True, text=True, timeout=120)


def test_formula_test_block_passes_for_a_release_build(tmp_path: Path) -> None:
    build_litestream(tmp_path / "bin" / "litestream", "0.5.16")  # GoReleaser stamps the version without its v
    result = run_shim(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test: passed" in result.stdout
    service = result.stdout.split("service: ", 1)[1].splitlines()
    assert service[0] == f"{tmp_path}/bin/litestream replicate -config {tmp_path}/etc/litestream.yml"
    assert service[1] == f"{tmp_path}/var/log/litestream.log"


def test_formula_test_block_fails_for_a_build_of_another_version(tmp_path: Path) -> None:
    """A binary that says another version. (One built from the module without -X main.Version still says v0.5.16:
    Litestream falls back to the module version Go records, so "no version injected" is not a failure there.)"""
    build_litestream(tmp_path / "bin" / "litestream", "0.5.15")
    result = run_shim(tmp_path)
    assert result.returncode != 0
    assert 'to match "0.5.16"' in result.stderr
