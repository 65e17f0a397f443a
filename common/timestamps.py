"""The one time format of everything this project writes, and its reader.

``2026-12-01T07:00:00.123Z``: ISO 8601 in UTC, milliseconds, a ``Z``. The run directory's JSON, faults.log,
the analysis and the gate's ledger all use it. A run directory's name carries ``yyyymmdd-HHMMSS`` in UTC.
(Litestream's own log lines have their own zones and fractions; soak.logs.line reads those, fast.)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import overload

RUN_STAMP_FORMAT = "%Y%m%d-%H%M%S"
_RUN_STAMP = re.compile(r"\d{8}-\d{6}")


def utc_now() -> str:
    """Now, as ``2026-12-01T07:00:00.123Z``."""
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    """A datetime as ``2026-12-01T07:00:00.123Z`` (milliseconds truncated, not rounded; naive is taken as UTC)."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@overload
def iso_utc(epoch: float) -> str: ...
@overload
def iso_utc(epoch: None) -> None: ...
@overload
def iso_utc(epoch: float | None) -> str | None: ...
def iso_utc(epoch: float | None) -> str | None:
    """Epoch seconds as ``2026-12-01T07:00:00.123Z``; None stays None (a time that is unknown)."""
    if epoch is None:
        return None
    return format_utc(datetime.fromtimestamp(epoch, UTC))


def iso_utc_us(epoch: float) -> str:
    """Epoch seconds as ``2026-12-01T07:00:00.123456Z``: to the microsecond (rounded), for ``litestream restore
    -timestamp``, where truncating to the millisecond could name a moment before the one recorded."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 time (``Z`` or an offset; no zone is taken as UTC); None if it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def run_stamp(now: datetime | None = None) -> str:
    """``yyyymmdd-HHMMSS`` in UTC: the suffix of a run directory's default name and of the replica prefix."""
    return _utc(now or datetime.now(UTC)).strftime(RUN_STAMP_FORMAT)


def parse_run_stamp(text: str) -> float | None:
    """Epoch seconds of a ``yyyymmdd-HHMMSS`` UTC stamp, or None."""
    if not _RUN_STAMP.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, RUN_STAMP_FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
