"""Section 11: faults from logs/faults.log, expected errors inside windows, recovery time."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.timestamps import iso_utc, parse_utc
from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from soak.analyze.fault_windows import Fault, pair_events
from soak.faults.events import read_fault_events
from tests.support.analyze import LOGS, RUNDIR, copy_rundir


def _first_upload_at_or_after(log: Path, t: float) -> float:
    for line in log.read_text().splitlines():
        if 'msg="ltx file uploaded"' in line:
            lt = datetime.fromisoformat(line.split(" ", 1)[0][5:]).timestamp()
            if lt >= t:
                return lt
    raise AssertionError("no upload after the fault")


def _iso(t: float) -> str:
    return iso_utc(t)


def read_faults(path: Path, *, run_end: float) -> tuple[list[Fault], int]:
    """faults.log through its one reader, paired into windows as the analyzer does."""
    log = read_fault_events(path)
    return pair_events(log.events, run_end=run_end), log.bad_lines


def test_real_outage_window_and_recovery_time(tmp_path: Path) -> None:
    data = analyze_run(copy_rundir(tmp_path), Thresholds()).data
    section = data["sections"]["faults"]
    assert section["count"] == 1 and section["unrecovered"] == 0
    fault = section["faults"][0]
    end = parse_utc(fault["end"])
    assert end is not None
    expected = _first_upload_at_or_after(RUNDIR / "logs" / "litestream.log", end) - end
    assert abs(fault["recovery_s"] - expected) < 0.002
    assert fault["duration_s"] > 70 and fault["closed"]


def test_errors_inside_the_window_are_expected_not_critical(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    shutil.copy(LOGS / "text-outage.log", run / "logs" / "litestream.log")
    err = next(line for line in (LOGS / "text-outage.log").read_text().splitlines() if "level=ERROR" in line)
    t = datetime.fromisoformat(err.split(" ", 1)[0][5:]).timestamp()
    events = [
        {"t": _iso(t - 120), "elapsed_s": 60.0, "kind": "outage", "event": "start", "detail": {"target": "s3"}},
        {"t": _iso(t + 5), "elapsed_s": 185.0, "kind": "outage", "event": "end", "detail": {}},
        {"t": _iso(t + 30), "elapsed_s": 210.0, "kind": "http_error", "event": "inject", "detail": {"status": 503}},
    ]
    (run / "logs" / "faults.log").write_text("".join(json.dumps(e) + "\n" for e in events) + "not json\n")
    data = analyze_run(run, Thresholds()).data
    faults = data["sections"]["faults"]
    assert [f["kind"] for f in faults["faults"]] == ["outage", "http_error"]
    assert faults["faults"][0]["expected_errors"] == 1 and faults["bad_lines"] == 1
    assert faults["faults"][0]["recovery_s"] is not None
    errors = data["sections"]["errors"]
    assert (errors["expected"], errors["critical"], errors["transient"]) == (1, 0, 0)


def test_unclosed_fault_runs_to_the_end_of_the_run(tmp_path: Path) -> None:
    path = tmp_path / "faults.log"
    start = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    path.write_text(
        json.dumps({"t": _iso(start.timestamp()), "kind": "latency", "event": "start", "detail": {}}) + "\n"
    )
    end = (start + timedelta(minutes=5)).timestamp()
    faults, bad = read_faults(path, run_end=end)
    assert bad == 0 and len(faults) == 1
    assert faults[0].end == end and not faults[0].closed


def test_no_faults_log_no_faults_section(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    (run / "logs" / "faults.log").unlink()
    metrics = run / "metrics.jsonl"
    ticks = [json.loads(line) for line in metrics.read_text().splitlines()]
    metrics.write_text("".join(json.dumps({**t, "faults": []}) + "\n" for t in ticks))
    data = analyze_run(run, Thresholds()).data
    assert "faults" not in data["sections"]
    assert set(data["missing"]) == {"logs/faults.log"}  # run.json names fault options


def test_kill_restart_pairs_and_injects_inside_a_window_are_counted(tmp_path: Path) -> None:
    """The fault driver's pairing: kill -> restart, start -> end per detail.n, injects inside a window."""
    t0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC).timestamp()
    events = [
        {"t": _iso(t0), "kind": "kill", "event": "inject", "detail": {"n": 1, "signal": "SIGKILL"}},
        {"t": _iso(t0 + 5), "kind": "restart", "event": "inject", "detail": {"n": 1}},
        {"t": _iso(t0 + 10), "kind": "http_error", "event": "start", "detail": {"status": 503}},
        {"t": _iso(t0 + 11), "kind": "http_error", "event": "inject", "detail": {}},
        {"t": _iso(t0 + 12), "kind": "http_error", "event": "inject", "detail": {}},
        {"t": _iso(t0 + 20), "kind": "http_error", "event": "end", "detail": {}},
    ]
    path = tmp_path / "faults.log"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    faults, bad = read_faults(path, run_end=t0 + 60)
    assert bad == 0
    assert [(f.kind, f.end - f.start, f.closed) for f in faults] == [("kill", 5.0, True), ("http_error", 10.0, True)]
    assert faults[1].detail["injected"] == 2


def test_faults_from_metrics_when_faults_log_is_absent(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    (run / "logs" / "faults.log").unlink()
    data = analyze_run(run, Thresholds()).data  # the fixture's metrics.jsonl carries the two outage events
    assert data["sections"]["faults"]["faults"][0]["kind"] == "outage"
    assert data["missing"] == []


def test_corruption_is_never_expected(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    start = json.loads((run / "logs" / "faults.log").read_text().splitlines()[0])["t"]
    t = parse_utc(start)
    assert t is not None
    line = (
        f'time={_iso(t + 10)} level=ERROR msg="compaction failed" system=store db=test.db level=1 '
        'error="nonsequential page numbers in snapshot transaction"'
    )
    with (run / "logs" / "litestream.log").open("a") as out:
        out.write(line + "\n")
    errors = analyze_run(run, Thresholds()).data["sections"]["errors"]
    assert errors["errors_by_class"]["corruption"]["expected"] == 0


def test_a_torn_faults_log_is_read_by_the_one_reader(tmp_path: Path) -> None:
    """The analyzer reads faults.log through soak.faults.events: same events, same bad-line count."""
    run = copy_rundir(tmp_path)
    path = run / "logs" / "faults.log"
    with path.open("a") as out:
        out.write('garbage\n{"t": "2026-12-01T07:01:50.000Z", "kind": "kill", "ev')  # killed mid-line
    log = read_fault_events(path)
    assert log.bad_lines == 2 and log.torn_last_line and len(log.events) == 2
    section = analyze_run(run, Thresholds()).data["sections"]["faults"]
    assert section["bad_lines"] == log.bad_lines
    assert [f["kind"] for f in section["faults"]] == ["outage"] and section["faults"][0]["closed"]
