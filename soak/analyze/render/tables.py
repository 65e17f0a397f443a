"""analysis.json as tables of human-readable cells: the one layout of the text, Markdown and HTML reports.

A section becomes a key/value table of its scalars (small dicts and lists inline), followed by one table per
nested collection: a dict of objects (compaction levels, error classes, tables) or a list of objects (faults,
checks) gets one row per item and one column per key, a larger dict of scalars (params, the log) a key/value table
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from soak.analyze.render.human import cell, unit_of

TITLES = {
    "timeline": "1. Duration and timeline",
    "database": "2. Database",
    "replication": "3. Replication",
    "compaction": "4. Compaction",
    "load": "5. Load generator",
    "errors": "6. Errors and warnings",
    "checkpoints": "7. Checkpoints",
    "validation": "8. Validation",
    "resources": "9. Resources",
    "summary": "10. Summary",
    "faults": "11. Faults",
    "lost_rows": "12. Lost rows",
    "shape": "13. Replica shape",
}
VERDICT_WORD = {"pass": "PASS", "fail": "FAIL", "incomplete": "INCOMPLETE"}
# Keys a section keeps for the renderers to show their own way (the log lines of section 12), not as a table.
QUOTED = ("log_excerpts",)
# Columns analysis.json keeps for the bug report and for machines, left out of the tables (they repeat a neighbour).
HIDDEN_COLUMNS = ("explained", "fault_at")
MARK = {"pass": "PASS", "fail": "FAIL", "na": "n/a"}
# What a row of a nested table is, by the key of the collection.
_ROW_NAME = {
    "levels": "level",
    "s3_levels": "level",
    "errors_by_class": "class",
    "warnings_by_class": "class",
    "tables": "table",
    "faults": "fault",
    "checks": "check",
    "ranges": "range",
    "compaction_levels": "level",
}
# The unit of a criterion's value and threshold.
_CRITERION_UNIT = {"memory_stable": "percent_per_hour", "wal_bounded": "bytes"}
_INLINE_MAX = 4  # a dict of at most this many scalars stays on one line


@dataclass
class Table:
    """Rows of cells under ``headers``; ``title`` names a nested table (None for a section's own figures)."""

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str | None = None


def label(key: str) -> str:
    """``db_bytes_first`` -> ``db bytes first``; ``duration_s`` -> ``duration`` (the value carries the unit)."""
    key = key[:-2] if key.endswith("_s") else key
    return key.replace("_", " ")


def checklist(data: dict[str, Any]) -> Table:
    """The pass criteria, first in every report."""
    table = Table(["", "criterion", "value", "threshold", "detail"])
    for c in data["criteria"]:
        unit = _CRITERION_UNIT.get(c["name"])
        table.rows.append(
            [MARK[c["status"]], c["name"], cell(c["value"], unit), cell(c["threshold"], unit), c["detail"]]
        )
    return table


def verdict_line(data: dict[str, Any]) -> str:
    """``PASS - 7/8 criteria passed; ...``, or ``INCOMPLETE - <why>`` (the headline follows on its own line)."""
    word = VERDICT_WORD.get(str(data["verdict"]), str(data["verdict"]).upper())
    return f"{word} - {data.get('reason') or data['headline']}"


def excerpts(section: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(title, lines) of each quoted log window of a section."""
    out = []
    for item in section.get("log_excerpts") or []:
        title = f"litestream.log, {item['kind']} ids {item['ids']}, {item['what']} ({item['from']} to {item['to']})"
        out.append((title, list(item.get("lines") or []) or ["(no lines in this window)"]))
    return out


def missing_lines(data: dict[str, Any]) -> list[str]:
    """``metrics.jsonl (less data for: database, replication, resources)``, one per absent input."""
    return [
        f"{name} (less data for: {', '.join(data['missing_starves'].get(name, [])) or '-'})" for name in data["missing"]
    ]


def section_tables(section: dict[str, Any]) -> list[Table]:
    """One section as tables (its ``no_data``/``why`` are said apart, above them)."""
    main = Table(["", ""])
    nested: list[Table] = []
    for key, value in section.items():
        if key in ("no_data", "why", *QUOTED):
            continue
        unit = unit_of(key)
        table = _nested_table(key, value, unit)
        if table is None:
            main.rows.append([label(key), cell(value, unit)])
        else:
            nested.append(table)
    return ([main] if main.rows else []) + nested


def _nested_table(key: str, value: Any, unit: str | None) -> Table | None:
    """A table of its own for a collection of objects or a larger dict; None: it fits in one cell."""
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        columns = _columns(list(value.values()))
        table = Table([_ROW_NAME.get(key, "name"), *map(label, columns)], title=label(key))
        for name, item in value.items():
            table.rows.append([str(name), *(_cell_of(item, column, unit) for column in columns)])
        return table
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = [c for c in _columns(value) if c not in HIDDEN_COLUMNS]
        table = Table([*map(label, columns)], title=label(key))
        for item in value[:50]:
            table.rows.append([_cell_of(item, column, unit) for column in columns])
        if len(value) > 50:
            table.rows.append([f"... {len(value) - 50} more", *[""] * (len(columns) - 1)])
        return table
    if isinstance(value, dict) and (
        len(value) > _INLINE_MAX or any(isinstance(v, dict | list) for v in value.values())
    ):
        table = Table(["", ""], title=label(key))
        table.rows = [[label(str(k)), cell(v, unit_of(str(k), unit))] for k, v in value.items()]
        return table
    return None


def _columns(items: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for item in items:
        columns += [k for k in item if k not in columns]
    return columns


def _cell_of(item: dict[str, Any], column: str, unit: str | None) -> str:
    return cell(item[column], unit_of(column, unit)) if column in item else ""
