"""``--idle``: after the load stops nothing writes, and litestream must settle.

A build that checkpointed an idle database in a loop (7 PASSIVE checkpoints and 7 new L0 files in 29 s after the
load stopped) passed every other check. ``idle_quiet`` holds only if, after the first sync interval of the idle
phase (which uploads the load's last transactions) and a 2 s slack, litestream.log shows at most one L0 upload
(``msg="ltx file uploaded"`` with LTX ``level=0``, replica.go) and at most one ``msg=checkpoint`` (db.go, DEBUG): a
second checkpoint is a repeating one. Snapshots and compactions of the idle database are not judged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.timestamps import iso_utc
from soak.logs.line import attr, int_value, line_time, message

MAX_UPLOADS = 1
MAX_CHECKPOINTS = 1
# After the first sync interval: the load's last transactions are uploaded by the sync that follows its stop, which on
# a real v0.5.16 run came 1.0 s after the idle phase began (tests/fixtures/logs/idle); this slack keeps it out.
SETTLE_SLACK_S = 2.0
KEEP_LINES = 20
# The shortest span worth judging after the settle: a checkpoint loop shows its second checkpoint within seconds.
MIN_JUDGED_S = 10.0


def min_idle_s(sync_s: float) -> float:
    """The shortest --idle that judges anything: the first sync interval and the slack are not judged."""
    return sync_s + SETTLE_SLACK_S + MIN_JUDGED_S


@dataclass
class IdleActivity:
    """What litestream logged in [judged_from, end] of the idle phase."""

    start: float
    end: float
    judged_from: float
    uploads: int = 0
    checkpoints: int = 0
    lines: list[str] = field(default_factory=list)
    error: str | None = None  # the log could not be read: nothing to judge, never quiet

    @property
    def judged_s(self) -> float:
        return self.end - self.judged_from

    @property
    def quiet(self) -> bool:
        """At most the allowed uploads and checkpoints; never when nothing could be judged (fail closed)."""
        return (
            self.error is None
            and self.judged_s > 0
            and self.uploads <= MAX_UPLOADS
            and self.checkpoints <= MAX_CHECKPOINTS
        )

    def detail(self) -> str:
        if self.error is not None:
            return f"cannot judge the idle phase: {self.error}"
        if self.judged_s <= 0:
            return (
                f"cannot judge the idle phase: it lasted {self.end - self.start:.1f}s, all of it within the first "
                f"sync interval and the {SETTLE_SLACK_S:g}s slack, which are not judged"
            )
        span = self.end - self.judged_from
        text = (
            f"{self.uploads} L0 upload(s) and {self.checkpoints} checkpoint(s) in the {span:.0f}s of idle after the "
            f"first sync interval; at most {MAX_UPLOADS} and {MAX_CHECKPOINTS} allowed"
        )
        return text if self.quiet else text + ": litestream keeps working on a database nobody writes"

    def to_json(self) -> dict[str, Any]:
        return {
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "judged_from": iso_utc(self.judged_from),
            "uploads": self.uploads,
            "checkpoints": self.checkpoints,
            "lines": self.lines,
        }


def idle_activity(log: Path, start: float, end: float, sync_s: float) -> IdleActivity:
    """Count L0 uploads and checkpoints in ``log`` (TEXT or JSON slog) timed in [start + sync_s + slack, end]."""
    activity = IdleActivity(start=start, end=end, judged_from=start + sync_s + SETTLE_SLACK_S)
    try:
        fh = log.open("rb")
    except OSError as exc:
        activity.error = f"{log} unreadable ({exc.strerror or exc})"
        return activity
    with fh:
        for line in fh:
            msg = message(line)
            if msg not in ("ltx file uploaded", "checkpoint"):
                continue
            t = line_time(line)
            if t is None or not activity.judged_from <= t <= end:
                continue
            if msg == "checkpoint":
                activity.checkpoints += 1
            elif int_value(attr(line, b"level", after_msg=True)) == 0:
                activity.uploads += 1
            else:
                continue
            if len(activity.lines) < KEEP_LINES:
                activity.lines.append(line.decode("utf-8", "replace").rstrip()[:300])
    return activity
