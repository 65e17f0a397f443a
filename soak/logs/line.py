"""Fields of one slog line, TEXT (``time=… level=… msg=… k=v``) or JSON, read without a full parse.

Litestream's compaction and upload lines carry two ``level`` keys: the first is the severity, the
second (after ``msg``) the LTX level. ``attr(..., after_msg=True)`` searches after the message only.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

_MINUTE_CACHE: dict[bytes, float] = {}


def is_json(line: bytes) -> bool:
    return line.lstrip()[:1] == b"{"


def time_token(line: bytes) -> bytes | None:
    """The raw ``time`` value of a text or JSON line."""
    if line.startswith(b"time="):
        end = line.find(b" ", 5)
        return line[5 : end if end > 0 else len(line)]
    at = line.find(b'"time":"')
    if at < 0:
        return None
    end = line.find(b'"', at + 8)
    return line[at + 8 : end if end > 0 else len(line)]


def line_time(line: bytes) -> float | None:
    """Epoch seconds of the line's ``time`` (text or JSON), or None when it has none."""
    raw = time_token(line)
    return None if raw is None else parse_time(raw)


def parse_time(raw: bytes | str) -> float | None:
    """Epoch seconds of an RFC 3339 time (any fraction length, ``Z`` or offset); cached per minute.

    This is the fast reader of Litestream's own log times (slog prints local time with its offset); the run
    directory's own times go through common.timestamps."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) < 19 or data[4:5] != b"-" or data[10:11] not in (b"T", b" "):
        return None
    head = data[:16]
    tail = data[16:]
    zone_at = max(tail.rfind(b"+"), tail.rfind(b"-"), tail.rfind(b"Z"))
    zone = tail[zone_at:] if zone_at > 0 else b""
    key = head + zone
    base = _MINUTE_CACHE.get(key)
    if base is None:
        try:
            text = (head + b":00" + (zone or b"Z")).decode()
            base = datetime.fromisoformat(text).timestamp()
        except (ValueError, UnicodeDecodeError):
            return None
        if len(_MINUTE_CACHE) > 50_000:
            _MINUTE_CACHE.clear()
        _MINUTE_CACHE[key] = base
    seconds = tail[1 : zone_at if zone_at > 0 else len(tail)]
    try:
        return base + float(seconds)
    except ValueError:
        return None


def attr(line: bytes, name: bytes, *, after_msg: bool = False) -> bytes | None:
    """The raw value of attribute ``name`` (quotes removed, escapes kept), or None."""
    start = 0
    if after_msg:
        start = max(line.find(b"msg="), line.find(b'"msg":'))
        if start < 0:
            return None
    if is_json(line):
        key = b'"' + name + b'":'
        at = line.find(key, start)
        if at < 0:
            return None
        at += len(key)
        if line[at : at + 1] == b'"':
            end = _closing_quote(line, at + 1)
            return line[at + 1 : end]
        end = at
        while end < len(line) and line[end : end + 1] not in (b",", b"}"):
            end += 1
        return line[at:end]
    key = b" " + name + b"="
    at = line.find(key, start)
    if at < 0:
        return None
    at += len(key)
    if line[at : at + 1] == b'"':
        end = _closing_quote(line, at + 1)
        return line[at + 1 : end]
    end = line.find(b" ", at)
    return line[at : end if end >= 0 else len(line)]


def _closing_quote(line: bytes, at: int) -> int:
    end = at
    while True:
        end = line.find(b'"', end)
        if end < 0:
            return len(line)
        backslashes = 0
        while line[end - 1 - backslashes : end - backslashes] == b"\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return end
        end += 1


def text_value(raw: bytes | None) -> str | None:
    """An attribute value as text: escapes undone, undecodable bytes replaced."""
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    if "\\" in text:
        with contextlib.suppress(ValueError):
            text = json.loads('"' + text + '"')
    return text


def int_value(raw: bytes | None, base: int = 10) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw, base)
    except ValueError:
        return None


def txid_value(raw: bytes | None) -> int | None:
    """A TXID: 16 lowercase hex digits in both handlers."""
    return int_value(raw, 16)


def severity(line: bytes) -> str | None:
    """The FIRST ``level`` of the line (the second one, on some lines, is the LTX level)."""
    if is_json(line):
        at = line.find(b'"level":"')
        if at < 0:
            return None
        end = line.find(b'"', at + 9)
        return line[at + 9 : end].decode("ascii", "replace").upper() if end > 0 else None
    at = line.find(b" level=")
    if at < 0:
        return None
    end = line.find(b" ", at + 7)
    return line[at + 7 : end if end > 0 else len(line)].decode("ascii", "replace").upper()


def message(line: bytes) -> str | None:
    """The ``msg`` of the line."""
    return text_value(attr(line, b"msg"))


def json_fields(line: bytes) -> dict[str, Any] | None:
    """All fields of a JSON line, keeping the FIRST value of a duplicated key (``level``)."""

    def first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            out.setdefault(key, value)
        return out

    try:
        value = json.loads(line, object_pairs_hook=first_wins)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
