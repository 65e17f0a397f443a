"""Counting what litestream did from the NEW part of its text log since the last look.

Severity is the FIRST ``level=`` of a line: upload/compaction lines carry a second ``level=`` (the LTX
level) after ``msg=``, and the startup line's second one is the configured log level (reference §4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SEVERITY = re.compile(r"\blevel=(\w+)")
_MSG = re.compile(r'\bmsg=(?:"((?:[^"\\]|\\.)*)"|(\S+))')
_LTX_LEVEL = re.compile(r"\blevel=(\d+)")
_CRASH_MARKERS = ("panic:", "fatal error:", "SIGSEGV")


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


def count_line(line: str, counts: LogCounts) -> None:
    """Add one log line to ``counts``."""
    counts.lines += 1
    sev_match = _SEVERITY.search(line)
    severity = sev_match.group(1).upper() if sev_match else ""
    if severity == "ERROR" or (not sev_match and any(m in line for m in _CRASH_MARKERS)):
        counts.errors += 1
        counts.last_errors = [*counts.last_errors[-4:], line[:500]]
    elif severity in ("WARN", "WARNING"):
        counts.warnings += 1
    msg_match = _MSG.search(line)
    if not msg_match:
        return
    msg = msg_match.group(1) if msg_match.group(1) is not None else msg_match.group(2)
    if msg == "ltx file uploaded":
        counts.uploads += 1
    elif msg == "compaction complete":
        level = _LTX_LEVEL.search(line, msg_match.end())
        key = level.group(1) if level else "?"
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
            count_line(raw.decode("utf-8", errors="replace"), counts)
        return counts
