"""fault_effects: windows, expected errors and recovery times — on real Litestream v0.5.16 logs and on edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soak.fault_effects import L0_UPLOAD, LogEvent, analyze_fault_effects, fault_windows
from soak.fault_events import FaultEvent, iso_utc, read_fault_events
from tests.faults.log_lines import parse_litestream_log

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "faults"
T0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def ev(at: float, kind: str, event: str, **detail: object) -> FaultEvent:
    return FaultEvent(iso_utc((T0 + timedelta(seconds=at)).timestamp()), at, kind, event, dict(detail))  # type: ignore[arg-type]


def line(at: float, severity: str, text: str) -> LogEvent:
    return LogEvent(T0 + timedelta(seconds=at), "log", severity, text)


def upload(at: float, level: int = 0) -> LogEvent:
    return line(
        at, "info", f'level=INFO msg="ltx file uploaded" system=store db=test.db replica=s3 level={level} minTXID=1'
    )


def fixture(name: str) -> tuple[list[FaultEvent], list[LogEvent]]:
    d = FIXTURES / name
    return read_fault_events(d / "faults.log"), parse_litestream_log((d / "litestream.log").read_text())


def test_real_outage_run_recovers_after_the_outage() -> None:
    result = analyze_fault_effects(*fixture("outage")).to_json()
    outage = next(f for f in result["faults"] if f["kind"] == "outage")
    assert outage["length_s"] == pytest.approx(30, abs=1)
    assert 0 < outage["recovery_s"] < 60, "first L0 upload after S3 came back"
    assert result["summary"]["unrecovered"] == [] and result["summary"]["corruption_lines"] == 0
    assert result["summary"]["by_kind"] == {"latency": 1, "reset": 1, "http_error": 1, "outage": 1}


def test_real_kill_run_has_each_kill_recover_and_explains_its_errors() -> None:
    events, lines = fixture("kills")
    effects = analyze_fault_effects(events, lines)
    kills = [e for e in effects.effects if e.window.kind == "kill"]
    assert len(kills) == 3 and all(k.recovery_s is not None and 0 < k.recovery_s < 10 for k in kills)
    errors = [i for i, x in enumerate(lines) if x.severity == "error"]
    assert errors and all(effects.is_expected(i) for i in errors), (
        "the reset toxic explains 'compaction failed … reset'"
    )
    summary = effects.to_json()["summary"]
    assert summary["errors_caused"] >= len(errors) and summary["longest_recovery_s"] < 10


def test_real_uploads_are_recognised_as_l0() -> None:
    _, lines = fixture("kills-outage")
    assert sum(1 for x in lines if L0_UPLOAD.search(x.text)) > 100
    assert not L0_UPLOAD.search('level=INFO msg="ltx file uploaded" system=store level=1 minTXID=1')
    assert L0_UPLOAD.search('{"level":"INFO","msg":"ltx file uploaded","system":"store","level":0}')


def test_an_error_inside_a_kill_window_or_its_grace_is_expected_and_after_it_is_not() -> None:
    events = [ev(10, "kill", "inject", n=1), ev(15, "restart", "inject", n=1)]
    lines = [
        line(5, "error", 'msg="monitor error" error=boom'),
        line(12, "error", 'msg="monitor error" error="connection refused"'),
        line(40, "warn", 'msg="shutdown sync failed, retrying"'),
        line(50, "error", 'msg="monitor error" error=boom'),
        upload(17),
    ]
    effects = analyze_fault_effects(events, lines, grace_s=30)
    assert sorted(effects.expected) == [1, 2]
    kill = effects.effects[0]
    assert (kill.errors, kill.warnings, kill.recovery_s) == (1, 1, 2.0)


def test_corruption_is_never_expected_even_inside_a_window() -> None:
    events = [ev(0, "outage", "start", n=1), ev(30, "outage", "end", n=1)]
    lines = [
        line(10, "error", 'msg="compaction failed" error="nonsequential page numbers in snapshot transaction"'),
        line(11, "error", "wrong # of entries in index idx_load_test_timestamp"),
        line(12, "error", 'msg="restore failed" error="checksum mismatch"'),
    ]
    effects = analyze_fault_effects(events, lines)
    assert effects.expected == set() and effects.corruption == [0, 1, 2]
    assert effects.to_json()["summary"]["corruption_lines"] == 3


def test_a_whole_run_fault_excuses_only_errors_that_look_like_it() -> None:
    events = [ev(0, "http_error", "start", rate=0.1), ev(3, "http_error", "inject"), ev(100, "http_error", "end")]
    lines = [
        line(
            3, "error", 'msg="monitor error" error="operation error S3: PutObject, StatusCode: 503, api error SlowDown"'
        ),
        line(4, "error", 'msg="monitor error" error="disk I/O error"'),
        upload(9),
    ]
    effects = analyze_fault_effects(events, lines)
    assert effects.expected == {0}
    http = effects.effects[0]
    assert http.window.injected == 1 and http.errors == 1 and http.recovery_s == 6.0


def test_a_kill_never_followed_by_a_restart_or_upload_is_unrecovered() -> None:
    events = [ev(10, "kill", "inject", n=1), ev(20, "outage", "start", n=1), ev(30, "outage", "end", n=1)]
    result = analyze_fault_effects(events, [upload(5)]).to_json()
    assert result["summary"]["unrecovered"] == ["kill #1", "outage #1"]
    assert result["faults"][0]["end"] is None and result["summary"]["longest_recovery_s"] is None


def test_windows_pair_events_by_number() -> None:
    events = [
        ev(1, "kill", "inject", n=1),
        ev(2, "outage", "start", n=1),
        ev(3, "restart", "inject", n=1),
        ev(4, "kill", "inject", n=2),
        ev(5, "outage", "end", n=1),
        ev(6, "restart", "inject", n=2),
    ]
    spans = [(w.kind, w.n, w.start_elapsed_s, w.end_elapsed_s) for w in fault_windows(events)]
    assert spans == [("kill", 1, 1, 3), ("outage", 1, 2, 5), ("kill", 2, 4, 6)]
