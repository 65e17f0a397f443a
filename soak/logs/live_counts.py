"""Counting what litestream did from the NEW part of its log since the last look.

Fields are read with soak.logs.line, the analyzer's reader, so the monitor and soak.analyze agree on
every line, TEXT or JSON: severity is the FIRST ``level`` (upload/compaction lines carry a second
one, the LTX level, after ``msg``; the startup line's second one is the configured log level).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soak.logs.line import attr, int_value, message, severity

_CRASH_MARKERS = (b"panic:", b"fatal error:", b"SIGSEGV")


@dataclass
class LogCounts:
    uploads: int = 0
    compactions: dict[str, int] = field(default_factory=dict)
    snapshots: int = 0
    checkpoints: int = 0
    errors: int = 0
    warnings: int = 0
    lines: int = 0
    last_errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "uploads": self.uploads,
            "compactions": dict(sorted(self.compactions.items())),
            "snapshots": self.snapshots,
            "checkpoints": self.checkpoints,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def count_line(line: bytes, counts: LogCounts) -> None:
    """Add one log line to ``counts``."""
    counts.lines += 1
    level = severity(line) or ""
    if level == "ERROR" or (not level and any(m in line for m in _CRASH_MARKERS)):
        counts.errors += 1
        counts.last_errors = [*counts.last_errors[-4:], line[:500].decode("utf-8", "replace")]
    elif level in ("WARN", "WARNING"):
        counts.warnings += 1
    msg = message(line)
    if msg == "ltx file uploaded":
        counts.uploads += 1
    elif msg == "compaction complete":
        ltx_level = int_value(attr(line, b"level", after_msg=True))
        key = "?" if ltx_level is None else str(ltx_level)
        counts.compactions[key] = counts.compactions.get(key, 0) + 1
    elif msg == "snapshot complete":
        counts.snapshots += 1
    elif msg == "checkpoint":
        counts.checkpoints += 1


class LogTail:
    """Remembers how far a log was read; each ``read_new`` counts only complete lines added since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read_new(self) -> LogCounts:
        counts = LogCounts()
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except OSError:
            return counts
        end = chunk.rfind(b"\n")
        if end < 0:
            return counts  # only a partial line so far: wait for its newline
        self.offset += end + 1
        for raw in chunk[: end + 1].splitlines():
            count_line(raw, counts)
        return counts
