"""Which rows a restore lost, gained or changed: contiguous id ranges, when each was written, and the fault next to it.

"differ: load_test" tells a maintainer nothing to act on. ``explain_difference`` walks the table of the source and
of the restore side by side in id order (a merge join: constant memory, one pass over each) and groups the ids that
are missing from the restore, extra in it, or present in both with different content into runs that are adjacent in
id order. Each run gets its write time from the rows themselves (litestream-test's ``text_field`` is
``load_<unixnano>``, ``timestamp`` is unix seconds) and the nearest fault event of logs/faults.log, which is how
"ids 4658-4662 (5 rows), written 0.2 s before kill 3" comes about.

The final verify step calls it when source and restore differ (result.json ``lost_rows``); periodic restores call it
with ``upto_id`` (compare only the prefix the restore can hold); soak.analyze reads the result back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.timestamps import iso_utc, parse_utc
from soak.faults.events import FaultEvent, read_fault_events
from soak.run.db_compare import connect_ro, has_no_wal

MAX_RANGES = 50  # per kind, in result.json; the totals count every row
SUMMARY_RANGES = 5  # ranges spelled out in the one-line summary
_NANOS = re.compile(r"load_(\d{15,20})$")
# Point events a lost row can sit next to; whole-run faults (latency, resets, the error dice) start and end with the
# load, so their start/end says nothing about when a row was lost.
_POINT = {("kill", "inject"), ("restart", "inject"), ("outage", "start"), ("outage", "end"), ("http_error", "inject")}
_KINDS = ("missing", "extra", "changed")


@dataclass(frozen=True)
class NearestFault:
    """The fault event closest in time to a range of rows; ``delta_s`` < 0: the rows were written before it."""

    kind: str
    event: str
    n: int | None
    t: str
    delta_s: float

    @property
    def label(self) -> str:
        """``kill 3``, ``restart 3``, ``outage 1 start``, ``injected 503 PUT``."""
        n = "" if self.n is None else f" {self.n}"
        if self.kind == "outage":
            return f"outage{n} {self.event}"
        if self.kind == "http_error":
            return "an injected S3 error"
        return f"{self.kind}{n}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "event": self.event, "n": self.n, "t": self.t, "delta_s": self.delta_s}


@dataclass
class RowRange:
    """Ids adjacent in id order that share one fate (missing, extra or changed)."""

    first_id: int
    last_id: int
    count: int = 1
    written_first: float | None = None  # epoch seconds
    written_last: float | None = None
    nearest_fault: NearestFault | None = None

    def add(self, row_id: int, written: float | None) -> None:
        self.last_id = row_id
        self.count += 1
        self._time(written)

    def _time(self, written: float | None) -> None:
        if written is None:
            return
        self.written_first = written if self.written_first is None else min(self.written_first, written)
        self.written_last = written if self.written_last is None else max(self.written_last, written)

    @property
    def ids(self) -> str:
        return str(self.first_id) if self.first_id == self.last_id else f"{self.first_id}-{self.last_id}"

    def describe(self) -> str:
        """``ids 4658-4662 (5 rows), written 0.2 s before kill 3``."""
        rows = f"{self.count} row{'' if self.count == 1 else 's'}"
        return f"ids {self.ids} ({rows}), {self.when()}"

    def when(self) -> str:
        if self.written_first is None or self.written_last is None:
            return "write time unknown (no text_field/timestamp)"
        fault = self.nearest_fault
        if fault is None:
            return f"written {iso_utc(self.written_first)}" + (
                "" if self.written_last == self.written_first else f" to {iso_utc(self.written_last)}"
            )
        t = parse_utc(fault.t) or 0.0
        before, after = t - self.written_last, self.written_first - t
        if before >= 0:
            return f"written {_gap(before)} before {fault.label}"
        if after >= 0:
            return f"written {_gap(after)} after {fault.label}"
        return (
            f"written from {_gap(t - self.written_first)} before to {_gap(self.written_last - t)} after {fault.label}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "first_id": self.first_id,
            "last_id": self.last_id,
            "count": self.count,
            "written_first": iso_utc(self.written_first),
            "written_last": iso_utc(self.written_last),
            "nearest_fault": None if self.nearest_fault is None else self.nearest_fault.to_json(),
            "explained": self.describe(),
        }


def _gap(seconds: float) -> str:
    """``0.2 s``, ``4 ms``, ``12.3 s``."""
    return f"{seconds * 1000:.0f} ms" if seconds < 0.1 else f"{seconds:.1f} s"


@dataclass
class RowDifference:
    """Source vs restore of one table, as result.json ``lost_rows`` (docs/rundir.md)."""

    table: str
    source_rows: int = 0
    restored_rows: int = 0
    upto_id: int | None = None
    ranges: dict[str, list[RowRange]] = field(default_factory=lambda: {kind: [] for kind in _KINDS})
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))
    range_totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))
    error: str | None = None

    @property
    def equal(self) -> bool:
        return self.error is None and not any(self.totals.values())

    def summary(self) -> str:
        """One line: the first few ranges of each kind, then how many more there were."""
        if self.error is not None and not any(self.totals.values()):
            return f"{self.table}: could not compare ({self.error})"
        parts: list[str] = []
        for kind in _KINDS:
            shown = self.ranges[kind][:SUMMARY_RANGES]
            parts += [f"{kind} {r.describe()}" for r in shown]
            more = self.range_totals[kind] - len(shown)
            if more > 0:
                parts.append(
                    f"and {more} more {kind} range{'' if more == 1 else 's'} ({self.totals[kind]} rows in all)"
                )
        text = "; ".join(parts) or f"{self.table}: every row equal"
        return text + (f" (stopped early: {self.error})" if self.error else "")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "table": self.table,
            "source_rows": self.source_rows,
            "restored_rows": self.restored_rows,
            "upto_id": self.upto_id,
        }
        for kind in _KINDS:
            out[kind] = [r.to_json() for r in self.ranges[kind]]
        for kind in _KINDS:
            out[f"{kind}_rows"] = self.totals[kind]
            out[f"{kind}_ranges"] = self.range_totals[kind]
        out["summary"] = self.summary()
        out["error"] = self.error
        return out


def written_at(row: Sequence[Any], text_at: int | None, ts_at: int | None) -> float | None:
    """A load_test row's commit time: ``text_field`` ``load_<unixnano>`` when it has one, else ``timestamp``."""
    if text_at is not None and isinstance(row[text_at], str) and (m := _NANOS.match(row[text_at])):
        return int(m.group(1)) / 1e9
    if ts_at is not None and isinstance(row[ts_at], int | float) and row[ts_at] > 0:
        return float(row[ts_at])
    return None


def _columns(conn: sqlite3.Connection, table: str) -> list[str] | None:
    names = [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    return names or None


def _rows(conn: sqlite3.Connection, table: str, upto_id: int | None) -> Iterator[tuple[Any, ...]]:
    """(rowid, *columns) in rowid order, in batches (a restore of an 8-hour soak has millions of rows)."""
    where = "" if upto_id is None else " WHERE rowid <= ?"
    args: tuple[int, ...] = () if upto_id is None else (upto_id,)
    cursor = conn.execute(f'SELECT rowid, * FROM "{table}"{where} ORDER BY rowid', args)
    while batch := cursor.fetchmany(2000):
        yield from batch


class _Grouper:
    """Folds classified rows into ranges; any row of another fate (an equal one too) ends a range."""

    def __init__(self, diff: RowDifference) -> None:
        self.diff = diff
        self.open: tuple[str, RowRange] | None = None

    def add(self, kind: str | None, row_id: int, written: float | None) -> None:
        if kind is None:
            self.close()
            return
        self.diff.totals[kind] += 1
        if self.open is not None and self.open[0] == kind:
            self.open[1].add(row_id, written)
            return
        self.close()
        rng = RowRange(row_id, row_id)
        rng._time(written)
        self.open = (kind, rng)

    def close(self) -> None:
        if self.open is None:
            return
        kind, rng = self.open
        self.open = None
        self.diff.range_totals[kind] += 1
        if len(self.diff.ranges[kind]) < MAX_RANGES:
            self.diff.ranges[kind].append(rng)


def explain_difference(
    source: Path,
    restored: Path,
    table: str = "load_test",
    *,
    faults: Sequence[FaultEvent] | None = None,
    upto_id: int | None = None,
) -> RowDifference:
    """Missing, extra and changed ids of ``table`` in ``restored`` against ``source``, as ranges with write times
    and the nearest fault event. ``upto_id`` limits both sides to ids up to it (a restore taken mid-load holds a
    prefix). Never raises on a damaged restore: what could be compared is kept and ``error`` says where it stopped.
    """
    diff = RowDifference(table=table, upto_id=upto_id)
    for role, path in (("source", source), ("restore", restored)):
        if not path.is_file():
            diff.error = f"no {role} database at {path}"
            return diff
    src = connect_ro(source)
    dst = connect_ro(restored, immutable=has_no_wal(restored))
    try:
        columns = _columns(src, table)
        if columns is None:
            diff.error = f"source has no table {table}"
            return diff
        if _columns(dst, table) is None:
            diff.error = f"restore has no table {table}"
        text_at = columns.index("text_field") + 1 if "text_field" in columns else None
        ts_at = columns.index("timestamp") + 1 if "timestamp" in columns else None
        _merge(diff, src, dst if diff.error is None else None, table, text_at, ts_at)
    except sqlite3.DatabaseError as exc:
        diff.error = f"{type(exc).__name__}: {exc}"
    finally:
        src.close()
        dst.close()
    _attach_faults(diff, faults or [])
    return diff


def _merge(
    diff: RowDifference,
    src: sqlite3.Connection,
    dst: sqlite3.Connection | None,
    table: str,
    text_at: int | None,
    ts_at: int | None,
) -> None:
    group = _Grouper(diff)
    left = _rows(src, table, diff.upto_id)
    right: Iterator[tuple[Any, ...]] = iter(()) if dst is None else _rows(dst, table, diff.upto_id)
    a, b = next(left, None), next(right, None)
    try:
        while a is not None or b is not None:
            if b is None or (a is not None and a[0] < b[0]):
                assert a is not None
                diff.source_rows += 1
                group.add("missing", a[0], written_at(a, text_at, ts_at))
                a = next(left, None)
            elif a is None or b[0] < a[0]:
                diff.restored_rows += 1
                group.add("extra", b[0], written_at(b, text_at, ts_at))
                b = next(right, None)
            else:
                diff.source_rows += 1
                diff.restored_rows += 1
                group.add(None if a == b else "changed", a[0], written_at(a, text_at, ts_at))
                a, b = next(left, None), next(right, None)
    finally:
        group.close()


def point_events(events: Sequence[FaultEvent]) -> list[tuple[float, FaultEvent]]:
    """The fault events a row can be lost next to, with their epoch times, in time order."""
    timed = [(t, e) for e in events if (e.kind, e.event) in _POINT and (t := parse_utc(e.t)) is not None]
    return sorted(timed, key=lambda item: item[0])


def nearest_fault(first: float, last: float, points: list[tuple[float, FaultEvent]]) -> NearestFault | None:
    """The event closest to the span [first, last] (0 inside it); on a tie, the earlier event."""
    best: tuple[float, float, FaultEvent] | None = None
    for t, event in points:
        distance = first - t if t < first else (t - last if t > last else 0.0)
        if best is None or distance < best[0]:
            best = (distance, t, event)
    if best is None:
        return None
    _, t, event = best
    delta = last - t if t >= last else (first - t if t <= first else 0.0)
    n = event.detail.get("n")
    return NearestFault(
        kind=event.kind,
        event=event.event,
        n=n if isinstance(n, int) and not isinstance(n, bool) else None,
        t=event.t,
        delta_s=round(delta, 3),
    )


def _attach_faults(diff: RowDifference, events: Sequence[FaultEvent]) -> None:
    points = point_events(events)
    if not points:
        return
    for ranges in diff.ranges.values():
        for rng in ranges:
            if rng.written_first is not None and rng.written_last is not None:
                rng.nearest_fault = nearest_fault(rng.written_first, rng.written_last, points)


def explain_restore(
    source: Path, restored: Path, tables: dict[str, dict[str, Any]], faults_log: Path
) -> RowDifference | None:
    """The final verify's use: load_test explained when its counts or digests differ (``tables`` as result.json's)."""
    t = tables.get("load_test")
    if not t or (t.get("source_rows") == t.get("restored_rows") and t.get("source_sha256") == t.get("restored_sha256")):
        return None
    return explain_difference(source, restored, faults=read_fault_events(faults_log).events)


def differ_detail(names: Sequence[str], lost: RowDifference | None) -> str:
    """``differ: load_test: missing ids 4658-4662 (5 rows), written 0.2 s before kill 3``; other tables by name."""
    return "differ: " + "; ".join(f"{n}: {lost.summary()}" if lost and n == lost.table else n for n in names)
