"""The replica's shape criteria pass on healthy real v0.5.16 runs and fail on broken shapes.

Healthy: tests/fixtures/shape/burst (a real 2-minute ``--profile burst --schedule fast`` soak) and
tests/fixtures/rundir (a real run with an S3 outage). Failing cases are the real outage run without its faults.log,
or cases BUILT BY HAND from the healthy burst log where no real failing log exists here (each test says so).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds, verdict
from soak.analyze.render.html import render_html
from soak.analyze.render.text import render_markdown, render_text
from soak.analyze.shape import SHAPE_CRITERIA, assess, derive_bounds
from soak.analyze.shape_log import scan_shape
from tests.support.paths import FIXTURES

BURST = FIXTURES / "shape" / "burst"
RUNDIR = FIXTURES / "rundir"


def _run_json(run: Path = BURST) -> dict[str, Any]:
    return json.loads((run / "run.json").read_text())  # type: ignore[no-any-return]


def _wal_peak(run: Path = BURST) -> int:
    return max(json.loads(line).get("wal_peak_bytes") or 0 for line in (run / "metrics.jsonl").open())


def _judge(log: Path, *, wal_peak: int | None = None, run: Path = BURST, **config: Any) -> dict[str, dict[str, Any]]:
    data = _run_json(run)
    criteria, _ = assess(
        log, {**data["config"], **config}, data["params"], None, _wal_peak(run) if wal_peak is None else wal_peak
    )
    return {c["name"]: c for c in criteria}


def _edited(tmp_path: Path, edit: Any) -> Path:
    """A copy of the healthy burst log with ``edit(lines) -> lines`` applied."""
    lines = (BURST / "logs" / "litestream.log").read_text().splitlines(keepends=True)
    out = tmp_path / "litestream.log"
    out.write_text("".join(edit(lines)))
    return out


def _time_of(line: str) -> str:
    match = re.match(r"time=(\S+)", line)
    assert match
    return match.group(1)


def _shift(stamp: str, ms: int) -> str:
    """An RFC 3339 ``...SS.mmmZ`` time ``ms`` milliseconds later (within the same minute in these tests)."""
    head, frac = stamp[:17], stamp[17:-1]
    total = round(float(frac) * 1000) + ms
    return f"{head}{total // 1000:02d}.{total % 1000:03d}Z"


# ------------------------------------------------------------------------------------------------ healthy runs
def test_every_shape_criterion_passes_on_the_real_burst_run() -> None:
    results = _judge(BURST / "logs" / "litestream.log")
    assert [results[name]["status"] for name in SHAPE_CRITERIA] == ["pass"] * 5, results


def test_the_scan_counts_what_grep_counts_in_the_real_log() -> None:
    log = BURST / "logs" / "litestream.log"
    text = log.read_text().splitlines()
    events = scan_shape(log)
    assert len(events.l0_sizes) == sum('"ltx file uploaded"' in x and " level=0 " in x for x in text)
    assert len(events.checkpoints) == sum(" msg=checkpoint " in x for x in text)
    assert len(events.snapshot_times) == sum('"snapshot complete"' in x for x in text)
    assert len(events.compaction_times[1]) == sum('"compaction complete"' in x and " level=1 " in x for x in text)
    assert len(events.snap_syncs) == sum(" msg=sync " in x and " snap=true" in x for x in text)
    sizes = sorted((int(x.rsplit("size=", 1)[1]) for x in text if '"ltx file uploaded"' in x), reverse=True)
    assert [f.size for f in events.largest_l0] == sizes[:5]


def test_analysis_of_the_real_outage_run_judges_all_five_and_renders_them(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(RUNDIR, run)
    data = analyze_run(run, Thresholds()).data
    shape = {c["name"]: c for c in data["criteria"] if c["name"] in SHAPE_CRITERIA}
    assert {name: c["status"] for name, c in shape.items()} == dict.fromkeys(SHAPE_CRITERIA, "pass")
    largest = data["sections"]["shape"]["largest_l0"]
    assert largest and largest[0]["min_txid"] and largest[0]["at"] and largest[0]["bytes"] >= largest[-1]["bytes"]
    assert data["sections"]["shape"]["cadence_not_judged_in"], "the outage's window is said"
    for text in (render_text(data), render_markdown(data), render_html(data, {})):
        assert all(name in text for name in SHAPE_CRITERIA) and "Replica shape" in text


# ------------------------------------------------------------------------------------------------ l0_size
def test_l0_size_fails_when_l0_files_are_snapshot_sized(tmp_path: Path) -> None:
    """Built by hand: every fifth L0 upload line of the healthy log gets 21 MB, the largest L0 of the bad build
    issue 16 quotes (no real log of that build is kept here)."""

    def inflate(lines: list[str]) -> list[str]:
        out, n = [], 0
        for line in lines:
            if '"ltx file uploaded"' in line and " level=0 " in line:
                n += 1
                if n % 5 == 0:
                    line = re.sub(r"size=\d+", "size=22020096", line)
            out.append(line)
        return out

    result = _judge(_edited(tmp_path, inflate))["l0_size"]
    assert result["status"] == "fail"
    assert "22020096 B" in result["detail"]


def test_l0_bound_comes_from_the_load_not_a_profile() -> None:
    params = _run_json()["params"]
    config = _run_json()["config"]
    base = derive_bounds(config, params, 4096, True)
    doubled = derive_bounds(config, {**params, "write_rate": params["write_rate"] * 2}, 4096, True)
    bigger_rows = derive_bounds(config, {**params, "payload_size": params["payload_size"] * 4}, 4096, True)
    assert base.l0_pages and doubled.l0_pages and bigger_rows.l0_pages
    assert doubled.l0_pages > base.l0_pages and bigger_rows.l0_pages > base.l0_pages
    slower = derive_bounds({**config, "checkpoint_interval_s": 60}, params, 4096, True)
    assert slower.wal_bytes and base.wal_bytes and slower.wal_bytes > base.wal_bytes


# ------------------------------------------------------------------------------------------------ snapshot_cadence
def _checkpoint_then_snapshot(mode: str, reason: str) -> Any:
    """Built by hand: a real PASSIVE checkpoint line of the healthy log (its mode set to ``mode``), then, 1 ms
    later, a ``sync`` line with ``snap=true`` and ``reason`` as db.go writes it."""

    def edit(lines: list[str]) -> list[str]:
        out, done = [], False
        for line in lines:
            if not done and " msg=checkpoint " in line and "07:52:3" in line:
                line = line.replace("mode=PASSIVE", f"mode={mode}")
                out.append(line)
                at = _shift(_time_of(line), 1)
                out.append(
                    f"time={at} level=DEBUG msg=sync system=store db=test.db txid=0000000000000040 offset=32 snap=true "
                    f'reason="{reason}"\n'
                )
                done = True
                continue
            out.append(line)
        assert done
        return out

    return edit


def test_snapshot_right_after_a_checkpoint_fails_snapshot_cadence(tmp_path: Path) -> None:
    edit = _checkpoint_then_snapshot("PASSIVE", "full or restart checkpoint detected, snapshotting")
    result = _judge(_edited(tmp_path, edit))["snapshot_cadence"]
    assert result["status"] == "fail"
    assert "0.001s after a PASSIVE checkpoint" in result["detail"]


def test_truncate_boundary_snapshot_is_expected_as_upstream_says(tmp_path: Path) -> None:
    edit = _checkpoint_then_snapshot("TRUNCATE", "checkpoint boundary snapshot")
    assert _judge(_edited(tmp_path, edit))["snapshot_cadence"]["status"] == "pass"


def test_boundary_snapshot_without_a_checkpoint_before_it_fails(tmp_path: Path) -> None:
    """Built by hand: the same boundary snapshot, with the checkpoint line removed."""
    edit = _checkpoint_then_snapshot("TRUNCATE", "checkpoint boundary snapshot")

    def without_it(lines: list[str]) -> list[str]:
        return [line for line in edit(lines) if "mode=TRUNCATE" not in line]

    result = _judge(_edited(tmp_path, without_it))["snapshot_cadence"]
    assert result["status"] == "fail" and "without a checkpoint before it" in result["detail"]


def test_too_many_snapshots_fail_snapshot_cadence(tmp_path: Path) -> None:
    """Built by hand: each real ``snapshot complete`` line repeated 5 s and 10 s later (snapshots every 5 s)."""

    def triple(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            out.append(line)
            if '"snapshot complete"' in line and float(_time_of(line)[17:-1]) < 45:
                for ms in (5000, 10000):
                    out.append(line.replace(_time_of(line), _shift(_time_of(line), ms)))
        return out

    result = _judge(_edited(tmp_path, triple))["snapshot_cadence"]
    assert result["status"] == "fail"
    assert "more than" in result["detail"] and "under 15s" in result["detail"]


# ------------------------------------------------------------------------------------------------ compaction_cadence
def test_compaction_stalled_by_a_real_outage_fails_when_the_outage_is_not_known(tmp_path: Path) -> None:
    """Real: the fixture run's 75-s S3 outage held level-2 compaction back for 137 s. With its faults.log the
    interval is excused (it says nothing about cadence); without it (faults.log and the metrics' fault events
    removed), compaction_cadence fails."""
    run = tmp_path / "run"
    shutil.copytree(RUNDIR, run)
    (run / "logs" / "faults.log").unlink()
    ticks = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    (run / "metrics.jsonl").write_text("".join(json.dumps({**tick, "faults": []}) + "\n" for tick in ticks))
    result = {c["name"]: c for c in analyze_run(run, Thresholds()).data["criteria"]}["compaction_cadence"]
    assert result["status"] == "fail"
    assert "L2" in result["detail"] and "worst 137" in result["detail"]


def test_compaction_with_too_few_events_is_na_not_pass(tmp_path: Path) -> None:
    """Built by hand: the healthy log with all but three compaction lines of every level removed."""

    def few(lines: list[str]) -> list[str]:
        seen: dict[str, int] = {}
        out = []
        for line in lines:
            if '"compaction complete"' in line:
                level = line.split("compaction complete", 1)[1].split("level=", 1)[1].split()[0]
                seen[level] = seen.get(level, 0) + 1
                if seen[level] > 3:
                    continue
            out.append(line)
        return out

    assert _judge(_edited(tmp_path, few))["compaction_cadence"]["status"] == "na"


# ------------------------------------------------------------------------------------------------ wal_bounded
def test_wal_peak_over_the_derived_bound_fails_and_no_samples_is_na() -> None:
    """Built by hand: a WAL peak one byte over the bound derived from the run's config and load."""
    log = BURST / "logs" / "litestream.log"
    bound = _judge(log)["wal_bounded"]["threshold"]
    assert isinstance(bound, int) and bound > _wal_peak()
    assert _judge(log, wal_peak=bound + 1)["wal_bounded"]["status"] == "fail"
    data = _run_json()
    criteria, _ = assess(log, data["config"], data["params"], None, None)
    assert {c["name"]: c for c in criteria}["wal_bounded"]["status"] == "na"


# ------------------------------------------------------------------------------------------------ checkpoints
def test_no_checkpoint_in_a_debug_log_fails_and_no_debug_at_all_is_na(tmp_path: Path) -> None:
    """Built by hand: the healthy log without its checkpoint lines (fail), then without any DEBUG line (na)."""
    no_cp = _edited(tmp_path, lambda lines: [x for x in lines if " msg=checkpoint " not in x])
    assert _judge(no_cp)["checkpoints_observed"]["status"] == "fail"
    info = tmp_path / "info.log"
    info.write_text("".join(x for x in no_cp.read_text().splitlines(keepends=True) if " level=DEBUG " not in x))
    assert _judge(info)["checkpoints_observed"]["status"] == "na"


# ------------------------------------------------------------------------------------------------ verdict
@pytest.mark.parametrize("name", SHAPE_CRITERIA)
def test_a_failed_shape_criterion_fails_the_verdict_and_na_never_passes(name: str) -> None:
    base = [{"name": n, "status": "pass", "detail": ""} for n in ("restore", "rows_and_digests")]
    failed = [*base, {"name": name, "status": "fail", "detail": "x"}]
    assert verdict(failed)[0] == "fail"
    na = [*base, {"name": name, "status": "na", "detail": "x"}]
    assert verdict(na)[1].endswith(f"not judged: {name}")
