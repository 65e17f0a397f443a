"""Pinned tools (the fault proxies, the embedded S3 server, GoReleaser): where they are installed once, the lock
that keeps two installs of one tool apart, and one install command run with one-line errors.

The tools run as ``common.processes.Child`` processes, like every other child of the soak.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from common.errors import UserError
from common.processes import in_one_line, tail_lines

CACHE_ENV = "LITESTREAM_TOOLS_CACHE"


def tools_cache_dir() -> Path:
    """Where pinned tools are installed once: ``$LITESTREAM_TOOLS_CACHE`` or ~/.cache/litestream-release-tools."""
    chosen = os.environ.get(CACHE_ENV)
    base = Path(chosen).expanduser() if chosen else Path.home() / ".cache" / "litestream-release-tools"
    return base.resolve()


def run_install(argv: Sequence[str], *, env: dict[str, str] | None, what: str, fix: str, timeout: float = 900) -> None:
    """Run one install command; a failure is one line with the tool's last words and the fix."""
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise UserError(f"cannot install {what}: {argv[0]} not found; {fix}") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"installing {what} took over {timeout:g}s (offline?); {fix}") from None
    if done.returncode != 0:
        said = in_one_line(tail_lines(done.stderr or done.stdout, 1), "no output")
        raise UserError(f"installing {what} failed: {said}; {fix}")


@contextlib.contextmanager
def install_lock(directory: Path) -> Iterator[None]:
    """One install at a time per tool: CI starts one in the background and the tests may ask meanwhile."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
