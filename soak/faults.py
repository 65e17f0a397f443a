"""Section 11: the faults injected during the run (logs/faults.log, docs/rundir.md).

Each fault is a window: ``kill`` .. ``restart``, ``X start`` .. ``X end``, or an ``inject`` instant.
Errors inside a window or up to the grace period after it are expected, not critical (corruption
never is). Recovery time is the first successful L0 upload after the window ends, minus its end.
Without faults.log the events are taken from metrics.jsonl's ``faults`` lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soak.logblocks import iter_lines
from soak.logline import iso, parse_time


@dataclass
class Fault:
    """One fault window; ``closed`` is False when no matching end event was logged."""

    kind: str
    start: float
    end: float
    detail: dict[str, Any]
    closed: bool


def read_faults(path: Path, *, run_end: float | None) -> tuple[list[Fault], int]:
    """The faults of faults.log and the number of lines that were not fault events."""
    events: list[dict[str, Any]] = []
    bad = 0
    for raw in iter_lines(path):
        try:
            event = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            bad += 1
    faults, unusable = pair_events(events, run_end=run_end)
    return faults, bad + unusable


def pair_events(events: list[dict[str, Any]], *, run_end: float | None) -> tuple[list[Fault], int]:
    """Windows from events, paired as the fault driver writes them: ``kill`` -> ``restart``,
    ``X start`` -> ``X end`` (same ``detail.n``); an ``inject`` inside an open window of its kind
    is counted there (``injected``), elsewhere it is an instant fault."""
    timed: list[tuple[float, dict[str, Any]]] = []
    bad = 0
    for event in events:
        t = parse_time(str(event.get("t", "")))
        if t is None or "kind" not in event or "event" not in event:
            bad += 1
            continue
        timed.append((t, event))
    timed.sort(key=lambda item: item[0])
    open_: dict[tuple[str, int], Fault] = {}
    faults: list[Fault] = []
    for t, event in timed:
        kind, what = str(event["kind"]), str(event["event"])
        raw_detail = event.get("detail")
        detail: dict[str, Any] = raw_detail if isinstance(raw_detail, dict) else {}
        n = int(detail.get("n", 1)) if str(detail.get("n", 1)).isdigit() else 1
        if kind == "kill" or what == "start":
            fault = Fault(kind, t, t, dict(detail), False)
            faults.append(fault)
            open_[(kind, n)] = fault
        elif kind == "restart" or what == "end":
            found = open_.pop(("kill" if kind == "restart" else kind, n), None)
            if found is not None:
                found.end, found.closed = t, True
                found.detail.update(detail)
            else:
                faults.append(Fault(kind, t, t, dict(detail), True))
        elif (found := open_.get((kind, n))) is not None:
            found.detail["injected"] = int(found.detail.get("injected", 0)) + 1
        else:
            faults.append(Fault(kind, t, t, dict(detail), True))
    for fault in open_.values():
        fault.end = max(fault.start, run_end) if run_end is not None else fault.start
    return faults, bad


def windows(faults: list[Fault], grace_s: float) -> list[tuple[float, float]]:
    """Where errors are expected: each fault's span plus the grace period after it."""
    return [(f.start, f.end + grace_s) for f in faults]


def fault_section(
    faults: list[Fault],
    recovery_after: dict[float, float],
    errors_in: Mapping[float, int],
    bad_lines: int,
    grace_s: float,
) -> dict[str, Any]:
    """The ``faults`` section: each fault, its expected errors and its recovery time."""
    rows: list[dict[str, Any]] = []
    for fault in faults:
        recovered = recovery_after.get(fault.end)
        rows.append(
            {
                "kind": fault.kind,
                "start": iso(fault.start),
                "end": iso(fault.end),
                "duration_s": round(fault.end - fault.start, 3),
                "closed": fault.closed,
                "detail": fault.detail,
                "expected_errors": errors_in.get(fault.start, 0),
                "recovery_s": None if recovered is None else round(recovered - fault.end, 3),
            }
        )
    recoveries = [float(r["recovery_s"]) for r in rows if r["recovery_s"] is not None]
    unrecovered = len(rows) - len(recoveries)
    return {
        "count": len(rows),
        "grace_s": grace_s,
        "faults": rows,
        "unrecovered": unrecovered,
        "max_recovery_s": max(recoveries, default=None),
        "bad_lines": bad_lines,
    }
