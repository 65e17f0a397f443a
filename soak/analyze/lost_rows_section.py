"""Section 12, lost rows: which load_test ids the restore lost, gained or changed, when they were written, the fault
next to them, and the litestream.log lines of those moments; plus the facts a bug report needs to reproduce the run.

The comparison itself is soak.run.lost_rows (the soak's verify step stores it in result.json ``lost_rows``). A run
that has no ``lost_rows`` yet (older runs, the old bash script) but whose databases differ is compared here, from
test.db and restored.db, so a run directory can be re-judged on its own.

The log excerpts come from a binary search by time in litestream.log (it is appended in time order), so they cost
a few reads whatever the log's size.
"""

from __future__ import annotations

import contextlib
import shlex
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from common.timestamps import iso_utc, parse_utc
from soak.analyze.inputs import RunInputs
from soak.faults.events import FaultEvent
from soak.logs.line import line_time, message
from soak.run.lost_rows import explain_difference

MAX_EXCERPT_RANGES = 5  # ranges whose log lines are quoted
WRITE_MARGIN_S = 2.0  # lines this long before the first and after the last write of a range
AFTER_RESTART_S = 3.0  # a restart's first sync decides what was lost: its lines up to this long after it
CONTEXT_LINES = 2  # lines before a window, for context
MAX_WINDOW_LINES = 40  # per window; the rest is counted, not quoted
# Routine lines that say nothing about a lost row and would crowd out the ones that do (the first sync after a
# restart: ``verify saltMatch=false``, ``filling wal growth pages from database``); left out and counted.
ROUTINE = frozenset(
    {
        "s3 request",
        "s3 LIST page",
        "db not ready, skipping",
        "scheduling retry for unready dbs",
        "enforcing retention",
        "enforcing snapshot retention",
        "no compaction",
        "starting compaction monitor",
    }
)
MAX_LINE_CHARS = 400
MAX_CONFIG_CHARS = 4000
_SEARCH_STOP = 64 * 1024  # the binary search ends when the span is this small; a scan does the rest
_KINDS = ("missing", "extra", "changed")


def _ranges(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every range of a ``lost_rows`` object as one flat row per range, missing first."""
    rows: list[dict[str, Any]] = []
    for kind in _KINDS:
        for item in data.get(kind) or []:
            first, last = item.get("first_id"), item.get("last_id")
            fault = item.get("nearest_fault") or {}
            n = fault.get("n")
            label = f"{fault.get('kind')}{'' if n is None else f' {n}'}" if fault.get("kind") else None
            if fault.get("kind") == "outage":
                label = f"{label} {fault.get('event')}"
            rows.append(
                {
                    "kind": kind,
                    "ids": str(first) if first == last else f"{first}-{last}",
                    "rows": item.get("count"),
                    "written_first": item.get("written_first"),
                    "written_last": item.get("written_last"),
                    "nearest_fault": label,
                    "fault_at": fault.get("t"),
                    "fault_delta_s": fault.get("delta_s"),
                    "explained": item.get("explained"),
                }
            )
    return rows


def _difference(inputs: RunInputs, events: Sequence[FaultEvent]) -> tuple[dict[str, Any], str] | None:
    """result.json ``lost_rows``, else a fresh comparison when the databases are known (or seen) to differ."""
    result = inputs.result
    if result is not None and result.lost_rows is not None:
        return result.lost_rows.model_dump(exclude_unset=True), "result.json lost_rows"
    if "source" not in inputs.dbs or "restored" not in inputs.dbs:
        return None
    tables = (result.tables or {}) if result is not None else {}
    table = tables.get("load_test")
    if table is not None and table.source_rows == table.restored_rows and table.source_sha256 == table.restored_sha256:
        return None
    if result is not None and table is None and result.tables:
        return None  # result.json compared the tables and load_test was not among them
    diff = explain_difference(inputs.dbs["source"], inputs.dbs["restored"], faults=events)
    if diff.equal:
        return None
    return diff.to_json(), "compared now: test.db against restored.db"


def lost_rows_section(
    inputs: RunInputs, events: Sequence[FaultEvent], litestream_log: Path | None
) -> dict[str, Any] | None:
    """Section 12, or None when the restore holds every row of the source (or there is nothing to compare)."""
    found = _difference(inputs, events)
    if found is None:
        return None
    data, source = found
    ranges = _ranges(data)
    out: dict[str, Any] = {
        "summary": data.get("summary"),
        "table": data.get("table"),
        "source_rows": data.get("source_rows"),
        "restored_rows": data.get("restored_rows"),
        "missing_rows": data.get("missing_rows"),
        "extra_rows": data.get("extra_rows"),
        "changed_rows": data.get("changed_rows"),
        "compared_upto_id": data.get("upto_id"),
        "from": source,
        "error": data.get("error"),
        "ranges": ranges,
    }
    if litestream_log is not None:
        out["log_excerpts"] = log_excerpts(litestream_log, ranges[:MAX_EXCERPT_RANGES], events)
    return out


# -- litestream.log around each range ------------------------------------------------------------------------------
def _restart_after(events: Sequence[FaultEvent], kill_n: Any) -> float | None:
    for e in events:
        if e.kind == "restart" and e.detail.get("n") == kill_n:
            return parse_utc(e.t)
    return None


def _windows(item: dict[str, Any], events: Sequence[FaultEvent]) -> list[tuple[float, float, str]]:
    """(from, to, what) of the log to quote for one range: its writes, and the nearest kill and its restart."""
    first, last = parse_utc(item.get("written_first") or ""), parse_utc(item.get("written_last") or "")
    if first is None or last is None:
        return []
    windows = [(first - WRITE_MARGIN_S, last + WRITE_MARGIN_S, "around the writes")]
    fault_t = parse_utc(item.get("fault_at") or "")
    label = item.get("nearest_fault") or ""
    if fault_t is not None and not first - WRITE_MARGIN_S <= fault_t <= last + WRITE_MARGIN_S:
        windows.append((fault_t - WRITE_MARGIN_S, fault_t + 0.5, f"around {label}"))
    if label.startswith(("kill ", "restart ")):
        restart = _restart_after(events, int(label.split()[1]))
        if restart is not None:
            windows.append(
                (restart - 0.5, restart + AFTER_RESTART_S, f"after the restart of {label.replace('restart', 'kill')}")
            )
    windows.sort()
    merged: list[tuple[float, float, str]] = []
    for a, b, what in windows:
        if merged and a <= merged[-1][1]:
            pa, pb, pwhat = merged[-1]
            merged[-1] = (pa, max(pb, b), f"{pwhat}, {what}")
        else:
            merged.append((a, b, what))
    return merged


def _time_at(handle: IO[bytes], offset: int) -> float | None:
    """The time of the first timed line that starts after ``offset`` (a few lines are tried)."""
    handle.seek(offset)
    if offset:
        handle.readline()  # the rest of a line cut in the middle
    for _ in range(20):
        line = handle.readline()
        if not line:
            return None
        t = line_time(line)
        if t is not None:
            return t
    return None


def _seek_before(handle: IO[bytes], size: int, t: float) -> int:
    """An offset at or before the first line written at ``t`` (the log is appended in time order)."""
    lo, hi = 0, size
    while hi - lo > _SEARCH_STOP:
        mid = (lo + hi) // 2
        seen = _time_at(handle, mid)
        if seen is not None and seen < t:
            lo = mid
        else:
            hi = mid
    return lo


def _quote(handle: IO[bytes], size: int, start: float, end: float) -> list[str]:
    """The lines timed in [start, end] (untimed lines go with the line before) and a few before them, bounded."""
    offset = _seek_before(handle, size, start)
    handle.seek(offset)
    if offset:
        handle.readline()
    before: deque[str] = deque(maxlen=CONTEXT_LINES)
    inside: list[str] = []
    more = routine = 0
    current: float | None = None
    for raw in handle:
        t = line_time(raw)
        current = t if t is not None else current
        if message(raw) in ROUTINE:
            routine += current is not None and start <= current <= end
            continue
        text = raw.rstrip(b"\n").decode("utf-8", "replace")[:MAX_LINE_CHARS]
        if current is None or current < start:
            before.append(text)
            continue
        if current > end:
            break
        if len(inside) < MAX_WINDOW_LINES:
            inside.append(text)
        else:
            more += 1
            if more > MAX_WINDOW_LINES * 50:
                break  # a pathological second: stop reading
    notes = [
        f"... {more} more lines in this window" if more else "",
        f"{routine} routine lines left out" if routine else "",
    ]
    note = "; ".join(n for n in notes if n)
    return [*before, *inside, *([f"({note}: s3 request/LIST, retention, compaction monitor)"] if note else [])]


def log_excerpts(log: Path, ranges: list[dict[str, Any]], events: Sequence[FaultEvent]) -> list[dict[str, Any]]:
    """For each range: the litestream.log lines around its writes and around the fault next to it."""
    out: list[dict[str, Any]] = []
    with contextlib.suppress(OSError), log.open("rb") as handle:
        size = log.stat().st_size
        for item in ranges:
            for start, end, what in _windows(item, events):
                out.append(
                    {
                        "kind": item["kind"],
                        "ids": item["ids"],
                        "what": what,
                        "from": iso_utc(start),
                        "to": iso_utc(end),
                        "lines": _quote(handle, size, start, end),
                    }
                )
    return out


# -- what a bug report needs to reproduce the run ------------------------------------------------------------------
def reproduce(inputs: RunInputs) -> dict[str, Any]:
    """Versions, the command (with its fault seed) and litestream.yml, from run.json and the run directory."""
    run = inputs.run
    binaries = run.binaries if run else None
    ls = binaries.litestream if binaries else None
    lt = binaries.litestream_test if binaries else None
    seed = (run.faults or {}).get("seed") if run else None
    command = run.replay_command or run.command if run else None
    config = None
    with contextlib.suppress(OSError, UnicodeDecodeError):
        config = inputs.dirs.config.read_text(encoding="utf-8")[:MAX_CONFIG_CHARS]
    return {
        "litestream_version": ls.version if ls else None,
        "litestream_path": ls.path if ls else None,
        "litestream_test_version": lt.version if lt else None,
        "litestream_test_commit": lt.commit if lt else None,
        "litestream_commit": run.litestream_commit if run else None,
        "platform": run.platform if run else None,
        "command": shlex.join(command) if command else None,
        "fault_seed": seed,
        "litestream_yml": config,
    }
