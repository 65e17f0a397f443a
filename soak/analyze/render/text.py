"""analysis.json rendered for people: plain text (analysis-report.txt, and stdout), Markdown, JSON.

Both human forms show the checklist of criteria first, then each section as tables (soak.analyze.render.tables)
with sizes, durations and rates in human units; analysis.json keeps the exact numbers.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table as RichTable

from soak.analyze.render.tables import TITLES, Table, checklist, excerpts, missing_lines, section_tables, verdict_line

WIDTH = 120


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def _rich(table: Table) -> Padding:
    """A table without vertical rules; nested ones indented under their title. Nothing is cut: long cells fold."""
    out = RichTable(
        title=f"{table.title}:" if table.title else None,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_header=any(table.headers),
        show_edge=False,
        pad_edge=False,
    )
    for header in table.headers:
        out.add_column(header, overflow="fold")
    for row in table.rows:
        out.add_row(*row)
    return Padding(out, (0, 0, 0, 4 if table.title else 2))


def render_text(data: dict[str, Any], width: int = WIDTH) -> str:
    """The report as plain text (no colour codes), the same on a terminal and in analysis-report.txt."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    console.print(f"Soak analysis: {data['run_dir']}", soft_wrap=True)
    console.print(f"VERDICT: {verdict_line(data)}", soft_wrap=True)
    if data.get("reason"):
        console.print(f"  {data['headline']}", soft_wrap=True)
    console.print()
    console.print("Pass criteria")
    console.print(_rich(checklist(data)))
    if data["missing"]:
        console.print()
        console.print("Missing inputs")
        for line in missing_lines(data):
            console.print(f"  {line}", soft_wrap=True)
    for warning in data.get("input_warnings") or []:
        console.print(f"  warning: {warning}", soft_wrap=True)
    for name, section in data["sections"].items():
        console.print()
        console.print(TITLES.get(name, name))
        if section.get("no_data"):
            console.print(f"  NO DATA: {section.get('why')}", soft_wrap=True)
        for table in section_tables(section):
            console.print(_rich(table))
        for title, lines in excerpts(section):
            console.print(f"    {title}:", soft_wrap=True)
            for line in lines:
                console.print(f"      {line}", soft_wrap=True, markup=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    out = [f"**{table.title}**", ""] if table.title else []
    headers = [h or " " for h in table.headers]
    out += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(md(c) for c in row) + " |" for row in table.rows]
    return [*out, ""]


def render_markdown(data: dict[str, Any]) -> str:
    """The report in Markdown; for a failed run, a bug report to paste upstream first (render.bug_report)."""
    if data["verdict"] == "fail":
        from soak.analyze.render.bug_report import render_bug_report

        return render_bug_report(data, _analysis_markdown(data))
    return _analysis_markdown(data)


def fence(lines: list[str], lang: str = "") -> list[str]:
    """A Markdown code block that no quoted line can close: its fence is longer than any run of backticks inside."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    ticks = "`" * max(3, longest + 1)
    return [f"{ticks}{lang}", *lines, ticks]


def _analysis_markdown(data: dict[str, Any]) -> str:
    out = [f"# Soak analysis: `{data['run_dir']}`", "", f"**Verdict: {verdict_line(data).replace(' - ', '** - ', 1)}"]
    if data.get("reason"):
        out += ["", data["headline"]]
    out += ["", "| | criterion | value | threshold | detail |", "|---|---|---|---|---|"]
    icons = {"pass": "✔", "fail": "✘", "na": "–"}
    for c, row in zip(data["criteria"], checklist(data).rows, strict=True):
        out.append(f"| {icons[c['status']]} | `{c['name']}` | {md(row[2])} | {md(row[3])} | {md(row[4])} |")
    if data["missing"]:
        out += ["", "**Missing inputs:** " + "; ".join(f"`{line}`" for line in missing_lines(data))]
    out += [f"- warning: {w}" for w in data.get("input_warnings") or []]
    for name, section in data["sections"].items():
        out += ([] if out[-1] == "" else [""]) + [f"## {TITLES.get(name, name)}", ""]
        if section.get("no_data"):
            out += [f"_No data: {section.get('why')}_", ""]
        for table in section_tables(section):
            out += _md_table(table)
        for title, lines in excerpts(section):
            out += [f"**{md(title)}**", "", *fence(lines), ""]
    return "\n".join(out).rstrip("\n") + "\n"
