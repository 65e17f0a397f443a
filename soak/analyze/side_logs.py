"""The small logs next to litestream.log: load generator, populate, restore and validate output.

All are litestream-test (or litestream CLI) slog TEXT on stderr; read line by line, garbage tolerated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from soak.logs import error_classes as errclass
from soak.logs.blocks import iter_lines
from soak.logs.line import attr, line_time, message, severity, text_value


@dataclass
class LoadStats:
    """What load.log says: the parameters, the 5-s statistics, the errors and the end."""

    lines: int = 0
    started_t: float | None = None
    ended_t: float | None = None
    params: dict[str, str] = field(default_factory=dict)
    write_rate_points: list[tuple[float, float]] = field(default_factory=list)
    reported_errors: int = 0  # the cumulative ``errors=`` of the last statistics line
    error_lines: Counter[str] = field(default_factory=Counter)  # class -> count of Write/Read failed
    transient_errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    interrupted: bool = False
    complete: bool = False


def read_load_log(path: Path) -> LoadStats:
    stats = LoadStats()
    pending: list[float] = []
    for line in iter_lines(path):
        stats.lines += 1
        msg = message(line)
        t = line_time(line)
        if msg == "Starting load generation":
            stats.started_t = t
            for key in ("write_rate", "duration", "pattern", "payload_size", "read_ratio", "workers"):
                value = text_value(attr(line, key.encode()))
                if value is not None:
                    stats.params[key] = value
        elif msg == "Load statistics":
            rate = _float(text_value(attr(line, b"writes_per_sec")))
            if t is not None and rate is not None:
                stats.write_rate_points.append((t, rate))
                if rate > 0:  # writes went through again: earlier failures were transient
                    stats.transient_errors += sum(1 for e in pending if e < t)
                    pending = [e for e in pending if e >= t]
            stats.reported_errors = int(_float(text_value(attr(line, b"errors"))) or stats.reported_errors)
        elif msg in ("Write failed", "Read failed") or severity(line) == "ERROR":
            cls = errclass.classify(text_value(attr(line, b"error")), msg).cls
            stats.error_lines[cls] += 1
            if t is not None:
                pending.append(t)
            if len(stats.error_examples) < 3:
                stats.error_examples.append(line[:400].decode("utf-8", "replace"))
        elif msg == "Received interrupt signal, stopping load generation":
            stats.interrupted = True
        elif msg == "Load generation complete":
            stats.complete = True
            stats.ended_t = t
    if stats.ended_t is None and stats.write_rate_points:
        stats.ended_t = stats.write_rate_points[-1][0]
    return stats


@dataclass
class MessageLog:
    """Any other slog file: its messages by name, errors, and first/last time."""

    lines: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    first_t: float | None = None
    last_t: float | None = None
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)  # msg -> attrs of its last occurrence


def read_message_log(path: Path, keep: tuple[str, ...] = ()) -> MessageLog:
    out = MessageLog()
    for line in iter_lines(path):
        out.lines += 1
        t = line_time(line)
        if t is not None:
            out.first_t = t if out.first_t is None else out.first_t
            out.last_t = t
        msg = message(line)
        if msg is None:
            text = line.decode("utf-8", "replace").strip()
            if text.startswith(("Error:", "error:")) and len(out.errors) < 5:
                out.errors.append(text[:300])
            continue
        out.messages[msg] += 1
        if severity(line) == "ERROR" and len(out.errors) < 5:
            out.errors.append(line[:300].decode("utf-8", "replace"))
        if msg in keep:
            out.attrs[msg] = _all_attrs(line)
    return out


def _all_attrs(line: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in (b"passed", b"match", b"tables_checked", b"issues", b"final_size_mb", b"duration", b"total_rows"):
        value = text_value(attr(line, key))
        if value is not None:
            out[key.decode()] = value
    return out


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
