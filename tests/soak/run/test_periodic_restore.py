"""Periodic restores judged against the source: stand-in restores that stall, lose a row, or go backwards.

The restores here are stand-ins (a copy of the source, or of an older copy, made with SQLite's backup API) so each
failure mode is exact; tests/soak/run/test_replica_checks_real.py runs the same cycles on a real litestream.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from common.processes import Child, run_to_log
from soak.faults.events import FaultEventLog
from soak.run.periodic_restore import PeriodicRestores, age_threshold_s
from soak.rundir import RunDir
from tests.support.lost_rows import write_load_test


def _times(n: int, end: float, rate: float = 10.0) -> dict[int, float]:
    """ids 1..n written at ``rate`` rows/s, the last one at ``end``."""
    return {i: end - (n - i) / rate for i in range(1, n + 1)}


def _copy(src: Path, dst: Path, *, drop: tuple[int, ...] = ()) -> int:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
        for row_id in drop:
            b.execute("DELETE FROM load_test WHERE id = ?", (row_id,))
    a.close()
    b.close()
    return 0


def _restorer(tmp_path: Path, source: Path, restore: object) -> PeriodicRestores:
    return PeriodicRestores(
        source=source,
        scratch=tmp_path / "scratch.db",
        out=tmp_path / "replica-restores.jsonl",
        restore=restore,  # type: ignore[arg-type]
        every_s=60,
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_load_test(tmp_path / "test.db", _times(200, time.time() - 0.5))


def test_a_current_replica_passes_with_its_age(tmp_path: Path, source: Path) -> None:
    periodic = _restorer(tmp_path, source, lambda out: _copy(source, out))
    periodic.sample(now=time.time() - 30)
    cycle = periodic.cycle()
    assert cycle["ok"], cycle["problem"]
    assert cycle["restored_max_id"] == 200 and cycle["digests_equal"] and cycle["integrity"] == "ok"
    assert 0 <= cycle["age_s"] < 5  # the newest row was written half a second before
    passed, detail, value = periodic.summary()
    assert passed and value == {"cycles": 1, "failed": 0, "max_age_s": cycle["age_s"]}
    assert "1 periodic restores, each a clean prefix of the source, up to id 200" in detail
    written = [json.loads(line) for line in (tmp_path / "replica-restores.jsonl").read_text().splitlines()]
    assert written == [cycle]
    ok, _, worst = periodic.age_check()
    assert ok and worst == cycle["age_s"]


def test_a_replica_that_stopped_advancing_fails_as_stalled(tmp_path: Path, source: Path) -> None:
    """The restore holds ids up to 150 while id 200 was committed long before the restore began."""
    frozen = tmp_path / "frozen.db"
    _copy(source, frozen)
    with sqlite3.connect(frozen) as conn:
        conn.execute("DELETE FROM load_test WHERE id > 150")
    conn.close()
    periodic = _restorer(tmp_path, source, lambda out: _copy(frozen, out))
    periodic.sample(now=time.time() - 30)  # the source's max id then: 200
    cycle = periodic.cycle()
    assert not cycle["ok"]
    assert "ids up to 150" in cycle["problem"] and "id 200" in cycle["problem"] and "stalled" in cycle["problem"]
    assert cycle["floor_id"] == 200 and cycle["restored_max_id"] == 150
    assert cycle["age_s"] > 5  # row 150 was written 5 s before row 200
    passed, detail, _ = periodic.summary()
    assert not passed and "1 of 1 periodic restores failed" in detail


def test_a_replica_that_lost_a_row_fails_naming_it(tmp_path: Path, source: Path) -> None:
    periodic = _restorer(tmp_path, source, lambda out: _copy(source, out, drop=(42,)))
    periodic.sample(now=time.time() - 30)
    cycle = periodic.cycle()
    assert not cycle["ok"]
    assert "missing ids 42 (1 row)" in cycle["problem"]
    assert cycle["lost_rows"]["missing_rows"] == 1 and not cycle["digests_equal"]


def test_a_replica_that_goes_backwards_fails(tmp_path: Path, source: Path) -> None:
    older = tmp_path / "older.db"
    _copy(source, older)
    with sqlite3.connect(older) as conn:
        conn.execute("DELETE FROM load_test WHERE id > 190")
    conn.close()
    restores = iter([source, older])
    periodic = _restorer(tmp_path, source, lambda out: _copy(next(restores), out))
    assert periodic.cycle()["ok"]  # no sample yet: no floor, a clean prefix up to 200
    second = periodic.cycle()
    assert not second["ok"] and "went backwards" in second["problem"] and "200" in second["problem"]


def test_a_failing_restore_is_a_failed_cycle(tmp_path: Path, source: Path) -> None:
    periodic = _restorer(tmp_path, source, lambda out: 1)
    cycle = periodic.cycle()
    assert not cycle["ok"] and cycle["problem"] == "litestream restore exited 1"


def test_no_cycle_at_all_is_no_pass(tmp_path: Path, source: Path) -> None:
    passed, detail, _ = _restorer(tmp_path, source, lambda out: 0).summary()
    assert not passed and "no periodic restore" in detail


def test_a_stale_replica_fails_replica_age(tmp_path: Path) -> None:
    """Every row held, but the newest was committed long ago: the age exceeds the threshold."""
    old = write_load_test(tmp_path / "old.db", _times(50, time.time() - 60))
    periodic = _restorer(tmp_path, old, lambda out: _copy(old, out))
    periodic.cycle()
    ok, detail, worst = periodic.age_check()
    assert not ok and worst is not None and worst > age_threshold_s()
    assert f"must be <= {age_threshold_s():g}s" in detail


def _faults(tmp_path: Path, *events: tuple[str, str, float, dict[str, object]]) -> Path:
    """A faults.log written by the soak's own writer: (kind, event, seconds from now, detail) each."""
    log = FaultEventLog(tmp_path / "logs" / "faults.log", run_started=time.time() - 600)
    for kind, event, offset, detail in events:
        log.record(kind, event, at=time.time() + offset, **detail)  # type: ignore[arg-type]
    return log.path


def test_a_restore_failing_during_a_fault_window_is_not_judged_but_all_failing_is_no_pass(
    tmp_path: Path, source: Path
) -> None:
    periodic = _restorer(tmp_path, source, lambda out: 1)
    periodic.restore_faults = "the S3 fault proxies (http://127.0.0.1:1234)"
    periodic.faults_log = _faults(tmp_path, ("outage", "start", -5, {"n": 1}))
    cycle = periodic.cycle()
    assert cycle["ok"] and cycle["restore_excused_by"].startswith("litestream restore exited 1 through the S3 fault")
    assert "during outage 1" in cycle["restore_excused_by"]
    passed, detail, _ = periodic.summary()
    assert not passed and "none of 1 periodic restores got through the S3 faults" in detail


def test_a_restore_failing_outside_every_fault_window_fails(tmp_path: Path, source: Path) -> None:
    periodic = _restorer(tmp_path, source, lambda out: 1)
    periodic.restore_faults = "the S3 fault proxies (http://127.0.0.1:1234)"
    periodic.faults_log = _faults(
        tmp_path,
        ("outage", "start", -60, {"n": 1}),
        ("outage", "end", -30, {"n": 1}),
        ("kill", "inject", -20, {"n": 1}),
        ("restart", "inject", -15, {"n": 1}),
        ("http_error", "start", -600, {"rate": 0.0}),  # the error proxy injecting nothing is no fault
    )
    cycle = periodic.cycle()
    assert not cycle["ok"] and cycle["problem"] == "litestream restore exited 1"
    assert "restore_excused_by" not in cycle


def test_a_whole_run_error_rate_is_one_window_and_says_so(tmp_path: Path, source: Path) -> None:
    periodic = _restorer(tmp_path, source, lambda out: 1)
    periodic.restore_faults = "the S3 fault proxies (http://127.0.0.1:1234)"
    periodic.faults_log = _faults(tmp_path, ("http_error", "start", -600, {"rate": 0.05}))
    cycle = periodic.cycle()
    assert cycle["ok"] and "the http_error fault active for the whole run" in cycle["restore_excused_by"]


def test_replica_age_is_not_judged_when_every_restore_fell_next_to_a_kill(tmp_path: Path, source: Path) -> None:
    """A kill 10 s before the restore excuses its floor, so its age says nothing: the check is made but not judged
    (passed None, never a pass); one restore clear of the kill judges the age again."""
    periodic = _restorer(tmp_path, source, lambda out: _copy(source, out))
    periodic.faults_log = _faults(tmp_path, ("kill", "inject", -10, {"n": 3}), ("restart", "inject", -8, {"n": 3}))
    cycle = periodic.cycle()
    assert cycle["ok"] and cycle["floor_excused_by"] == "kill 3 inject" and cycle["age_s"] is not None
    passed, detail, worst = periodic.age_check()
    assert passed is None and worst is None
    assert detail == (
        "all 1 periodic restores came within 36s of a kill, restart or outage; "
        "space the faults wider apart than that to judge it"
    )
    periodic.faults_log = _faults(tmp_path / "later")
    periodic.cycle()
    passed, detail, worst = periodic.age_check()
    assert passed is True and worst is not None and "over 1 restores" in detail


def test_a_restore_that_gets_through_the_faults_is_judged_in_full(tmp_path: Path, source: Path) -> None:
    periodic = _restorer(tmp_path, source, lambda out: _copy(source, out, drop=(7,)))
    periodic.restore_faults = "the S3 fault proxies (http://127.0.0.1:1234)"
    cycle = periodic.cycle()
    assert not cycle["ok"] and "missing ids 7 (1 row)" in cycle["problem"]


def test_stop_kills_the_restore_in_flight_and_judges_no_cut_off_cycle(tmp_path: Path, source: Path) -> None:
    """A restore that would run for a minute in its own session (a stand-in: only its process group matters here)."""
    children: list[Child] = []

    def slow_restore(out: Path) -> int:
        def started(child: Child) -> None:
            children.append(child)
            periodic.track(child)

        argv = [sys.executable, "-c", "import time; time.sleep(60)"]
        return run_to_log(argv, tmp_path / "restore.log", timeout_s=120, started=started)

    periodic = _restorer(tmp_path, source, slow_restore)
    periodic.every_s = 0.1
    periodic.start()
    deadline = time.monotonic() + 20
    while not children and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children, "the restore started"
    began = time.monotonic()
    periodic.stop(kill=True)
    assert time.monotonic() - began < 15, "stop() did not wait out the minute-long restore"
    assert not children[0].alive(), "the restore's process group is gone"
    assert periodic.cycles == [], "a cycle cut off by stop() is not judged"


def test_each_kind_of_restore_has_its_own_scratch_file(tmp_path: Path) -> None:
    dirs = RunDir(tmp_path)
    paths = {dirs.scratch_restore, dirs.pitr_restore, dirs.corrupt_restore}
    assert len(paths) == 3
