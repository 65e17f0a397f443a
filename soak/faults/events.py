"""Fault events: written once to logs/faults.log, handed to the monitor for metrics.jsonl, read by the analyzer.

One JSON object per line, as docs/rundir.md defines: ``{t, elapsed_s, kind, event, detail}``; ``elapsed_s``
counts from the run's start, like metrics.jsonl.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Kind = Literal["kill", "restart", "outage", "latency", "reset", "http_error"]
Event = Literal["start", "end", "inject"]


def iso_utc(epoch: float) -> str:
    """``2026-12-01T07:00:00.123Z``: the run directory's time format."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class FaultEvent:
    t: str
    elapsed_s: float
    kind: Kind
    event: Event
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def time(self) -> datetime:
        return parse_iso_utc(self.t)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultEvent:
        return cls(
            t=str(data["t"]),
            elapsed_s=float(data["elapsed_s"]),
            kind=data["kind"],
            event=data["event"],
            detail=dict(data.get("detail") or {}),
        )


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
        item = FaultEvent(iso_utc(now), round(now - self.run_started, 3), kind, event, detail)
        line = json.dumps(item.to_json(), sort_keys=True)
        with self._lock, self.path.open("a") as fh:
            fh.write(line + "\n")
            self._pending.append(item.to_json())
        return item

    def drain(self) -> list[dict[str, Any]]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending


def read_fault_events(path: Path) -> list[FaultEvent]:
    """All events of a faults.log; a torn last line (interrupted run) is skipped."""
    events: list[FaultEvent] = []
    if not path.is_file():
        return events
    for line in path.read_text().splitlines():
        try:
            events.append(FaultEvent.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return events
