"""A minimal reader of Litestream's slog TEXT lines for the fault tests (the analyzer has the real parser)."""

from __future__ import annotations

import re
from datetime import datetime

from soak.fault_effects import LogEvent

_LINE = re.compile(r'^time=(?P<time>\S+) level=(?P<level>[A-Z]+) msg=(?P<msg>"(?:[^"\\]|\\.)*"|\S+)')


def parse_litestream_log(text: str) -> list[LogEvent]:
    events = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            when = datetime.fromisoformat(match["time"])
            events.append(LogEvent(when, match["msg"].strip('"'), match["level"].lower(), line))
    return events
