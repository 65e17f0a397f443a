"""The one supervisor of child processes (litestream, the load, the embedded S3, the fault proxies): each in its own
process group, output appended to its log, stopped as a whole group; and the one reader of a log's last lines.

A stop the harness asked for (``stop``) is remembered on the child, so the monitor can tell a deliberate
kill (a later fault layer, the end of the run) from a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from common.errors import UserError
from common.secrets import without_tokens


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environ_without(*prefixes: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment (or ``base``) without the variables named with ``prefixes``: a child that does
    not talk to AWS gets no AWS secrets. The tap token is never passed on (common.secrets)."""
    env = without_tokens(os.environ if base is None else base)
    return {k: v for k, v in env.items() if not k.startswith(prefixes)}


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def tail_lines(source: Path | str, n: int = 20) -> list[str]:
    """The last ``n`` non-blank lines of a log file, or of a command's captured output when given a str.

    Trailing whitespace goes, leading indentation stays (a Go panic's stack reads as it was printed).
    """
    if isinstance(source, str):
        lines: Iterable[str] = source.splitlines()
    else:
        try:
            with source.open("r", errors="replace") as fh:
                lines = list(fh)
        except OSError:
            return []
    return list(deque((line.rstrip() for line in lines if line.strip()), maxlen=n))


def in_one_line(lines: Iterable[str], empty: str = "") -> str:
    """Lines joined with `` | ``, so an error about them stays one line."""
    return " | ".join(line.strip() for line in lines) or empty


def end_group(proc: subprocess.Popen[Any], grace_s: float = 10.0) -> int | None:
    """SIGTERM the process group ``proc`` leads (started with ``start_new_session``), wait up to ``grace_s``, then
    SIGKILL the group: grandchildren (a test binary, the litestream it started) go too. Its exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the leader may be gone while its group lives on
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    return proc.poll()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def group_ended_on_exit(proc: subprocess.Popen[Any], grace_s: float = 10.0) -> Iterator[subprocess.Popen[Any]]:
    """While inside, a SIGTERM to this process is raised as KeyboardInterrupt (as Ctrl+C is); on the way out, by
    any route, a group ``proc`` still leads is ended (``end_group``). For long commands run in their own session
    (``go test``), which Ctrl+C on the terminal no longer reaches, and which a plain ``terminate()`` would leave
    their grandchildren behind."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupted) if main else None
    try:
        yield proc
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None or _group_alive(proc.pid):
            end_group(proc, grace_s)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


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
        """Start (or restart) the process in a new session; its log is appended to, never truncated.

        A process that only serves something (a proxy, an S3 server) is then waited for with ``wait_ready``.
        """
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.deliberate_stop = False
        with self.log.open("ab") as out:
            try:
                self.proc = subprocess.Popen(
                    list(self.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=dict(self.env) if self.env is not None else without_tokens(os.environ),
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

    def wait_ready(
        self,
        ready: Callable[[], bool],
        *,
        fix: str,
        timeout_s: float = 20.0,
        failed: Callable[[], str | None] = lambda: None,
    ) -> Child:
        """Wait until ``ready()``; if it exits, reports a failure or times out, stop it and raise one line with ``fix``.

        ``failed()`` names a failure the process reports without exiting (Toxiproxy stays up after a bind error).
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop(grace_s=5)
                said = in_one_line(tail_lines(self.log, 3), "no output")
                raise UserError(f"{self.name} exited with status {code} at start ({said}); {fix}")
            if reason := failed():
                self.stop(grace_s=5)
                raise UserError(f"{self.name} failed at start ({reason}); {fix}")
            if ready():
                return self
            time.sleep(0.1)
        self.stop(grace_s=5)
        raise UserError(f"{self.name} did not become ready within {timeout_s:g}s (log: {self.log}); {fix}")

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
        return end_group(self.proc, grace_s)  # grandchildren may outlive the leader; the group goes either way

    def kill(self) -> None:
        """A deliberate SIGKILL of the group (for a fault layer): not counted as a crash."""
        self.deliberate_stop = True
        self._signal_group(signal.SIGKILL)


def run_to_log(
    argv: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float,
    started: Callable[[Child], None] | None = None,
) -> int:
    """Run a short command to completion in its own group, output appended to ``log``; its exit code.

    ``started`` gets the child once it runs: a caller in another thread can then end its group (on Ctrl+C)."""
    child = Child(name=Path(argv[0]).name, argv=argv, log=log, env=env).start()
    assert child.proc is not None
    if started is not None:
        started(child)
    try:
        return child.proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.stop(grace_s=5)
        raise UserError(f"{' '.join(argv[:2])} did not finish within {timeout_s:.0f}s; see {log}") from None
    finally:
        if child.alive():
            child.stop(grace_s=5)
