"""Child processes of a soak: each in its own process group, logs appended, stopped as a whole group.

A stop the harness asked for (``stop``) is remembered on the child, so the monitor can tell a deliberate
kill (a later fault layer, the end of the run) from a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from common.errors import UserError


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environ_without(*prefixes: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment (or ``base``) without the variables named with ``prefixes``: a child that does
    not talk to AWS gets no AWS secrets."""
    return {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith(prefixes)}


def tail_lines(path: Path, n: int = 20) -> list[str]:
    """The last ``n`` lines of a log, for a crash report."""
    try:
        with path.open("r", errors="replace") as fh:
            return [line.rstrip("\n") for line in deque(fh, maxlen=n)]
    except OSError:
        return []


@dataclass
class Child:
    """One supervised process: ``name`` for messages, output appended to ``log``."""

    name: str
    argv: Sequence[str]
    log: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    deliberate_stop: bool = False
    started_at: float = 0.0
    _ps: psutil.Process | None = field(default=None, repr=False)

    def start(self) -> Child:
        """Start (or restart) the process in a new session; its log is appended to, never truncated."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.deliberate_stop = False
        with self.log.open("ab") as out:
            try:
                self.proc = subprocess.Popen(
                    list(self.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=dict(self.env) if self.env is not None else None,
                    cwd=self.cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise UserError(
                    f"cannot start {self.name} ({self.argv[0]}): {exc.strerror}; check the binary"
                ) from None
        self.started_at = time.monotonic()
        self._ps = None
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def crashed(self) -> bool:
        """Exited although nobody asked it to: a crash (or an early exit) the run must fail on."""
        return self.proc is not None and self.proc.poll() is not None and not self.deliberate_stop

    def usage(self) -> tuple[int | None, float | None]:
        """RSS bytes and CPU percent since the previous call (psutil keeps the baseline)."""
        if not self.alive() or self.pid is None:
            return None, None
        try:
            if self._ps is None:
                self._ps = psutil.Process(self.pid)
                self._ps.cpu_percent(None)
            return int(self._ps.memory_info().rss), float(self._ps.cpu_percent(None))
        except psutil.Error:
            return None, None

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def stop(self, grace_s: float = 10.0) -> int | None:
        """SIGTERM the whole group, wait up to ``grace_s``, then SIGKILL the group; returns the exit code."""
        if self.proc is None:
            return None
        self.deliberate_stop = True
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace_s)
        # Grandchildren may outlive the leader; the group goes either way.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        return self.proc.poll()

    def kill(self) -> None:
        """A deliberate SIGKILL of the group (for a fault layer): not counted as a crash."""
        self.deliberate_stop = True
        self._signal_group(signal.SIGKILL)


def run_to_log(argv: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None, timeout_s: float) -> int:
    """Run a short command to completion in its own group, output appended to ``log``; its exit code."""
    child = Child(name=Path(argv[0]).name, argv=argv, log=log, env=env).start()
    assert child.proc is not None
    try:
        return child.proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.stop(grace_s=5)
        raise UserError(f"{' '.join(argv[:2])} did not finish within {timeout_s:.0f}s; see {log}") from None
    finally:
        if child.alive():
            child.stop(grace_s=5)
