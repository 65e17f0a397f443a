"""A stopped gate leaves no ``go test`` behind: Litestream's race suite and its LTX behaviour suites run in their own
session, and a SIGTERM or Ctrl+C to the gate ends the whole group, the test binaries (and what they started) too.

A process-lifecycle test, so ``go`` is a stand-in here: a script that starts a grandchild (as ``go test`` starts the
test binary, which starts litestream) and prints one ``go test -json`` line. The real suites run in test_gotest.py,
test_upstream_suites.py and test_e2e.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.support.paths import PROJECT_ROOT

STAND_IN_GO = """#!/bin/sh
sleep 300 &
echo $! > "$GRANDCHILD_PID"
echo '{"Action":"start","Package":"github.com/benbjohnson/litestream"}'
wait
"""

RUNNERS = {
    "go_test": "from release.gate.go_test import run_go_test; run_go_test(src, out, heartbeat_s=3600)",
    "upstream_suites": (
        "from release.gate.upstream_suites import SuiteReport, _run_one\n"
        "report = SuiteReport(names=('TestLTXBehavior',), short=True, count=1)\n"
        "_run_one(src, 'TestLTXBehavior', report, out / 'events.jsonl', out / 'stderr.log',"
        " started=0.0, heartbeat_s=3600, say=print)"
    ),
}


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_gate_ends_go_test_and_its_grandchildren(tmp_path: Path, runner: str, sig: signal.Signals) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "go").write_text(STAND_IN_GO)
    (bin_dir / "go").chmod(0o755)
    pid_file = tmp_path / "grandchild.pid"
    code = f"from pathlib import Path\nsrc, out = Path({str(tmp_path)!r}), Path({str(tmp_path / 'out')!r})\n"
    code += "out.mkdir()\n" + RUNNERS[runner]
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GRANDCHILD_PID": str(pid_file)}
    gate = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (pid_file.is_file() and pid_file.read_text().strip()):
        assert gate.poll() is None, gate.communicate()
        assert time.monotonic() < deadline, "the stand-in go never started its grandchild"
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    time.sleep(0.5)  # the runner reads the first line and waits for more
    gate.send_signal(sig)  # to the gate only, as `kill` or a CI runner's cancel sends it; not to its process group
    _, stderr = gate.communicate(timeout=30)
    assert gate.returncode != 0
    assert "KeyboardInterrupt" in stderr
    deadline = time.monotonic() + 15
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild), "the test binary's stand-in outlived the stopped gate"
