"""Durations (``90s``, ``1h30m``) and sizes (``5MB``, ``1.5GB``) as the seed scripts wrote them, and both for people."""

from __future__ import annotations

import re

from common.errors import UserError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(TB|GB|MB|KB|B)?$", re.IGNORECASE)
# Binary units, as litestream-test's size parser uses (MB = 1024**2).
_UNIT_BYTES = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def parse_duration(text: str, *, name: str = "duration") -> float:
    """Seconds in a Go-style duration such as ``90s``, ``30m``, ``8h`` or ``1h30m``."""
    value = str(text).strip()
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise UserError(f"--{name} {text!r} is not a duration; write it like 90s, 30m, 8h or 1h30m")
    return total


def parse_size(text: str, *, name: str = "size") -> int:
    """Bytes in a size such as ``5MB`` or ``1.5GB`` (binary units, like litestream-test)."""
    match = _SIZE.match(str(text).strip())
    if not match:
        raise UserError(f"--{name} {text!r} is not a size; write it like 4096, 5MB or 1.5GB")
    return int(float(match.group(1)) * _UNIT_BYTES[(match.group(2) or "").upper()])


def format_duration(seconds: float) -> str:
    """The inverse of parse_duration for display: ``1h30m``, ``3m``, ``45s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


def format_bytes(n: float) -> str:
    """Bytes for people, in binary units: ``512 B``, ``5.0 MiB``, ``1.2 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"
