"""What each injected fault did: its window, the error/warn lines it explains, and how long Litestream took to recover.

Input: the events of logs/faults.log and the analyzer's parsed log lines (anything with ``time``, ``kind``,
``severity``, ``text``). A line is *expected* when it falls in a fault's window plus a grace period:
- kill (kill → restart) and outage (start → end): any error/warn line in the window;
- latency, reset and http_error run for the whole load, so only lines that look like that fault count
  (timeouts; resets/EOF; 503/500/SlowDown/InternalError) — otherwise every error of the run would be excused.
Corruption-like lines (integrity, ``wrong # of entries``, ``nonsequential``, checksum mismatch …) are never expected.
Recovery: for a kill or an outage, the time from the window's end (restart / S3 back) to the first successful
L0 upload (``msg="ltx file uploaded" level=0``) after it. A whole-run fault has no end while the load runs, so
its recovery is the longest time from one of its errors to the next L0 upload (0 when it caused none).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from soak.fault_events import FaultEvent, iso_utc

DEFAULT_GRACE_S = 30.0

CORRUPTION = re.compile(
    r"integrity|wrong # of entries|nonsequential|checksum mismatch|invalid checksum|malformed|compaction gap|corrupt",
    re.IGNORECASE,
)
# What a whole-run fault's errors look like in Litestream's log (the AWS SDK's wording inside error=…).
SIGNATURES: dict[str, re.Pattern[str]] = {
    "latency": re.compile(r"timeout|deadline exceeded|timed out", re.IGNORECASE),
    "reset": re.compile(
        r"connection reset|reset by peer|broken pipe|\bEOF\b|closed network connection|connection closed|"
        r"http: server closed",
        re.IGNORECASE,
    ),
    "http_error": re.compile(
        r"StatusCode: 50[03]|SlowDown|InternalError|exceeded maximum number of attempts|retry quota", re.IGNORECASE
    ),
}
# v0.5.16 replica.go: Info("ltx file uploaded", "level", 0, …), logged as e.g.
# `msg="ltx file uploaded" system=store db=test.db replica=s3 level=0 minTXID=… maxTXID=… size=…` (TEXT) or
# `"msg":"ltx file uploaded",…,"level":0` (JSON): the attribute comes after msg, the record's own level before it.
L0_UPLOAD = re.compile(r"""ltx file uploaded.*?[\s,{]"?level"?[=:]\s*0\b""")
ISSUES = ("error", "warn", "warning")


class LogEventLike(Protocol):
    """What the analyzer hands in: one parsed line of litestream.log."""

    @property
    def time(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class LogEvent:
    """A plain LogEventLike, for callers without their own type."""

    time: datetime
    kind: str
    severity: str
    text: str


@dataclass
class FaultWindow:
    kind: str
    n: int
    start: datetime
    end: datetime | None  # None: never ended (the run was interrupted)
    start_elapsed_s: float
    end_elapsed_s: float | None
    detail: dict[str, Any] = field(default_factory=dict)
    injected: int = 0  # http_error: answers injected inside the window

    @property
    def whole_run(self) -> bool:
        return self.kind in SIGNATURES

    def explains(self, line: LogEventLike, grace: timedelta) -> bool:
        when = _aware(line.time)
        if when < self.start or (self.end is not None and when > self.end + grace):
            return False
        return not self.whole_run or bool(SIGNATURES[self.kind].search(line.text))


@dataclass
class WindowEffect:
    window: FaultWindow
    errors: int = 0
    warnings: int = 0
    examples: list[str] = field(default_factory=list)
    error_times: list[datetime] = field(default_factory=list)
    recovered_at: datetime | None = None
    recovery_s: float | None = None  # None: no successful upload followed (unrecovered)

    def measure_recovery(self, uploads: Sequence[datetime]) -> None:
        def next_upload(after: datetime) -> datetime | None:
            return uploads[i] if (i := bisect.bisect_right(uploads, after)) < len(uploads) else None

        if not self.window.whole_run:
            if self.window.end is not None and (found := next_upload(self.window.end)):
                self.recovered_at = found
                self.recovery_s = round((found - self.window.end).total_seconds(), 3)
            return
        self.recovery_s = 0.0
        for when in self.error_times:
            found = next_upload(when)
            if found is None:
                self.recovered_at, self.recovery_s = None, None
                return
            if (took := round((found - when).total_seconds(), 3)) >= self.recovery_s:
                self.recovered_at, self.recovery_s = found, took

    def to_json(self) -> dict[str, Any]:
        w = self.window
        return {
            "kind": w.kind,
            "n": w.n,
            "start": _iso(w.start),
            "end": None if w.end is None else _iso(w.end),
            "start_elapsed_s": w.start_elapsed_s,
            "end_elapsed_s": w.end_elapsed_s,
            "length_s": None if w.end is None else round((w.end - w.start).total_seconds(), 3),
            "detail": w.detail,
            "injected": w.injected,
            "errors_caused": self.errors,
            "warnings_caused": self.warnings,
            "examples": self.examples,
            "recovered_at": None if self.recovered_at is None else _iso(self.recovered_at),
            "recovery_s": self.recovery_s,
        }


@dataclass
class FaultEffects:
    effects: list[WindowEffect]
    expected: set[int]  # indices of the log lines the faults explain
    corruption: list[int]  # indices of corruption-like error/warn lines (never expected)

    def is_expected(self, index: int) -> bool:
        return index in self.expected

    def to_json(self) -> dict[str, Any]:
        """analysis.json ``sections.faults``."""
        recoveries = [e.recovery_s for e in self.effects if e.recovery_s is not None]
        return {
            "faults": [e.to_json() for e in self.effects],
            "summary": {
                "faults": len(self.effects),
                "by_kind": dict(Counter(e.window.kind for e in self.effects)),
                "injected_http_errors": sum(e.window.injected for e in self.effects),
                "errors_caused": sum(e.errors for e in self.effects),
                "warnings_caused": sum(e.warnings for e in self.effects),
                "expected_lines": len(self.expected),
                "corruption_lines": len(self.corruption),
                "longest_recovery_s": max(recoveries) if recoveries else None,
                "unrecovered": [f"{e.window.kind} #{e.window.n}" for e in self.effects if e.recovery_s is None],
            },
        }


def fault_windows(events: Iterable[FaultEvent]) -> list[FaultWindow]:
    """Pair faults.log events into windows: kill→restart, X start→X end; http_error injects are counted."""
    windows: list[FaultWindow] = []
    open_: dict[tuple[str, int], FaultWindow] = {}
    for ev in sorted(events, key=lambda e: e.time):
        n = int(ev.detail.get("n", 1))
        if ev.kind == "kill" or ev.event == "start":
            window = FaultWindow(ev.kind, n, ev.time, None, ev.elapsed_s, None, dict(ev.detail))
            windows.append(window)
            open_[(ev.kind, n)] = window
        elif (ev.kind == "restart" or ev.event == "end") and (
            found := open_.pop(("kill" if ev.kind == "restart" else ev.kind, n), None)
        ):
            found.end, found.end_elapsed_s = ev.time, ev.elapsed_s
        elif ev.kind == "http_error" and ev.event == "inject" and (found := open_.get(("http_error", 1))):
            found.injected += 1
    return windows


def analyze_fault_effects(
    fault_events: Iterable[FaultEvent], log_events: Sequence[LogEventLike], *, grace_s: float = DEFAULT_GRACE_S
) -> FaultEffects:
    """Line the log up with the faults: per window the errors it caused and its recovery time."""
    grace = timedelta(seconds=grace_s)
    effects = [WindowEffect(w) for w in fault_windows(fault_events)]
    uploads = sorted(_aware(e.time) for e in log_events if L0_UPLOAD.search(e.text))
    expected: set[int] = set()
    corruption: list[int] = []
    for index, line in enumerate(log_events):
        severity = line.severity.lower()
        if severity not in ISSUES:
            continue
        if CORRUPTION.search(line.text):
            corruption.append(index)
            continue
        for effect in effects:
            if effect.window.explains(line, grace):
                expected.add(index)
                if severity == "error":
                    effect.errors += 1
                else:
                    effect.warnings += 1
                effect.error_times.append(_aware(line.time))
                if len(effect.examples) < 3:
                    effect.examples.append(line.text[:300])
    for effect in effects:
        effect.measure_recovery(uploads)
    return FaultEffects(effects, expected, corruption)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _iso(when: datetime) -> str:
    return iso_utc(when.timestamp())
