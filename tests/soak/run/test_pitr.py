"""Which monitor ticks the point-in-time restores use, and how a refused restore counts (stand-in restores; the
real ones are in test_replica_checks_real.py)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from common.timestamps import iso_utc, parse_utc
from soak.run.pitr import PITR_LOG, judge_pitr, points
from soak.run.replica_view import committed_by
from soak.rundir import RunDir
from tests.support.lost_rows import write_load_test


def _metrics(path: Path, ticks: list[tuple[float, float, int | None, int]]) -> None:
    """(epoch, elapsed_s, replica txid, load_test rows) per tick."""
    lines = [
        json.dumps({"t": iso_utc(t), "elapsed_s": e, "txid": {"replica": x}, "rows": {"load_test": r}})
        for t, e, x, r in ticks
    ]
    path.write_text("\n".join(lines) + "\n")


def _refusing(dirs: RunDir, message: str = "Error: timestamp does not exist", code: int = 1) -> object:
    """A stand-in restore that prints what litestream v0.5.16 prints when it refuses a point, and exits ``code``."""

    def restore(out: Path, *options: str) -> int:
        with dirs.log(PITR_LOG).open("a") as fh:
            fh.write(f"litestream restore {' '.join(options)}\n{message}\n")
        return code

    return restore


def _timestamps_only(dirs: RunDir, short_by_s: float = 0.0) -> object:
    """A stand-in restore as v0.5.16 behaves past l0-retention: -txid refused ("no matching backup files available"),
    -timestamp T restored as the source's rows committed by T - ``short_by_s``."""
    refuse = _refusing(dirs, "Error: no matching backup files available")

    def restore(out: Path, *options: str) -> int:
        if options[0] == "-txid":
            return refuse(out, *options)  # type: ignore[operator]
        upto = committed_by(dirs.db, (parse_utc(options[1]) or 0.0) - short_by_s)
        with sqlite3.connect(dirs.db) as src, sqlite3.connect(out) as dst:
            src.backup(dst)
            dst.execute("DELETE FROM load_test WHERE id > ?", (upto,))
        src.close()
        dst.close()
        return 0

    return restore


def test_points_spread_over_the_load_and_leave_out_idle_ticks(tmp_path: Path) -> None:
    now = time.time()
    ticks: list[tuple[float, float, int | None, int]] = [
        (now - 600 + 60 * i, 60.0 * i, i, 100 * i) for i in range(1, 11)
    ]
    ticks.append((now - 600 + 60 * 10 + 30, 630.0, 11, 1000))  # idle tick after a 600 s load
    ticks.append((now - 100, 40.0, None, 50))  # no replica TXID: unusable
    _metrics(tmp_path / "metrics.jsonl", ticks)
    chosen = points(tmp_path / "metrics.jsonl", 3, load_s=600)
    assert [p["txid"] for p in chosen] == [9, 5, 1]  # newest first: last (before the deadline tick), middle, first
    assert [p["rows"] for p in chosen] == [900, 500, 100]
    assert len(points(tmp_path / "metrics.jsonl", 20, load_s=600)) == 9


def test_a_refused_point_within_retention_fails_and_an_expired_one_is_noted(tmp_path: Path) -> None:
    dirs = RunDir(tmp_path).create()
    now = time.time()
    write_load_test(dirs.db, {i: now - 400 + i for i in range(1, 301)})
    _metrics(dirs.metrics, [(now - 350, 10.0, 3, 50), (now - 150, 210.0, 9, 250)])
    passed, detail, value = judge_pitr(dirs, 2, _refusing(dirs), retention_s=300, load_s=600)  # type: ignore[arg-type]
    entries = value["entries"]
    old = [e for e in entries if e["tick_rows"] == 50]
    recent = [e for e in entries if e["tick_rows"] == 250]
    assert all(e["ok"] and "not restorable" in e["note"] for e in old)
    assert all(not e["ok"] and "for a point within snapshot retention" in e["problem"] for e in recent)
    assert not passed and "2 of 4 point-in-time restores failed" in detail


def test_a_txid_refused_past_l0_retention_is_noted_but_within_it_fails(tmp_path: Path) -> None:
    """As v0.5.16 does once a tick's L0 file has aged out: -txid X is refused ("no matching backup files available"),
    -timestamp of the same tick restores. Past l0-retention (300 s) that refusal is noted; within it, it fails; and
    the -timestamp restores are judged in full either way."""
    dirs = RunDir(tmp_path).create()
    now = time.time()
    write_load_test(dirs.db, {i: now - 400 + i for i in range(1, 301)})
    _metrics(dirs.metrics, [(now - 350, 10.0, 3, 50), (now - 150, 210.0, 9, 250)])

    restore = _timestamps_only(dirs)
    passed, detail, value = judge_pitr(dirs, 2, restore, retention_s=1800, load_s=600)
    by = {(e["how"], e["tick_rows"]): e for e in value["entries"]}
    assert by["timestamp", 50]["ok"] and by["timestamp", 250]["ok"] and by["timestamp", 50]["restored"]
    old = by["txid", 50]
    assert old["ok"] and re.fullmatch(
        r"not restorable: 35\ds old, l0-retention 300s: Error: no matching .*", old["note"]
    )
    recent = by["txid", 250]
    assert not recent["ok"] and re.search(r"within l0-retention \(15\ds old, l0-retention 300s\)$", recent["problem"])
    assert not passed and detail.startswith("1 of 4 point-in-time restores failed; -txid 0000000000000009")
    _metrics(dirs.metrics, [(now - 350, 10.0, 3, 50)])
    passed, detail, _ = judge_pitr(dirs, 1, restore, retention_s=1800, load_s=600)
    assert passed and detail.endswith("; 1 past retention (snapshot, or l0-retention for -txid) were refused cleanly")


def test_past_l0_retention_a_timestamp_restore_may_end_one_l1_interval_early(tmp_path: Path) -> None:
    """A compacted file carries its last transaction's time, so once T's L0 files are gone -timestamp T ends at the L1
    boundary before T: 20 s short passes for a point 350 s old (L1 every 30 s), and fails for one 150 s old."""
    dirs = RunDir(tmp_path).create()
    now = time.time()
    write_load_test(dirs.db, {i: now - 400 + i for i in range(1, 301)})  # one row a second
    _metrics(dirs.metrics, [(now - 350, 10.0, 3, 50), (now - 150, 210.0, 9, 250)])

    short = _timestamps_only(dirs, short_by_s=20)
    _, _, value = judge_pitr(dirs, 2, short, retention_s=1800, load_s=600, l1_interval_s=30)
    by = {(e["how"], e["tick_rows"]): e for e in value["entries"]}
    old, recent = by["timestamp", 50], by["timestamp", 250]
    assert old["ok"] and old["floor_lag_s"] == 36 and old["restored_max_id"] < old["ceiling_id"] - 6
    assert not recent["ok"] and recent["floor_lag_s"] == 6
    assert re.fullmatch(r"holds ids up to 2[23]\d, but 24\d was committed 6s before the point", recent["problem"])


def test_only_points_older_than_retention_is_no_pass(tmp_path: Path) -> None:
    """Every restore refused cleanly as expired: nothing was compared, so the check cannot pass."""
    dirs = RunDir(tmp_path).create()
    now = time.time()
    write_load_test(dirs.db, {i: now - 400 + i for i in range(1, 301)})
    _metrics(dirs.metrics, [(now - 350, 10.0, 3, 50)])
    refuse = _refusing(dirs, "Error: no matching backup files available")
    passed, detail, _ = judge_pitr(dirs, 3, refuse, retention_s=120, load_s=600)  # type: ignore[arg-type]
    assert not passed and "none of 2 point-in-time restores was possible" in detail


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("Error: cannot calc restore plan: non-contiguous ltx files: have up to 0000000000000003", 1),
        ("panic: runtime error: index out of range [3] with length 3", 2),
        ("Error: timestamp does not exist", -9),  # the refusal's words, but killed by a signal
        ("", 1),
    ],
)
def test_an_old_point_failing_other_than_by_litestreams_refusal_fails(tmp_path: Path, message: str, code: int) -> None:
    dirs = RunDir(tmp_path).create()
    now = time.time()
    write_load_test(dirs.db, {i: now - 400 + i for i in range(1, 301)})
    _metrics(dirs.metrics, [(now - 350, 10.0, 3, 50)])
    passed, detail, value = judge_pitr(dirs, 1, _refusing(dirs, message, code), 120, 600)  # type: ignore[arg-type]
    assert not passed and "without refusing the point" in detail
    assert not any(e["ok"] for e in value["entries"])


def test_no_usable_tick_is_no_pass(tmp_path: Path) -> None:
    dirs = RunDir(tmp_path).create()
    passed, detail, _ = judge_pitr(dirs, 3, lambda out, *options: 0, retention_s=300)
    assert not passed and "nothing to restore to" in detail
