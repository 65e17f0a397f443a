"""What both fault proxies need: the tools cache, port probes, a helper process started and stopped cleanly.

Free loopback ports come from ``common.processes.free_port``, the one the whole soak uses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from common.errors import UserError

CACHE_ENV = "LITESTREAM_TOOLS_CACHE"


def tools_cache_dir() -> Path:
    """Where pinned tools are installed once: ``$LITESTREAM_TOOLS_CACHE`` or ~/.cache/litestream-release-tools."""
    chosen = os.environ.get(CACHE_ENV)
    base = Path(chosen).expanduser() if chosen else Path.home() / ".cache" / "litestream-release-tools"
    return base.resolve()


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def last_lines(path: Path, n: int = 3) -> str:
    """The end of a helper's log, for an error line."""
    try:
        with path.open(errors="replace") as fh:
            return " | ".join(line.strip() for line in deque(fh, maxlen=n) if line.strip())
    except OSError:
        return ""


class HelperProcess:
    """A proxy process in its own process group, output to ``log``; ``stop`` ends the whole group."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(
        self,
        ready: Callable[[], bool],
        *,
        timeout: float = 20.0,
        fix: str,
        failed: Callable[[], str | None] = lambda: None,
    ) -> None:
        """Start and wait until ``ready()``; on failure stop it and raise one line with ``fix``.

        ``failed()`` names a failure the process reports without exiting (Toxiproxy stays up after a bind error).
        """
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise UserError(f"{self.name} exited with status {code} at start ({last_lines(self.log)}); {fix}")
            if reason := failed():
                self.stop()
                raise UserError(f"{self.name} failed at start ({reason}); {fix}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise UserError(f"{self.name} did not become ready within {timeout:g}s (log: {self.log}); {fix}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the group, SIGKILL after ``grace``; safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def run_install(argv: Sequence[str], *, env: dict[str, str] | None, what: str, fix: str, timeout: float = 900) -> None:
    """Run one install command; a failure is one line with the tool's last words and the fix."""
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise UserError(f"cannot install {what}: {argv[0]} not found; {fix}") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"installing {what} took over {timeout:g}s (offline?); {fix}") from None
    if done.returncode != 0:
        words = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise UserError(f"installing {what} failed: {words[-1] if words else 'no output'}; {fix}")
