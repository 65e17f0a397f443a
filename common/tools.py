"""Pinned tools (the fault proxies, the embedded S3 server, GoReleaser): where they are installed once, the lock
that keeps two installs of one tool apart, one install command run with one-line errors, and ``go_install``, the
one way a pinned Go tool gets into the cache.

The tools run as ``common.processes.Child`` processes, like every other child of the soak.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
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


def go_install(
    binary: Path,
    package: str,
    version: str,
    *,
    what: str,
    no_go: str,
    fix: str,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> Path:
    """``binary`` from ``go install package@version`` (GOBIN its directory), installed once and then reused.

    Built into a staging directory next to it, under the tool's install lock, and renamed into place only on
    success, so a failed or interrupted install never looks installed and two processes never build it at once.
    ``no_go``: the one line when `go` is not on PATH; ``fix``: what to do when the install fails; ``env``: extra
    variables for the build (CGO_ENABLED=0 and GOWORK=off are always set)."""
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        raise UserError(no_go)
    home = binary.parent.parent
    with install_lock(home):
        if binary.is_file():  # another process installed it while this one waited for the lock
            return binary
        staging = Path(tempfile.mkdtemp(prefix=f"{version}.partial-", dir=home))
        build_env = {**os.environ, "GOBIN": str(staging), "GOWORK": "off", "CGO_ENABLED": "0", **(env or {})}
        try:
            run_install([go, "install", f"{package}@{version}"], env=build_env, what=what, fix=fix, timeout=timeout)
            if binary.parent.exists():
                shutil.rmtree(binary.parent)
            staging.rename(binary.parent)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return binary
