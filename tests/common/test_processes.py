"""The one process supervisor (every child of the soak, the proxies included) and the one log-tail reader."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from common.errors import UserError
from common.processes import Child, environ_without, free_port, in_one_line, port_open, tail_lines


def _python(tmp_path: Path, code: str, name: str = "helper") -> Child:
    return Child(name, [sys.executable, "-c", code], tmp_path / f"{name}.log")


def test_wait_ready_returns_once_the_child_serves(tmp_path: Path) -> None:
    port = free_port()
    code = (
        "import socket, time\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); print('listening', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = _python(tmp_path, code).start().wait_ready(lambda: port_open(port), fix="never needed")
    try:
        assert child.alive() and port_open(port)
    finally:
        child.stop(grace_s=2)
    assert not child.alive() and not child.crashed(), "a stop the harness asked for is no crash"


def test_a_child_that_exits_at_start_is_one_line_with_its_last_words(tmp_path: Path) -> None:
    code = "import sys; print('\\nbind: address already in use\\n', flush=True); sys.exit(3)"
    with pytest.raises(UserError) as info:
        _python(tmp_path, code, "toxiproxy").start().wait_ready(lambda: False, fix="see the log")
    assert str(info.value) == "toxiproxy exited with status 3 at start (bind: address already in use); see the log"


def test_a_failure_reported_without_exiting_stops_the_child(tmp_path: Path) -> None:
    child = _python(tmp_path, "import time; time.sleep(60)").start()
    with pytest.raises(UserError, match=r"helper failed at start \(port taken\); fix it"):
        child.wait_ready(lambda: False, fix="fix it", failed=lambda: "port taken")
    assert not child.alive()


def test_a_child_never_ready_times_out_and_is_stopped(tmp_path: Path) -> None:
    child = _python(tmp_path, "import time; time.sleep(60)").start()
    started = time.monotonic()
    with pytest.raises(UserError, match=r"helper did not become ready within 0.5s \(log: .*helper.log\); fix it"):
        child.wait_ready(lambda: False, timeout_s=0.5, fix="fix it")
    assert time.monotonic() - started < 10 and not child.alive()


def test_tail_lines_of_a_file_and_of_output(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("one\n\ntwo  \n\tgoroutine 1 [running]:\n\n")
    assert tail_lines(log, 2) == ["two", "\tgoroutine 1 [running]:"], "blank lines skipped, indentation kept"
    assert tail_lines("a\n\nb\nc\n", 2) == ["b", "c"]
    assert tail_lines(tmp_path / "missing.log") == []
    assert in_one_line(tail_lines(log, 3)) == "one | two | goroutine 1 [running]:"
    assert in_one_line([], "no output") == "no output"


def test_environ_without_drops_the_prefixes_only() -> None:
    base = {"AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "p", "PATH": "/bin", "HOME": "/root"}
    assert environ_without("AWS_", base=base) == {"PATH": "/bin", "HOME": "/root"}
