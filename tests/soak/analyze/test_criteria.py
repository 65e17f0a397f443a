"""Each of the eight pass criteria passes on the real fixture run and fails when its evidence is bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from common.timestamps import iso_utc, parse_utc
from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import CRITERIA, Thresholds, judge, verdict
from soak.analyze.sections import rss_slope
from soak.analyze.shape import SHAPE_CRITERIA
from tests.support.analyze import copy_rundir, edit_json

FAST_MEMORY = Thresholds(memory_window_s=60)


def _criteria(run_dir: Path, th: Thresholds | None = None) -> dict[str, dict[str, Any]]:
    data = analyze_run(run_dir, th or Thresholds()).data
    return {c["name"]: c for c in data["criteria"]}


def _filter_log(run_dir: Path, needle: str) -> None:
    log = run_dir / "logs" / "litestream.log"
    log.write_text("".join(line for line in log.read_text().splitlines(keepends=True) if needle not in line))


def _append_log(run_dir: Path, *lines: str) -> None:
    with (run_dir / "logs" / "litestream.log").open("a") as out:
        out.writelines(line + "\n" for line in lines)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return copy_rundir(tmp_path)


def test_real_fixture_run_passes_seven_and_leaves_memory_unjudged(run: Path) -> None:
    data = analyze_run(run, Thresholds()).data
    got = {c["name"]: c["status"] for c in data["criteria"]}
    assert list(got) == list(CRITERIA + SHAPE_CRITERIA)
    assert got == {**dict.fromkeys(CRITERIA + SHAPE_CRITERIA, "pass"), "memory_stable": "na"}
    assert data["verdict"] == "pass"
    assert data["headline"] == "12/13 criteria passed; not judged: memory_stable"


def test_no_crash_fails_on_a_go_panic(run: Path) -> None:
    _append_log(
        run, "panic: runtime error: invalid memory address or nil pointer dereference", "goroutine 1 [running]:"
    )
    c = _criteria(run)["no_crash"]
    assert (c["status"], c["value"]) == ("fail", 1)


def test_no_crash_fails_on_result_crash(run: Path) -> None:
    edit_json(run / "result.json", crash={"process": "litestream", "exit_code": 2, "last_log_lines": []})
    assert _criteria(run)["no_crash"]["status"] == "fail"


def test_critical_errors_fail_when_an_operation_never_recovers(run: Path) -> None:
    line = (
        'time=2026-12-01T07:02:43.000Z level=ERROR msg="compaction failed" system=store db=test.db level=1 '
        'error="operation error S3: GetObject, https response error StatusCode: 500, api error InternalError: boom"'
    )
    _append_log(run, line)
    c = _criteria(run)["critical_errors"]
    assert (c["status"], c["value"], c["threshold"]) == ("fail", 1, 1)
    assert _criteria(run, Thresholds(max_critical=5))["critical_errors"]["status"] == "pass"


def test_steady_growth_fails_when_rows_stop(run: Path) -> None:
    metrics = run / "metrics.jsonl"
    ticks = [json.loads(line) for line in metrics.read_text().splitlines()]
    for tick in ticks[len(ticks) // 3 :]:
        tick["rows_total"] = ticks[len(ticks) // 3]["rows_total"]
    metrics.write_text("".join(json.dumps(t) + "\n" for t in ticks))
    c = _criteria(run)["steady_growth"]
    assert c["status"] == "fail" and c["value"] < 0.8


def test_the_idle_phases_ticks_are_no_windows_of_growth(run: Path) -> None:
    """--idle keeps the monitor ticking while nothing writes: those flat ticks failed a clean 30 s gate soak
    (6/10 windows). The idle phase's ticks are left out; flat ticks during the load still fail."""
    metrics = run / "metrics.jsonl"
    ticks = [json.loads(line) for line in metrics.read_text().splitlines()]
    last = ticks[-1]
    start = parse_utc(last["t"])
    assert start is not None
    idle = [{**last, "t": iso_utc(start + 5 * n), "elapsed_s": last["elapsed_s"] + 5 * n} for n in range(1, 20)]
    metrics.write_text("".join(json.dumps(t) + "\n" for t in ticks + idle))
    flat = _criteria(run)["steady_growth"]
    assert flat["status"] == "fail", "without the idle phase named, flat ticks are flat ticks"
    edit_json(run / "result.json", idle={"start": iso_utc(start + 1), "end": iso_utc(start + 100)})
    judged = _criteria(run)["steady_growth"]
    assert judged["status"] == "pass" and judged["value"] == 1.0


def test_snapshots_fail_without_enough_snapshot_lines(run: Path) -> None:
    assert _criteria(run)["snapshots"]["value"] == 3
    _filter_log(run, "snapshot complete")
    c = _criteria(run)["snapshots"]
    assert (c["status"], c["value"], c["threshold"]) == ("fail", 0, 2)


def test_snapshots_threshold_is_overridable(run: Path) -> None:
    assert _criteria(run, Thresholds(min_snapshots=4))["snapshots"]["status"] == "fail"


def test_compaction_levels_fail_when_a_required_level_never_compacts(run: Path) -> None:
    _filter_log(run, "level=3 txid.min")
    c = _criteria(run)["compaction_levels"]
    assert (c["status"], c["value"], c["threshold"]) == ("fail", 2, 3)
    assert "L3" in c["detail"]


def test_compaction_level_not_required_on_a_run_shorter_than_twice_its_interval(run: Path) -> None:
    edit_json(run / "run.json", config={"levels_s": [10, 30, 3600], "snapshot_interval_s": 60})
    c = _criteria(run)["compaction_levels"]
    assert (c["status"], c["threshold"]) == ("pass", 2)
    assert "not required" in c["detail"]


def test_restore_fails_when_the_restore_check_failed(run: Path) -> None:
    result = json.loads((run / "result.json").read_text())
    result["checks"] = [dict(c, passed=False) if c["name"] == "restore" else c for c in result["checks"]]
    (run / "result.json").write_text(json.dumps(result))
    assert _criteria(run)["restore"]["status"] == "fail"


def test_rows_and_digests_fail_on_a_mismatch(run: Path) -> None:
    result = json.loads((run / "result.json").read_text())
    result["tables"]["load_test"]["restored_sha256"] = "0" * 64
    (run / "result.json").write_text(json.dumps(result))
    c = _criteria(run)["rows_and_digests"]
    assert c["status"] == "fail" and "load_test" in c["detail"]


def _memory_sections(rss: list[tuple[float, float]]) -> dict[str, Any]:
    slope = rss_slope(rss)
    assert slope is not None
    res = {"rss_slope_pct_per_h": slope[0], "rss_second_half_s": slope[1]}
    return {
        "timeline": {"duration_s": rss[-1][0]},
        "errors": {},
        "database": {},
        "replication": {},
        "compaction": {},
        "validation": {},
        "resources": res,
    }


def test_memory_stable_passes_flat_and_fails_growing_rss() -> None:
    flat = [(t * 60.0, 50e6 + (t % 3) * 1e5) for t in range(60)]  # an hour, +-0.2 %
    growing = [(t * 60.0, 50e6 * (1 + 0.002 * t)) for t in range(60)]  # +12 %/h
    th = Thresholds()
    ok = next(c for c in judge(_memory_sections(flat), th) if c["name"] == "memory_stable")
    bad = next(c for c in judge(_memory_sections(growing), th) if c["name"] == "memory_stable")
    assert ok["status"] == "pass" and abs(ok["value"]) < 5
    assert bad["status"] == "fail" and bad["value"] > 5


def test_memory_stable_is_na_on_a_short_run_and_never_pass(run: Path) -> None:
    c = _criteria(run)["memory_stable"]
    assert c["status"] == "na" and c["value"] is not None and "too short" in c["detail"]
    assert _criteria(run, FAST_MEMORY)["memory_stable"]["status"] in ("pass", "fail")


def test_thresholds_scale_with_duration() -> None:
    th = Thresholds()
    assert th.critical_limit(8 * 3600) == 10
    assert th.critical_limit(4 * 3600) == 5
    assert th.critical_limit(180) == 1
    sections = {
        "timeline": {"duration_s": 8 * 3600.0, "litestream_span_s": 8 * 3600.0},
        "replication": {"snapshots": 38, "snapshot_interval_s": 600},
        "errors": {},
        "database": {},
        "compaction": {},
        "validation": {},
        "resources": {},
    }
    snap = next(c for c in judge(sections, th) if c["name"] == "snapshots")
    assert (snap["status"], snap["threshold"]) == ("pass", 38)  # 80 % of 48 snapshot intervals


def test_verdict_counts_na_apart() -> None:
    rows = [{"name": n, "status": "pass"} for n in CRITERIA[:7]] + [{"name": "memory_stable", "status": "na"}]
    assert verdict(rows) == ("pass", "7/8 criteria passed; not judged: memory_stable", None)
    rows[0]["status"] = "fail"
    assert verdict(rows)[0] == "fail"
    assert verdict([{"name": n, "status": "na"} for n in CRITERIA])[0] == "incomplete", "nothing judged is no pass"


def test_growth_windows_follow_samples_not_clock_edges(run: Path) -> None:
    """Three 60-s ticks (as soak.overnight writes them) are two growing stretches, whatever their jitter."""
    (run / "logs" / "load.log").unlink()
    metrics = run / "metrics.jsonl"
    ticks = [json.loads(line) for line in metrics.read_text().splitlines()]
    metrics.write_text("".join(json.dumps(t) + "\n" for t in (ticks[2], ticks[14], ticks[27])))
    c = _criteria(run)["steady_growth"]
    assert (c["status"], c["value"]) == ("pass", 1.0)
    assert "rows_total grew in 2/2" in c["detail"]


def test_growth_prefers_the_denser_load_log_when_metrics_are_sparse(run: Path) -> None:
    metrics = run / "metrics.jsonl"
    ticks = [json.loads(line) for line in metrics.read_text().splitlines()]
    metrics.write_text("".join(json.dumps(t) + "\n" for t in ticks[::9]))
    c = _criteria(run)["steady_growth"]
    assert c["status"] == "pass" and c["detail"].startswith("load.log writes grew in 10/10")
