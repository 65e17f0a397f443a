"""Process lifecycle with stand-in executables: crashes seen within one tick, interrupts, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.support.paths import PROJECT_ROOT
from tests.support.rundir import problems_in
from tests.support.soak import FAKE_CREDS, STANDINS, clean_environ

INTERVAL_S = 5


def start_soak(run_dir: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``invoke soak.overnight`` with the stand-ins, in its own process group like a terminal job."""
    argv = [sys.executable, "-m", "invoke", "soak.overnight", "--bin", str(STANDINS), "--test-dir", str(run_dir)]
    argv += ["--initial-size", "1KB", "--interval", f"{INTERVAL_S}s", *extra]
    return subprocess.Popen(
        argv,
        cwd=PROJECT_ROOT,
        env={**clean_environ(), **FAKE_CREDS, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live descendant; processes that vanish meanwhile are skipped."""
    found = []
    for kid in psutil.Process(pid).children(recursive=True):
        try:
            found.append((kid.pid, " ".join(kid.cmdline())))
        except psutil.Error:
            continue
    return found


def sid_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except ProcessLookupError:
        return None


def wait_for_phase(proc: subprocess.Popen[str], run_dir: Path, timeout: float = 60) -> list[int]:
    """Wait until the monitor runs (load started); return the sessions of the harness's children."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = descendants(proc.pid)
        if any(" load -db " in cmd for _, cmd in kids):
            return sorted({s for s in (sid_of(pid) for pid, _ in kids) if s is not None})
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError("the soak never reached the load")


def leftovers(sessions: list[int]) -> list[str]:
    """Processes still alive in any of the children's sessions (each child leads its own)."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if sid_of(p.pid) in sessions and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(f"{p.pid} {' '.join(p.info['cmdline'] or [])}")
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def result_of(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "result.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("env", "process", "marker"),
    [
        ({"STANDIN_LITESTREAM_CRASH_AFTER": "3"}, "litestream", "panic: stand-in litestream crashed"),
        ({"STANDIN_LOAD_CRASH_AFTER": "3"}, "litestream-test load", "integer divide by zero"),
    ],
)
def test_crash_is_seen_within_one_tick(tmp_path: Path, env: dict[str, str], process: str, marker: str) -> None:
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--replica", "file", "--duration", "2m", env=env)
    sessions = wait_for_phase(proc, run_dir)
    seen = time.monotonic()
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 1, err
    assert time.monotonic() - seen < 3 + INTERVAL_S + 5, "the crash must end the run within one tick"
    result = result_of(run_dir)
    assert result["status"] == "fail" and result["phase"] == "monitor"
    assert result["crash"]["process"] == process and result["crash"]["exit_code"] == 2
    assert any(marker in line for line in result["crash"]["last_log_lines"])
    assert [c["name"] for c in result["checks"] if not c["passed"]] == ["no_crash"]
    assert problems_in(run_dir) == [], "run.json, metrics.jsonl and result.json match the schema exactly"
    assert leftovers(sessions) == [], "the stand-in's grandchild (sleep) must be gone with its group"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_keeps_artifacts_and_leaves_no_process(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """The embedded moto server, litestream and the load (and their children) all go; result says so."""
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--duration", "5m")
    sessions = wait_for_phase(proc, run_dir)
    assert len(sessions) >= 3, "moto, litestream and the load each in their own session"
    time.sleep(1)
    os.killpg(proc.pid, sig)  # as a terminal's Ctrl+C does: the whole foreground group
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == code, err
    assert "Traceback" not in err + out
    result = result_of(run_dir)
    assert result["status"] == "interrupted" and result["phase"] == "monitor"
    assert sig.name in result["reason"]
    assert f"artifacts in {run_dir}" in out
    for kept in ("run.json", "litestream.yml", "test.db", "logs/litestream.log", "logs/load.log", "logs/s3.log"):
        assert (run_dir / kept).exists(), kept
    assert json.loads((run_dir / "run.json").read_text())["ended_at"]
    assert problems_in(run_dir) == []
    assert leftovers(sessions) == []


def test_interrupt_during_populate_writes_interrupted(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    slow = tmp_path / "bin"
    slow.mkdir()
    (slow / "litestream").symlink_to(STANDINS / "litestream")
    (slow / "litestream-test").write_text(
        "#!/bin/sh\n[ \"$1\" = version ] && { echo 'litestream-test slow'; exit 0; }\nexec sleep 300\n"
    )
    (slow / "litestream-test").chmod(0o755)
    argv = [sys.executable, "-m", "invoke", "soak.overnight", "--bin", str(slow), "--test-dir", str(run_dir)]
    proc = subprocess.Popen(
        [*argv, "--replica", "file"],
        cwd=PROJECT_ROOT,
        env=clean_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any("sleep" in cmd for _, cmd in descendants(proc.pid)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    sessions = [s for s in (sid_of(pid) for pid, _ in descendants(proc.pid)) if s is not None]
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    result = result_of(run_dir)
    assert (result["status"], result["phase"]) == ("interrupted", "populate")
    assert leftovers(sessions) == []
