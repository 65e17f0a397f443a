"""The replica checks on a real litestream (the ``litestream`` fixture: the pinned release in CI): periodic restores
pass while it replicates and fail as stalled once it is frozen; a point-in-time restore equals its recorded point; a
truncated LTX object fails the restore with an error."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soak.run.corrupt_object import FileScratch, check_corrupt_object
from soak.run.periodic_restore import PeriodicRestores
from soak.run.pitr import restore_point
from soak.rundir import RunDir
from tests.support.litestream import RealLitestream
from tests.support.litestream_replica import Replicated, replicated

pytestmark = pytest.mark.litestream


@pytest.fixture
def rep(tmp_path: Path, litestream: RealLitestream) -> Iterator[Replicated]:
    yield from replicated(tmp_path, litestream.litestream)


def _wait(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _periodic(tmp_path: Path, rep: Replicated) -> PeriodicRestores:
    return PeriodicRestores(
        source=rep.db,
        scratch=tmp_path / "scratch.db",
        out=tmp_path / "replica-restores.jsonl",
        restore=rep.restore,
        every_s=60,
    )


def test_periodic_restores_pass_while_replicating_and_catch_a_frozen_litestream(
    tmp_path: Path, rep: Replicated
) -> None:
    periodic = _periodic(tmp_path, rep)
    rep.writing.set()
    _wait(lambda: rep.replica.exists() and rep.rows() > 50)
    for _ in range(20):  # samples of the source's max id over ~8 s
        periodic.sample()
        time.sleep(0.4)
    first = periodic.cycle()
    assert first["ok"], first["problem"]
    assert first["restored_max_id"] >= first["floor_id"] > 0 and first["digests_equal"]
    assert first["age_s"] < 5

    assert rep.proc is not None
    os.kill(rep.proc.pid, signal.SIGSTOP)  # the replica stops advancing; the load goes on
    try:
        stalled_at = time.time()
        while time.time() - stalled_at < 9:
            periodic.sample()
            time.sleep(0.4)
        second = periodic.cycle()
    finally:
        os.kill(rep.proc.pid, signal.SIGCONT)
    assert not second["ok"] and "stalled" in second["problem"], second
    assert second["restored_max_id"] < second["floor_id"]
    passed, detail, value = periodic.summary()
    assert not passed and value["failed"] == 1 and "cycle 2" in detail


def test_a_point_in_time_restore_equals_its_recorded_point(tmp_path: Path, rep: Replicated) -> None:
    """Writes pause for 3 s around the recorded point, so the replica as of then holds exactly the rows counted."""
    rep.writing.set()
    _wait(lambda: rep.replica.exists() and rep.rows() > 40)
    rep.writing.clear()
    time.sleep(3)  # > one sync interval: everything written is replicated
    point: dict[str, Any] = {"t": "", "epoch": time.time(), "txid": 0, "rows": rep.rows()}
    time.sleep(1)
    rep.writing.set()
    _wait(lambda: rep.rows() > point["rows"] + 40)
    time.sleep(3)
    dirs = RunDir(tmp_path)
    entry = restore_point(dirs, point, "timestamp", lambda out, *o: rep.restore(out, *o), retention_s=3600)
    assert entry["ok"], entry
    assert entry["restored_max_id"] == point["rows"] and entry["matches_tick_rows"]
    # A later point while the writes go on (litestream refuses a timestamp after its newest LTX file: 2 s back).
    later = {**point, "epoch": time.time() - 2}
    latest = restore_point(dirs, later, "timestamp", lambda out, *o: rep.restore(out, *o), 3600)
    assert latest["ok"] and latest["restored_max_id"] > point["rows"], json.dumps(latest)


def test_a_point_in_time_restore_that_holds_other_rows_fails(tmp_path: Path, rep: Replicated) -> None:
    """A restore asked for an early point that returns the latest state is caught by the point's ceiling."""
    rep.writing.set()
    _wait(lambda: rep.replica.exists() and rep.rows() > 40)
    early: dict[str, Any] = {"t": "", "epoch": time.time() - 0.5, "txid": 0, "rows": rep.rows()}
    _wait(lambda: rep.rows() > early["rows"] + 60)
    time.sleep(3)
    ignoring_the_point = restore_point(RunDir(tmp_path), early, "timestamp", lambda out, *o: rep.restore(out), 3600)
    assert not ignoring_the_point["ok"]
    assert "newer than the newest row committed by the point" in ignoring_the_point["problem"]


def test_a_truncated_ltx_object_makes_the_restore_fail_with_an_error(tmp_path: Path, rep: Replicated) -> None:
    rep.writing.set()
    _wait(lambda: rep.replica.exists() and rep.rows() > 60)
    rep.writing.clear()
    time.sleep(3)
    scratch = FileScratch(rep.replica)
    log = tmp_path / "corrupt.log"
    passed, detail, value = check_corrupt_object(scratch, rep.binary, rep.db, tmp_path / "corrupt.db", log, None)
    assert passed, detail
    assert value["exit_code"] != 0 and value["truncated_to"] == value["bytes"] // 2
    assert not scratch.scratch.exists(), "the damaged copy is deleted after the check"
    assert "panic:" not in log.read_text() and value["exit_code"] == 1, "a clean error, no crash"
    assert (rep.replica / "ltx" / str(value["level"]) / value["name"]).stat().st_size == value["bytes"], (
        "original intact"
    )


def test_a_point_before_the_replica_began_is_refused_by_litestream_itself(tmp_path: Path, rep: Replicated) -> None:
    """A timestamp older than every LTX file: v0.5.16 says "timestamp does not exist", the one refusal accepted."""
    before = time.time() - 60
    rep.writing.set()
    _wait(lambda: rep.replica.exists() and rep.rows() > 20)
    time.sleep(2)
    point: dict[str, Any] = {"t": "", "epoch": before, "txid": 1, "rows": 1}
    dirs = RunDir(tmp_path)
    entry = restore_point(dirs, point, "timestamp", lambda out, *o: rep.restore(out, *o), retention_s=10, log=rep.log)
    assert entry["ok"] and entry["exit_code"] == 1, entry
    assert "Error: timestamp does not exist" in entry["note"]
