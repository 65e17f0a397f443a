"""``--pitr-samples K``: once the load stops, restore the replica as of K recorded monitor ticks and compare.

It runs right after the load (litestream still replicating, nothing writing), newest point first, so that with
``--schedule fast`` (snapshots kept 2 m) the newest points are within retention and the older ones cross it.

Each metrics.jsonl tick records its time, the replica's L0 TXID and the source's load_test row count. For K ticks
spread over the run, ``litestream restore -timestamp T`` and ``-txid X`` must each give a clean prefix of the
source (soak.run.replica_view: the load only inserts, so the source's rows up to any id are what they were then)
whose max id lies between the rows committed one sync interval plus a slack before the tick and the rows committed
at the tick; and the timestamp restore holds at least what the TXID restore holds (that TXID was listed before T).
A point older than the snapshot retention may no longer be restorable: litestream's own refusal there (``REFUSALS``)
is no failure; any other error is, and so is a restore that succeeds with other data. A ``-txid X`` restore is exact:
it needs LTX files whose chain ends at X (replica.go CalcRestorePlan), and once X's L0 file is older than
l0-retention only the compacted files' boundaries are left, so past l0-retention litestream's refusal of a TXID is no
failure either (seen on v0.5.16: ``-txid`` of a tick 314 s old refused, ``-timestamp`` of the same tick restored). The
``-timestamp`` restore of every point is judged regardless, but past l0-retention its floor drops by one L1 compaction
interval: a compacted file carries its last transaction's timestamp (ltx Compactor), so the L1 file spanning T is
newer than T and the restore ends at the L1 boundary before it (seen on v0.5.16: a tick 8 min old restored 12 s short
of it, within the 30 s L1 interval).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.timestamps import iso_utc_us, parse_utc
from soak.faults.events import read_fault_events
from soak.run.litestream_config import L0_RETENTION_S, Schedule
from soak.run.periodic_restore import FLOOR_SLACK_S
from soak.run.replica_view import LITESTREAM_SYNC_INTERVAL_S, committed_by, view_of
from soak.rundir import RunDir

# The tick at the load's deadline is left out: the load stops right after it, so the replica's newest object may be
# newer by less than S3's one-second LastModified, and litestream then refuses that timestamp ("timestamp does not
# exist"; seen on v0.5.16 with the embedded S3: tick 08:35:05.029, newest upload 08:35:05.242).
LOAD_END_MARGIN_S = 5.0
# litestream v0.5.16's refusals of a point it no longer holds, as ``litestream restore`` prints them (main.go
# "Error: %s"): -timestamp before its oldest LTX file (replica.go CalcRestoreTarget), or no LTX file reaching the
# point (ErrTxNotAvailable from CalcRestorePlan, cmd/litestream/restore.go). Anything else is a failure.
REFUSALS = ("Error: timestamp does not exist", "Error: no matching backup files available")
# The default schedule's first compaction level (L1): a -timestamp restore past l0-retention ends at its boundaries.
DEFAULT_L1_INTERVAL_S = float(Schedule().levels_s[0])
# The log the point-in-time restores' output is appended to (logs/<name>.log).
PITR_LOG = "pitr-restore"

# Restores the replica into a file with extra options (``-timestamp T`` or ``-txid X``); returns the exit code.
PointRestore = Callable[..., int]


def points(metrics: Path, k: int, load_s: float | None = None) -> list[dict[str, Any]]:
    """K ticks of the load (``elapsed_s`` up to ``load_s`` - 5 s) spread evenly over it, the last included, that
    know the replica TXID and the rows, newest first. Idle ticks are left out: litestream refuses a timestamp after
    its newest LTX file ("timestamp does not exist", replica.go CalcRestoreTarget); nothing is uploaded then."""
    ticks: list[dict[str, Any]] = []
    try:
        lines = metrics.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            tick = json.loads(line)
        except json.JSONDecodeError:
            continue
        txid = (tick.get("txid") or {}).get("replica")
        rows = (tick.get("rows") or {}).get("load_test")
        t = parse_utc(tick.get("t") or "")
        elapsed = tick.get("elapsed_s")
        if load_s is not None and isinstance(elapsed, int | float) and elapsed > load_s - LOAD_END_MARGIN_S:
            continue
        if isinstance(txid, int) and isinstance(rows, int) and rows > 0 and t is not None:
            ticks.append({"t": tick["t"], "epoch": t, "txid": txid, "rows": rows})
    if len(ticks) <= k:
        return ticks[::-1]
    step = (len(ticks) - 1) / (k - 1) if k > 1 else 0
    picked = sorted({round(len(ticks) - 1 - i * step) for i in range(k)}, reverse=True)
    return [ticks[i] for i in picked]


def refusal(output: str) -> str | None:
    """The line of ``output`` that is litestream's refusal of a point it no longer holds (None: no such line)."""
    for line in output.splitlines():
        if line.strip() in REFUSALS:
            return line.strip()
    return None


def restore_point(
    dirs: RunDir,
    point: dict[str, Any],
    how: str,
    restore: PointRestore,
    retention_s: float,
    log: Path | None = None,
    l0_retention_s: float = L0_RETENTION_S,
    l1_interval_s: float = DEFAULT_L1_INTERVAL_S,
) -> dict[str, Any]:
    """One restore (``how`` is ``timestamp`` or ``txid``) of one point, judged; the entry of the ``pitr`` check.

    ``log`` is where ``restore`` appends litestream's output (default logs/<PITR_LOG>.log): a failure is judged on it.
    A refusal counts as expected past ``retention_s`` (snapshot retention), and for ``-txid`` past ``l0_retention_s``;
    past ``l0_retention_s`` a ``-timestamp`` restore may also end up to ``l1_interval_s`` before the point.
    """
    log = dirs.log(PITR_LOG) if log is None else log
    scratch = dirs.pitr_restore
    for suffix in ("", "-wal", "-shm"):
        scratch.with_name(scratch.name + suffix).unlink(missing_ok=True)
    option = ["-timestamp", iso_utc_us(point["epoch"])] if how == "timestamp" else ["-txid", f"{point['txid']:016x}"]
    ceiling = committed_by(dirs.db, point["epoch"])
    lag_s = LITESTREAM_SYNC_INTERVAL_S + FLOOR_SLACK_S
    compacted = how == "timestamp" and time.time() - point["epoch"] > l0_retention_s
    if compacted:  # only compacted files are left around T: they end at L1 boundaries
        lag_s += l1_interval_s
    floor = committed_by(dirs.db, point["epoch"] - lag_s)
    entry: dict[str, Any] = {"how": how, "at": option[1], "tick_t": point["t"], "tick_rows": point["rows"]}
    entry.update(floor_id=floor, floor_lag_s=lag_s, ceiling_id=ceiling)
    offset = log.stat().st_size if log.is_file() else 0
    code = restore(scratch, *option)
    age = time.time() - point["epoch"]
    if code != 0:
        refused = refusal(_appended(log, offset)) if code == 1 else None
        held, horizon = ("snapshot retention", retention_s)
        if how == "txid" and l0_retention_s < retention_s:
            held, horizon = ("l0-retention", l0_retention_s)
        expired = age > horizon
        entry.update(ok=expired and refused is not None, restored=False, exit_code=code)
        if not expired:
            entry["problem"] = (
                f"litestream restore {' '.join(option)} exited {code} for a point within {held} "
                f"({age:.0f}s old, {held} {horizon:g}s)"
            )
        elif refused is None:
            entry["problem"] = (
                f"litestream restore {' '.join(option)} exited {code} without refusing the point "
                f"({' or '.join(repr(r) for r in REFUSALS)}); see {log}"
            )
        else:
            entry["problem"] = None
        entry["note"] = f"not restorable: {age:.0f}s old, {held} {horizon:g}s: {refused}" if entry["ok"] else None
        return entry
    view = view_of(dirs.db, scratch, read_fault_events(dirs.faults_log).events)
    top = view.restored_max_id or 0
    problems = [p for p in (view.problem(),) if p]
    if ceiling is not None and top > ceiling:
        problems.append(f"holds id {top}, newer than the newest row committed by the point ({ceiling})")
    if floor is not None and top < floor:
        problems.append(f"holds ids up to {top}, but {floor} was committed {lag_s:g}s before the point")
    entry.update(restored=True, exit_code=0, restored_max_id=top, matches_tick_rows=top == point["rows"])
    entry.update(ok=not problems, problem="; ".join(problems) or None)
    return entry


def _appended(log: Path, offset: int) -> str:
    """What was appended to ``log`` after ``offset`` bytes (the last 64 KiB of it)."""
    try:
        with log.open("rb") as fh:
            fh.seek(max(offset, log.stat().st_size - 65536))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def judge_pitr(
    dirs: RunDir,
    k: int,
    restore: PointRestore,
    retention_s: float,
    load_s: float | None = None,
    log: Path | None = None,
    l0_retention_s: float = L0_RETENTION_S,
    l1_interval_s: float = DEFAULT_L1_INTERVAL_S,
) -> tuple[bool, str, dict[str, Any]]:
    """(passed, detail, value) of the ``pitr`` check over K points, each restored by timestamp and by TXID."""
    chosen = points(dirs.metrics, k, load_s)
    if not chosen:
        return False, "no monitor tick recorded a replica TXID and load_test rows: nothing to restore to", {}
    entries: list[dict[str, Any]] = []
    for point in chosen:
        by_time = restore_point(dirs, point, "timestamp", restore, retention_s, log, l0_retention_s, l1_interval_s)
        by_txid = restore_point(dirs, point, "txid", restore, retention_s, log, l0_retention_s, l1_interval_s)
        t_top, x_top = by_time.get("restored_max_id"), by_txid.get("restored_max_id")
        if t_top is not None and x_top is not None and t_top < x_top:
            by_time.update(ok=False, problem=f"-timestamp holds ids up to {t_top}, -txid {x_top} (listed earlier)")
        entries += [by_time, by_txid]
    failed = [e for e in entries if not e["ok"]]
    restored = sum(1 for e in entries if e.get("restored"))
    expired = sum(1 for e in entries if e.get("note"))
    if not failed and not restored:
        value: dict[str, Any] = {"points": len(chosen), "restores": len(entries), "restored": 0, "failed": 0}
        value["entries"] = entries
        return False, f"none of {len(entries)} point-in-time restores was possible (all older than retention)", value
    value = {"points": len(chosen), "restores": len(entries), "restored": restored}
    value.update(failed=len(failed), entries=entries)
    if failed:
        f = failed[0]
        return (
            False,
            f"{len(failed)} of {len(entries)} point-in-time restores failed; -{f['how']} {f['at']}: {f['problem']}",
            value,
        )
    detail = (
        f"{restored} point-in-time restores at {len(chosen)} ticks (-timestamp, -txid), each a clean prefix in bounds"
    )
    if expired:
        detail += f"; {expired} past retention (snapshot, or l0-retention for -txid) were refused cleanly"
    return True, detail, value
