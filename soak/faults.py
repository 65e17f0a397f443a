"""Section 11: the faults injected during the run (logs/faults.log, docs/rundir.md).

Each fault is a window (``start``..``end`` events of one kind, or an ``inject`` instant plus a grace
period). Errors inside a window (plus the grace) are expected, not critical. Recovery time is the
first successful L0 upload after the window ends, minus its end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soak.logblocks import iter_lines
from soak.logline import iso, parse_time


@dataclass
class Fault:
    kind: str
    start: float
    end: float
    detail: dict[str, Any]
    closed: bool  # False when no matching end event was logged


def read_faults(path: Path, *, grace_s: float, run_end: float | None) -> tuple[list[Fault], int]:
    """The faults of faults.log and the number of lines that were not fault events."""
    open_by_kind: dict[str, tuple[float, dict[str, Any]]] = {}
    faults: list[Fault] = []
    bad = 0
    for raw in iter_lines(path):
        try:
            event = json.loads(raw)
            t = parse_time(str(event["t"]))
            kind, what = str(event["kind"]), str(event["event"])
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        if t is None:
            bad += 1
            continue
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        if what == "start":
            open_by_kind[kind] = (t, detail)
        elif what == "end" and kind in open_by_kind:
            start, start_detail = open_by_kind.pop(kind)
            faults.append(Fault(kind, start, t, {**start_detail, **detail}, True))
        elif what == "inject" or what == "end":
            faults.append(Fault(kind, t, t, detail, True))
    for kind, (start, detail) in open_by_kind.items():
        faults.append(Fault(kind, start, run_end if run_end is not None else start, detail, False))
    faults.sort(key=lambda f: f.start)
    return faults, bad


def windows(faults: list[Fault], grace_s: float) -> list[tuple[float, float]]:
    """Where errors are expected: each fault's span plus the grace period after it."""
    return [(f.start, f.end + grace_s) for f in faults]


def fault_section(
    faults: list[Fault], recovery_after: dict[float, float], errors_in: dict[float, int], bad_lines: int, grace_s: float
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


def count_errors_in(faults: list[Fault], error_times: list[float], grace_s: float) -> dict[float, int]:
    """ERROR lines per fault window, keyed by fault start."""
    return {f.start: sum(1 for t in error_times if f.start <= t <= f.end + grace_s) for f in faults}
