"""analysis.json rendered for people: plain text (analysis-report.txt), Markdown, JSON."""

from __future__ import annotations

import json
from typing import Any

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
}
MARK = {"pass": "PASS", "fail": "FAIL", "na": "n/a "}


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``a.b.c: value`` pairs of a nested section, lists of dicts numbered, long lists cut."""
    rows: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if not value and prefix:
            rows.append((prefix, "-"))
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for i, item in enumerate(value[:50]):
            rows.extend(flatten(item, f"{prefix}[{i}]"))
        if len(value) > 50:
            rows.append((prefix, f"... {len(value) - 50} more"))
    elif isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:20]) + (f", ... ({len(value)} in all)" if len(value) > 20 else "")
        rows.append((prefix, shown or "-"))
    else:
        rows.append((prefix, _fmt(value)))
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_text(data: dict[str, Any]) -> str:
    out = [f"Soak analysis: {data['run_dir']}", f"VERDICT: {data['verdict'].upper()} - {data['headline']}", ""]
    out.append("Pass criteria")
    for c in data["criteria"]:
        out.append(f"  [{MARK[c['status']]}] {c['name']:<18} value={_fmt(c['value'])} threshold={_fmt(c['threshold'])}")
        out.append(f"         {c['detail']}")
    if data["missing"]:
        out.append("")
        out.append("Missing inputs")
        for name in data["missing"]:
            out.append(f"  {name} (less data for: {', '.join(data['missing_starves'].get(name, [])) or '-'})")
    for warning in data.get("input_warnings") or []:
        out.append(f"  warning: {warning}")
    for name, section in data["sections"].items():
        out.append("")
        out.append(TITLES.get(name, name))
        if section.get("no_data"):
            out.append(f"  NO DATA: {section.get('why')}")
        for key, value in flatten({k: v for k, v in section.items() if k not in ("no_data", "why")}):
            out.append(f"  {key}: {value}")
    return "\n".join(out) + "\n"


def render_markdown(data: dict[str, Any]) -> str:
    out = [f"# Soak analysis: `{data['run_dir']}`", "", f"**Verdict: {data['verdict'].upper()}** - {data['headline']}"]
    out += ["", "| | criterion | value | threshold | detail |", "|---|---|---|---|---|"]
    for c in data["criteria"]:
        icon = {"pass": "✔", "fail": "✘", "na": "–"}[c["status"]]
        detail = str(c["detail"]).replace("|", "\\|")
        out.append(f"| {icon} | `{c['name']}` | {_fmt(c['value'])} | {_fmt(c['threshold'])} | {detail} |")
    if data["missing"]:
        out += [
            "",
            "**Missing inputs:** "
            + "; ".join(f"`{m}` ({', '.join(data['missing_starves'].get(m, []))})" for m in data["missing"]),
        ]
    out += [f"- warning: {w}" for w in data.get("input_warnings") or []]
    for name, section in data["sections"].items():
        out += ["", f"## {TITLES.get(name, name)}", ""]
        if section.get("no_data"):
            out.append(f"_No data: {section.get('why')}_")
            out.append("")
        for key, value in flatten({k: v for k, v in section.items() if k not in ("no_data", "why")}):
            out.append(f"- `{key}`: {value.replace('|', '/')}")
    return "\n".join(out) + "\n"
