"""Figures of analysis.json for people: bytes as KiB/MiB/GiB, durations as ``3m22s``, rates and percentages with
their units, counts with thousands separators, never scientific notation. analysis.json keeps the exact numbers;
only the reports show these.

What a number means comes from its key, as analysis.json names them: ``*_bytes`` are sizes, ``*_s`` durations,
``*_rate`` per second, ``*_percent`` and ``*_pct_per_h`` percentages. A dict's children without a unit of their own
take their parent's (``observed_interval_s: {median, min, max}`` are durations).
"""

from __future__ import annotations

from typing import Any

from common.units import format_bytes, format_duration

# Keys whose numbers are identifiers or codes: shown as they are, without thousands separators.
_PLAIN = ("pid", "txid", "exit_code", "status", "seed", "n", "restart_pid", "code", "schema_version")


def unit_of(key: str, inherited: str | None = None) -> str | None:
    """``bytes``, ``seconds``, ``per_second``, ``percent``, ``percent_per_hour``, ``plain`` or None (a count)."""
    words = key.split("_")
    if key.endswith("_pct_per_h"):
        return "percent_per_hour"
    if "percent" in words:
        return "percent"
    if "bytes" in words or key == "payload_size":
        return "bytes"
    if key.endswith("_s") or "_s_" in key or key == "seconds":
        return "seconds"
    if key.endswith("_rate") or key.endswith("_rate_mean"):
        return "per_second"
    if key in _PLAIN or key.endswith(("_pid", "_txid", "_txids")):
        return "plain"
    return inherited


def number(value: float) -> str:
    """``7,128``, ``39.58``, ``0.8``, ``-1,265.46``: at most four decimals, never ``1e+07``."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    digits = 2 if abs(value) >= 1 else 4
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def seconds(value: float) -> str:
    """``750ms``, ``9.7s``, ``45.1s``, ``3m22s``, ``8h0m3s`` style (a minute or more: whole seconds)."""
    sign, value = ("-", -value) if value < 0 else ("", value)
    if value >= 60:
        return sign + format_duration(value)
    if value == 0:
        return "0s"
    if value < 1:
        return f"{sign}{value * 1000:.0f}ms"
    return f"{sign}{number(round(value, 1 if value >= 10 else 2))}s"


def figure(value: Any, unit: str | None = None) -> str:
    """One scalar for a report cell."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if unit == "bytes":
            return format_bytes(value)
        if unit == "seconds":
            return seconds(value)
        if unit == "per_second":
            return f"{number(value)}/s"
        if unit == "percent":
            return f"{number(value)} %"
        if unit == "percent_per_hour":
            return f"{number(value)} %/h"
        if unit == "plain":
            return str(int(value)) if float(value).is_integer() else str(value)
        return number(value)
    return str(value)


def scalar_list(values: list[Any], unit: str | None, limit: int = 20) -> str:
    """``10s, 30s, 1m`` (long lists cut, saying how many there were)."""
    shown = ", ".join(figure(v, unit) for v in values[:limit])
    return (shown + f", ... ({len(values)} in all)" if len(values) > limit else shown) or "-"


def inline(mapping: dict[str, Any], unit: str | None = None) -> str:
    """A small dict of scalars on one line: ``median: 10s, min: 9.7s, max: 1m40s`` (never a Python repr)."""
    if not mapping:
        return "-"
    return ", ".join(f"{key}: {cell(value, unit_of(str(key), unit))}" for key, value in mapping.items())


def cell(value: Any, unit: str | None = None) -> str:
    """Any value for a report cell: scalars with units, lists joined, dicts as ``key value`` pairs."""
    if isinstance(value, dict):
        return inline(value, unit)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "; ".join(inline(v, unit) for v in value)
        return scalar_list(value, unit)
    return figure(value, unit)
