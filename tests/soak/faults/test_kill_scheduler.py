"""KillScheduler and FaultEventLog: kills and restarts on the jittered schedule, each one a faults.log line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from soak.faults.events import FaultEventLog, read_fault_events
from soak.faults.layer import FaultDriver, KillScheduler
from soak.faults.plan import KillPlan, parse_fault_options

STAND_IN = [sys.executable, "-c", "import time\nwhile True: time.sleep(0.05)"]


def test_event_log_writes_rundir_lines_and_drains_each_event_once(tmp_path: Path) -> None:
    clock = iter([1000.0, 1012.5, 1013.0]).__next__
    log = FaultEventLog(tmp_path / "logs" / "faults.log", run_started=1000.0, clock=clock)
    log.record("outage", "start", n=1)
    log.record("outage", "end", n=1)
    assert [e["event"] for e in log.drain()] == ["start", "end"]
    assert log.drain() == []
    log.record("kill", "inject", n=1)
    lines = [json.loads(x) for x in (tmp_path / "logs" / "faults.log").read_text().splitlines()]
    assert set(lines[0]) == {"t", "elapsed_s", "kind", "event", "detail"}
    assert lines[0]["t"] == "1970-01-01T00:16:40.000Z" and lines[1]["elapsed_s"] == 12.5
    assert [e.kind for e in read_fault_events(tmp_path / "logs" / "faults.log").events] == ["outage", "outage", "kill"]


def test_read_fault_events_skips_a_torn_last_line_and_counts_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "faults.log"
    good = '{"t": "2026-12-01T07:00:00.000Z", "elapsed_s": 1, "kind": "kill", "event": "inject"}\n'
    path.write_text(good + "not json\n" + '{"t": "soon", "kind": "kill", "event": "inject"}\n' + '{"t": "20')
    log = read_fault_events(path)
    assert [(e.kind, e.elapsed_s) for e in log.events] == [("kill", 1)]
    assert log.bad_lines == 3 and log.torn_last_line
    path.write_text(good + "[]\n")
    assert read_fault_events(path).bad_lines == 1 and not read_fault_events(path).torn_last_line
    assert read_fault_events(tmp_path / "absent.log").events == []


def test_scheduler_kills_at_planned_times_and_restarts_after_the_pause(tmp_path: Path) -> None:
    calls: list[str] = []
    events = FaultEventLog(tmp_path / "faults.log", run_started=time.time())
    plan = KillPlan(every_s=10, restart_after_s=3, times_s=(9.0, 21.0))
    sched = KillScheduler(
        plan, events, kill=lambda: calls.append("kill") or {"pid": 1}, restart=lambda: calls.append("up") or None
    )
    for t in (0, 8.9, 9.0, 10, 11.9):
        sched.tick(t)
    assert calls == ["kill"] and sched.is_down
    sched.tick(12.0)
    assert calls == ["kill", "up"] and not sched.is_down
    sched.tick(21.5)
    assert sched.finish()[0].detail["down_s"] is None  # brought back at once when the load stops
    assert calls == ["kill", "up", "kill", "up"]
    sched.tick(100)
    assert len(calls) == 4
    kinds = [(e.kind, e.detail["n"]) for e in read_fault_events(tmp_path / "faults.log").events]
    assert kinds == [("kill", 1), ("restart", 1), ("kill", 2), ("restart", 2)]


def test_driver_kills_and_restarts_a_real_process_on_schedule(tmp_path: Path) -> None:
    """A stand-in process in its own group is SIGKILLed and started again, on the jittered plan."""
    proc: list[subprocess.Popen[bytes]] = [subprocess.Popen(STAND_IN, start_new_session=True)]

    def kill() -> dict[str, int]:
        pid = proc[-1].pid
        os.killpg(pid, signal.SIGKILL)
        proc[-1].wait(5)
        return {"pid": pid}

    def restart() -> dict[str, int]:
        proc.append(subprocess.Popen(STAND_IN, start_new_session=True))
        return {"pid": proc[-1].pid}

    plan = parse_fault_options(6, kill_every="1.6s", restart_after="0.5s", fault_seed=5)
    assert plan is not None and plan.kill is not None
    events = FaultEventLog(tmp_path / "faults.log", run_started=time.time())
    sched = KillScheduler(plan.kill, events, kill, restart)
    driver = FaultDriver([sched], period=0.05)
    try:
        driver.start()
        time.sleep(6)
        driver.stop()
        sched.finish()
        logged = read_fault_events(tmp_path / "faults.log").events
        kills = [e for e in logged if e.kind == "kill"]
        restarts = [e for e in logged if e.kind == "restart"]
        assert len(kills) == len(plan.kill.times_s) >= 2 and len(restarts) == len(kills)
        for kill_ev, planned in zip(kills, plan.kill.times_s, strict=True):
            assert abs(kill_ev.elapsed_s - planned) < 0.4, (kill_ev.elapsed_s, planned)
        for kill_ev, restart_ev in zip(kills, restarts, strict=True):
            assert 0.45 <= restart_ev.elapsed_s - kill_ev.elapsed_s < 0.9
            assert (
                not psutil.pid_exists(kill_ev.detail["pid"])
                or psutil.Process(kill_ev.detail["pid"]).status() == "zombie"
            )
        assert proc[-1].poll() is None and len(proc) == len(kills) + 1
    finally:
        for p in proc:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)


def test_driver_hands_a_callback_failure_to_the_soak(tmp_path: Path) -> None:
    events = FaultEventLog(tmp_path / "faults.log", run_started=time.time())

    def kill() -> None:
        raise RuntimeError("no such process group")

    driver = FaultDriver([KillScheduler(KillPlan(1, 0.1, (0.0,)), events, kill, lambda: None)], period=0.05)
    driver.start()
    time.sleep(0.3)
    try:
        driver.stop()
    except Exception as exc:
        assert "no such process group" in str(exc)
    else:
        raise AssertionError("the failure was swallowed")
