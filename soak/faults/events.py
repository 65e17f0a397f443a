"""Fault events: written once to logs/faults.log, handed to the monitor for metrics.jsonl, read back by one reader.

One JSON object per line, ``soak.rundir_schema.FaultEvent``: ``{t, elapsed_s, kind, event, detail}``;
``elapsed_s`` counts from the load's start, like metrics.jsonl. ``read_fault_events`` is the only reader of the
file: the fault tests and the analyzer both use it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.timestamps import iso_utc
from soak.logs.blocks import BlockReader
from soak.rundir_schema import Event, FaultEvent, Kind, read_tolerant

__all__ = ["Event", "FaultEvent", "FaultEventLog", "FaultLog", "Kind", "read_fault_events"]


class FaultEventLog:
    """The one writer of logs/faults.log; thread-safe (the fault driver and the soak both record).

    ``drain()`` returns the events recorded since the previous call: the monitor puts them in the
    tick's ``faults`` list, so each event appears in exactly one metrics.jsonl line.
    """

    def __init__(self, path: Path, run_started: float, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.run_started = run_started
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def record(self, kind: Kind, event: Event, *, at: float | None = None, **detail: Any) -> FaultEvent:
        """Append one event; ``at`` (epoch) when it happened earlier than now (e.g. an error mitmdump injected)."""
        now = self._clock() if at is None else at
        item = FaultEvent(
            t=iso_utc(now), elapsed_s=round(now - self.run_started, 3), kind=kind, event=event, detail=detail
        )
        line = json.dumps(item.to_json(), sort_keys=True)
        with self._lock, self.path.open("a") as fh:
            fh.write(line + "\n")
            self._pending.append(item.to_json())
        return item

    def drain(self) -> list[dict[str, Any]]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending


@dataclass
class FaultLog:
    """What faults.log holds: its events in file order, and the lines that were none."""

    events: list[FaultEvent] = field(default_factory=list)
    bad_lines: int = 0  # not JSON, not an object, or without a valid t/kind/event (a torn last line is one)
    torn_last_line: bool = False  # the run was killed while writing it
    warnings: list[str] = field(default_factory=list)


def read_fault_events(path: Path) -> FaultLog:
    """Every event of a faults.log; bad lines are skipped and counted, never fatal. No file: no events."""
    out = FaultLog()
    if not path.is_file():
        return out
    name = f"{path.parent.name}/{path.name}"
    reader = BlockReader(path, count_lines=False)
    last_bad = False
    for block in reader.blocks():
        for raw in block.splitlines():
            if not raw.strip():
                continue
            event, warnings = _event(raw, name)
            last_bad = event is None
            if event is None:
                out.bad_lines += 1
            else:
                out.events.append(event)
                out.warnings += warnings
    out.torn_last_line = reader.truncated_last_line and last_bad
    return out


def _event(raw: bytes, name: str) -> tuple[FaultEvent | None, list[str]]:
    try:
        data = json.loads(raw)
    except ValueError:
        return None, []
    return read_tolerant(FaultEvent, data, name)
