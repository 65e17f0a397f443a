"""The two executables a soak runs: given with ``--bin DIR`` or built from ``--src DIR`` by ``invoke build``."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.processes import run_to_log, tail_lines
from common.settings import PROJECT_ROOT
from release.build.checkout import open_checkout

NAMES = ("litestream", "litestream-test")


@dataclass(frozen=True)
class Binaries:
    litestream: Path
    litestream_test: Path
    litestream_version: str
    litestream_test_version: str
    commit: str | None

    def for_run_json(self) -> dict[str, Any]:
        return {
            "litestream": {"path": str(self.litestream), "version": self.litestream_version},
            "litestream_test": {
                "path": str(self.litestream_test),
                "version": self.litestream_test_version,
                "commit": self.commit,
            },
        }


def _check_executable(path: Path, flag: str) -> Path:
    if not path.is_file():
        raise UserError(f"{path} does not exist; {flag} must hold litestream and litestream-test (see `invoke build`)")
    if not os.access(path, os.X_OK):
        raise UserError(f"{path} is not executable; run `chmod +x {path}` or rebuild it with `invoke build`")
    return path


def _version_output(path: Path) -> str:
    try:
        done = subprocess.run([str(path), "version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"{path} version failed ({exc}); is it a litestream binary for this machine?") from None
    if done.returncode != 0:
        raise UserError(f"`{path} version` exited {done.returncode}; is it a litestream binary for this machine?")
    return done.stdout.strip()


def parse_test_version(text: str) -> tuple[str, str | None]:
    """``litestream-test <version>`` then a ``commit: <sha>`` line when a commit was injected
    (cmd/litestream-test/main.go prints it only when ``main.Commit`` is set)."""
    version, commit = text, None
    for line in text.splitlines():
        if line.startswith("litestream-test "):
            version = line.removeprefix("litestream-test ").strip()
        elif line.startswith("commit:"):
            commit = line.removeprefix("commit:").strip() or None
    return version, commit


def find_binaries(bin_dir: Path, flag: str = "--bin") -> Binaries:
    """Both executables in ``bin_dir`` exist, run, and say their versions."""
    ls = _check_executable(bin_dir / "litestream", flag)
    lt = _check_executable(bin_dir / "litestream-test", flag)
    test_version, commit = parse_test_version(_version_output(lt))
    return Binaries(ls, lt, _version_output(ls).splitlines()[0], test_version, commit)


def check_source(src: Path) -> None:
    """``--src`` is a Litestream git checkout: checked before anything starts, so a typo costs one line, no run dir."""
    open_checkout(src)


def build_binaries(src: Path, out: Path, log: Path) -> Binaries:
    """Build with the project's own ``invoke build`` (version and commit injected), then find the result."""
    argv = [sys.executable, "-m", "invoke", "-r", str(PROJECT_ROOT), "build", "--src", str(src), "--out", str(out)]
    code = run_to_log(argv, log, timeout_s=1800)
    if code != 0:
        said = [line.removeprefix("error: ") for line in tail_lines(log, 5) if line.strip()]
        why = f": {said[-1]}" if said else ""
        raise UserError(f"`invoke build --src {src}` failed (exit {code}){why}; see {log}")
    return find_binaries(out, flag="the build output")
