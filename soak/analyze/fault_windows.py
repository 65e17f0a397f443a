"""Section 11: the faults injected during the run (logs/faults.log, read by soak.faults.events; docs/rundir.md).

Each fault is a window: ``kill`` .. ``restart``, ``X start`` .. ``X end``, or an ``inject`` instant.
A kill or an outage excuses any error inside its window or up to the grace period after it. Latency,
connection resets and HTTP errors last the whole load, so they excuse only the error classes they
cause (otherwise every error of a chaos run would be excused). Corruption is never expected.
Recovery: for a kill or an outage, the first successful L0 upload after the window ends, minus its
end; for a whole-run fault, the longest time from one of its errors to the next L0 upload (0 when it
caused none). Without faults.log the events are taken from metrics.jsonl's ``faults`` lists.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.timestamps import iso_utc, parse_utc
from soak.faults.events import FaultEvent


@dataclass
class Fault:
    """One fault window; ``closed`` is False when no matching end event was logged."""

    kind: str
    start: float
    end: float
    detail: dict[str, Any]
    closed: bool


def pair_events(events: list[FaultEvent], *, run_end: float | None) -> list[Fault]:
    """Windows from events, paired as the fault driver writes them: ``kill`` -> ``restart``,
    ``X start`` -> ``X end`` (same ``detail.n``); an ``inject`` inside an open window of its kind
    is counted there (``injected``), elsewhere it is an instant fault."""
    timed = [(t, e) for e in events if (t := parse_utc(e.t)) is not None]  # t is valid: the reader checked
    timed.sort(key=lambda item: item[0])
    open_: dict[tuple[str, int], Fault] = {}
    faults: list[Fault] = []
    for t, event in timed:
        kind, what = event.kind, event.event
        detail = event.detail
        n = int(detail.get("n", 1)) if str(detail.get("n", 1)).isdigit() else 1
        if kind == "kill" or what == "start":
            fault = Fault(kind, t, t, dict(detail), False)
            faults.append(fault)
            open_[(kind, n)] = fault
        elif kind == "restart" or what == "end":
            found = open_.pop(("kill" if kind == "restart" else kind, n), None)
            if found is not None:
                found.end, found.closed = t, True
                label = "restart" if kind == "restart" else "end"
                for key, value in detail.items():  # the kill's pid stays; the restart's is restart_pid
                    if found.detail.setdefault(key, value) != value:
                        found.detail[f"{label}_{key}"] = value
            else:
                faults.append(Fault(kind, t, t, dict(detail), True))
        elif (found := open_.get((kind, n))) is not None:
            found.detail["injected"] = int(found.detail.get("injected", 0)) + 1
        else:
            faults.append(Fault(kind, t, t, dict(detail), True))
    for fault in open_.values():
        fault.end = max(fault.start, run_end) if run_end is not None else fault.start
    return faults


# The error classes (soak.logs.error_classes) a whole-run fault explains, as class-name prefixes.
WHOLE_RUN_EXPLAINS: dict[str, tuple[str, ...]] = {
    "latency": ("timeout", "canceled"),
    "reset": ("connection_reset",),
    "http_error": ("s3_500", "s3_503"),
}


@dataclass
class Window:
    """Where one fault makes errors expected, and what the scan saw inside it."""

    fault: Fault
    start: float
    end: float  # the fault's end plus the grace period
    explains: tuple[str, ...] | None  # error classes it excuses; None: any (kill, outage)
    errors: int = 0
    pending: list[float] = field(default_factory=list)  # explained errors; after settle(): those never followed
    longest_gap: float = 0.0  # by an L0 upload

    def excuses(self, t: float, cls: str) -> bool:
        inside = self.start <= t <= self.end
        return inside and (self.explains is None or cls.startswith(self.explains))

    def settle(self, upload_times: list[float]) -> None:
        """Pair each explained error with the next L0 upload (``upload_times`` sorted); keep the unpaired."""
        unpaired = []
        for t in self.pending:
            at = bisect.bisect_left(upload_times, t)
            if at < len(upload_times):
                self.longest_gap = max(self.longest_gap, upload_times[at] - t)
            else:
                unpaired.append(t)
        self.pending = unpaired


def windows(faults: list[Fault], grace_s: float) -> list[Window]:
    """Where errors are expected: each fault's span plus the grace period after it."""
    return [Window(f, f.start, f.end + grace_s, WHOLE_RUN_EXPLAINS.get(f.kind)) for f in faults]


def _recovery(window: Window, recovery_after: Mapping[float, float]) -> float | None:
    if window.explains is not None:
        return None if window.pending else round(window.longest_gap, 3)
    recovered = recovery_after.get(window.fault.end)
    return None if recovered is None else round(recovered - window.fault.end, 3)


def fault_section(
    fault_windows: list[Window], recovery_after: Mapping[float, float], bad_lines: int, grace_s: float
) -> dict[str, Any]:
    """The ``faults`` section: each fault, its expected errors and its recovery time."""
    rows: list[dict[str, Any]] = []
    for window in fault_windows:
        fault = window.fault
        rows.append(
            {
                "kind": fault.kind,
                "start": iso_utc(fault.start),
                "end": iso_utc(fault.end),
                "duration_s": round(fault.end - fault.start, 3),
                "closed": fault.closed,
                "detail": fault.detail,
                "explains": "any error" if window.explains is None else list(window.explains),
                "expected_errors": window.errors,
                "recovery_s": _recovery(window, recovery_after),
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
