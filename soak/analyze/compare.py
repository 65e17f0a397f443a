"""Two runs side by side: the key figures of each analysis and their deltas."""

from __future__ import annotations

import json
from typing import Any

FIGURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("duration_s", ("summary", "duration_s")),
    ("rows_written", ("summary", "rows_written")),
    ("write_rate", ("summary", "write_rate")),
    ("l0_uploads", ("summary", "l0_uploads")),
    ("snapshots", ("summary", "snapshots")),
    ("critical_errors", ("summary", "critical_errors")),
    ("rss_bytes_peak", ("summary", "rss_bytes_peak")),
    ("rss_slope_pct_per_h", ("summary", "rss_slope_pct_per_h")),
    ("s3_bytes", ("summary", "s3_bytes")),
    ("l0_upload_bytes", ("replication", "l0_upload_bytes")),
    ("catch_up_s", ("validation", "catch_up", "seconds")),
)


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data.get("sections", {})
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _check_value(data: dict[str, Any], name: str) -> Any:
    """A passed result.json check's figure (validation section): ``restore``'s seconds, ``replica_age``'s worst age
    over the periodic restores (the lag independent evidence saw, also measured when ``--final-stop kill`` leaves no
    catch-up)."""
    checks = _dig(data, ("validation", "checks"))
    for check in checks if isinstance(checks, list) else []:
        if isinstance(check, dict) and check.get("name") == name and check.get("passed"):
            value = check.get("value")
            return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return None


def _per_row(total: Any, rows: Any) -> float | None:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (total, rows))
    return round(total / rows, 1) if numbers and rows > 0 else None


def key_figures(data: dict[str, Any]) -> dict[str, Any]:
    """The figures compared, flat: fixed ones, restore time, L0 bytes per row written, compactions per level,
    errors per class, verdict."""
    out: dict[str, Any] = {name: _dig(data, path) for name, path in FIGURES}
    out["restore_s"] = _check_value(data, "restore")
    out["replica_age_s"] = _check_value(data, "replica_age")
    out["l0_upload_bytes_per_row"] = _per_row(out["l0_upload_bytes"], out["rows_written"])
    for level, count in sorted((_dig(data, ("summary", "compactions")) or {}).items()):
        out[f"compactions_l{level}"] = count
    for cls, count in sorted((_dig(data, ("summary", "errors_by_class")) or {}).items()):
        out[f"errors[{cls}]"] = count
    out["verdict"] = data.get("verdict")
    return out


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of (figure, a, b, delta, delta_pct); a figure only one run has shows the other as None."""
    fa, fb = key_figures(a), key_figures(b)
    names = list(fa) + [n for n in fb if n not in fa]
    first_seen = {n: i for i, n in enumerate(names)}
    names.sort(key=lambda n: (n == "verdict", n.startswith("errors["), n.startswith("compactions_"), first_seen[n]))
    rows = []
    for name in names:
        va, vb = fa.get(name), fb.get(name)
        if name.startswith(("errors[", "compactions_")):
            va, vb = va or 0, vb or 0
        delta: float | str | None = None
        pct: float | None = None
        if isinstance(va, int | float) and isinstance(vb, int | float) and not isinstance(va, bool):
            delta = round(vb - va, 4)
            pct = round(100.0 * delta / va, 1) if va else None
        elif va != vb and va is not None and vb is not None:
            delta = "changed"
        rows.append({"figure": name, "a": va, "b": vb, "delta": delta, "delta_pct": pct})
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _delta(row: dict[str, Any]) -> str:
    delta = row["delta"]
    if delta is None:
        return ""
    if isinstance(delta, str):
        return delta
    text = f"{delta:+,.4g}" if abs(delta) < 1e6 else f"{delta:+,.0f}"
    return text + (f" ({row['delta_pct']:+.1f}%)" if row["delta_pct"] is not None else "")


def render(rows: list[dict[str, Any]], run_a: str, run_b: str, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"schema_version": 1, "run_a": run_a, "run_b": run_b, "rows": rows}, indent=2) + "\n"
    table = [("figure", "A", "B", "delta")] + [(r["figure"], _cell(r["a"]), _cell(r["b"]), _delta(r)) for r in rows]
    if fmt == "markdown":
        lines = [f"A: `{run_a}`  ", f"B: `{run_b}`", "", "| figure | A | B | delta |", "|---|---:|---:|---:|"]
        lines += [f"| {f} | {a} | {b} | {d} |" for f, a, b, d in table[1:]]
        return "\n".join(lines) + "\n"
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = [f"A: {run_a}", f"B: {run_b}", ""]
    for i, row in enumerate(table):
        lines.append(
            "  ".join(cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(row))
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
