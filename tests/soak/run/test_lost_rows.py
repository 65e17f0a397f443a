"""Lost rows explained: real SQLite pairs, and the real v0.5.16 kill captures under tests/fixtures/faults."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

from rich.console import Console

from soak.faults.events import FaultEvent, read_fault_events
from soak.run import lost_rows
from soak.run.lost_rows import explain_difference
from soak.run.overnight import SoakRun, step_verify
from soak.rundir import RunDir
from soak.rundir_schema import ResultJson, written_problems
from tests.support.lost_rows import FAULTS, fault_fixture, schedule, write_load_test
from tests.support.soak import soak_params

T0 = "2026-12-04T17:00:00.000Z"


def _pair(tmp_path: Path, times: dict[int, float], **restore: object) -> tuple[Path, Path]:
    source = write_load_test(tmp_path / "test.db", times)
    restored = write_load_test(tmp_path / "restored.db", times, **restore)  # type: ignore[arg-type]
    return source, restored


def _kill(n: int, at: str) -> FaultEvent:
    return FaultEvent(t=at, kind="kill", event="inject", detail={"n": n, "signal": "SIGKILL"})


def test_missing_extra_and_changed_ids_come_as_ranges_with_write_times_and_the_nearest_kill(tmp_path: Path) -> None:
    # 10 rows a second from 17:00:00: id 41 at 17:00:04.0, id 45 at 17:00:04.4
    times = schedule([(1, T0), (201, "2026-12-04T17:00:20.000Z")])
    source = write_load_test(tmp_path / "test.db", {i: t for i, t in times.items() if i <= 200})
    restored = write_load_test(tmp_path / "restored.db", times, skip=[*range(41, 46), 90], changed=[60])
    kills = [_kill(1, "2026-12-04T17:00:04.600Z"), _kill(2, "2026-12-04T17:00:12.000Z")]
    diff = explain_difference(source, restored, faults=kills)
    data = diff.to_json()
    assert (data["source_rows"], data["restored_rows"]) == (200, 195)
    assert [(r["first_id"], r["last_id"], r["count"]) for r in data["missing"]] == [(41, 45, 5), (90, 90, 1)]
    assert [(r["first_id"], r["last_id"]) for r in data["changed"]] == [(60, 60)]
    assert [(r["first_id"], r["last_id"]) for r in data["extra"]] == [(201, 201)]
    first = data["missing"][0]
    assert (first["written_first"], first["written_last"]) == ("2026-12-04T17:00:04.000Z", "2026-12-04T17:00:04.400Z")
    assert first["nearest_fault"] == {
        "kind": "kill",
        "event": "inject",
        "n": 1,
        "t": "2026-12-04T17:00:04.600Z",
        "delta_s": -0.2,
    }
    assert first["explained"] == "ids 41-45 (5 rows), written 0.2 s before kill 1"
    assert data["missing"][1]["explained"] == "ids 90 (1 row), written 3.1 s before kill 2"
    assert data["extra"][0]["explained"] == "ids 201 (1 row), written 8.0 s after kill 2"
    assert data["summary"].startswith("missing ids 41-45 (5 rows), written 0.2 s before kill 1; missing ids 90")
    assert (data["missing_rows"], data["extra_rows"], data["changed_rows"]) == (6, 1, 1)
    assert written_problems(ResultJson, {"lost_rows": data}, "result.json") == []


def test_write_time_prefers_the_nanoseconds_of_text_field_over_the_timestamp_second() -> None:
    row = (7, b"x", "load_1764867638100123456", 1, 1764867638)
    assert lost_rows.written_at(row, 2, 4) == 1764867638.100123456
    assert lost_rows.written_at((7, b"x", "other", 1, 1764867638), 2, 4) == 1764867638.0
    assert lost_rows.written_at((7, b"x", None, 1, None), 2, 4) is None


def test_equal_tables_and_the_prefix_a_mid_load_restore_holds(tmp_path: Path) -> None:
    times = schedule([(1, T0), (100, "2026-12-04T17:00:10.000Z")])
    source, restored = _pair(tmp_path, times)
    assert explain_difference(source, restored).equal
    partial = write_load_test(tmp_path / "prefix.db", {i: t for i, t in times.items() if i <= 80 and i != 33})
    assert explain_difference(source, partial, upto_id=80).summary() == (
        "missing ids 33 (1 row), written 2026-12-04T17:00:03.232Z"
    )
    assert explain_difference(source, partial, upto_id=80).to_json()["source_rows"] == 80


def test_ranges_are_bounded_but_the_totals_count_every_row(tmp_path: Path) -> None:
    times = schedule([(1, T0), (400, "2026-12-04T17:00:40.000Z")])
    source, restored = _pair(tmp_path, times, skip=range(2, 400, 3))  # 133 single-id gaps
    diff = explain_difference(source, restored)
    data = diff.to_json()
    assert len(data["missing"]) == lost_rows.MAX_RANGES and data["missing_ranges"] == 133
    assert data["missing_rows"] == 133
    assert data["summary"].endswith("and 128 more missing ranges (133 rows in all)")


def test_a_damaged_restore_is_reported_not_raised(tmp_path: Path) -> None:
    times = schedule([(1, T0), (50, "2026-12-04T17:00:05.000Z")])
    source = write_load_test(tmp_path / "test.db", times)
    garbage = tmp_path / "restored.db"
    garbage.write_bytes(b"not a database" * 1000)
    diff = explain_difference(source, garbage)
    assert diff.error is not None and "DatabaseError" in diff.error and not diff.equal
    absent = tmp_path / "absent.db"
    assert explain_difference(source, absent).error == f"no restore database at {absent}"
    empty = tmp_path / "empty.db"
    write_load_test(empty, {})
    with sqlite3.connect(empty) as conn:
        conn.execute("DROP TABLE load_test")
    no_table = explain_difference(source, empty)
    assert no_table.error == "restore has no table load_test"
    assert no_table.to_json()["missing_rows"] == 50, "every source row is missing from a restore without the table"


# ------------------------------------------------------------------------------ the real kill captures (v0.5.16)
def test_kills_only_capture_puts_the_lost_ids_around_kill_3(tmp_path: Path) -> None:
    """tests/fixtures/faults/README.md: ids 4666-4669, written 07:19:59.873-.923, kill 3 at 07:19:59.877."""
    times = schedule(
        [(1, "2026-12-01T07:17:48.000Z"), (4666, "2026-12-01T07:19:59.873Z"), (4669, "2026-12-01T07:19:59.923Z"),
         (5400, "2026-12-01T07:20:17.000Z")]
    )  # fmt: skip
    source, restored = _pair(tmp_path, times, skip=range(4666, 4670))
    events = read_fault_events(FAULTS / "kills-only" / "faults.log").events
    diff = explain_difference(source, restored, faults=events)
    assert [(r.first_id, r.last_id) for r in diff.ranges["missing"]] == [(4666, 4669)]
    assert diff.summary() == "missing ids 4666-4669 (4 rows), written from 4 ms before to 46 ms after kill 3"
    fault = diff.ranges["missing"][0].nearest_fault
    assert fault is not None and (fault.n, fault.t, fault.delta_s) == (3, "2026-12-01T07:19:59.877Z", 0.0)


def test_kills_capture_names_kill_2_and_kill_3_not_the_injected_s3_errors_nearby(tmp_path: Path) -> None:
    """kills/: ids 3294-3297 and 4636-4641 in the second before the kills at 07:12:42 and 07:13:19 (README), with
    injected 503/500 answers at 07:12:31-33 and 07:13:08 in the same faults.log."""
    times = schedule(
        [(1, "2026-12-01T07:11:05.000Z"), (3294, "2026-12-01T07:12:41.300Z"), (3297, "2026-12-01T07:12:41.900Z"),
         (4636, "2026-12-01T07:13:18.600Z"), (4641, "2026-12-01T07:13:19.100Z"), (5341, "2026-12-01T07:13:40.000Z")]
    )  # fmt: skip
    source, restored = _pair(tmp_path, times, skip=[*range(3294, 3298), *range(4636, 4642)])
    events = read_fault_events(FAULTS / "kills" / "faults.log").events
    data = explain_difference(source, restored, faults=events).to_json()
    assert [(r["first_id"], r["last_id"], r["nearest_fault"]["n"]) for r in data["missing"]] == [
        (3294, 3297, 2),
        (4636, 4641, 3),
    ]
    assert [r["explained"] for r in data["missing"]] == [
        "ids 3294-3297 (4 rows), written 0.3 s before kill 2",
        "ids 4636-4641 (6 rows), written 0.3 s before kill 3",
    ]
    assert (data["source_rows"], data["restored_rows"]) == (5341, 5331)


# ------------------------------------------------------------------------------ the final verify step uses it
def test_the_verify_step_names_the_lost_ranges_in_its_checks_and_result_json(tmp_path: Path) -> None:
    params = soak_params(test_dir=str(tmp_path / "run"), replica="file")
    run = SoakRun(params=params, dirs=RunDir(params.test_dir).create(), console=Console(file=io.StringIO()))
    fault_fixture(run.dirs.root, "kills-only")
    times = schedule(
        [(1, "2026-12-01T07:19:50.000Z"), (4666, "2026-12-01T07:19:59.873Z"), (4700, "2026-12-01T07:20:01.000Z")]
    )
    write_load_test(run.dirs.db, times)
    write_load_test(run.dirs.restored, times, skip=range(4666, 4670))
    step_verify(run)
    checks = {c.name: c for c in run.result.checks}
    expected = "differ: load_test: missing ids 4666-4669 (4 rows), written from 4 ms before to 95 ms after kill 3"
    assert not checks["row_counts"].passed and checks["row_counts"].detail == expected
    assert checks["digests"].detail == expected
    assert run.result.lost_rows is not None and run.result.lost_rows["missing_rows"] == 4
    result = run.result.to_json()
    assert written_problems(ResultJson, json.loads(json.dumps(result)), "result.json") == []
    assert "load_test row by row: missing ids 4666-4669" in run.dirs.log("validate").read_text()


def test_the_verify_step_leaves_lost_rows_null_when_the_restore_is_equal(tmp_path: Path) -> None:
    params = soak_params(test_dir=str(tmp_path / "run"), replica="file")
    run = SoakRun(params=params, dirs=RunDir(params.test_dir).create(), console=Console(file=io.StringIO()))
    times = schedule([(1, T0), (30, "2026-12-04T17:00:03.000Z")])
    write_load_test(run.dirs.db, times)
    write_load_test(run.dirs.restored, times)
    step_verify(run)
    assert run.result.lost_rows is None and all(c.passed for c in run.result.checks)
