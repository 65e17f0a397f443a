"""``soak.analyze --format markdown`` on a failed run: a bug report a maintainer can paste into a Litestream issue.

What an upstream maintainer needs, in the order they read it: what went wrong in one line, the versions, the command
that replays the run (its ``--fault-seed`` included, so the same kills fall at the same times), the litestream.yml,
the evidence (failed checks and criteria, the lost ids with their write times and the fault next to them), and the
litestream.log lines of those moments. The full analysis follows, folded.
"""

from __future__ import annotations

from typing import Any

from soak.analyze.render.tables import excerpts
from soak.analyze.render.text import fence, md

MAX_EVIDENCE_RANGES = 20


def _title(data: dict[str, Any]) -> str:
    repro = data.get("reproduce") or {}
    version = repro.get("litestream_version") or "Litestream"
    lost = (data.get("sections") or {}).get("lost_rows") or {}
    missing = lost.get("missing_rows") or 0
    if missing:
        faults = sorted({r["nearest_fault"].split()[0] for r in lost.get("ranges") or [] if r.get("nearest_fault")})
        near = f", written next to {' and '.join(f + 's' for f in faults)}" if faults else ""
        return f"litestream {version}: a restore lost {missing} row{'' if missing == 1 else 's'}{near}"
    return f"litestream {version}: soak failed: {data.get('reason') or data['headline']}"


def _versions(repro: dict[str, Any]) -> list[str]:
    rows = [
        ("litestream", repro.get("litestream_version"), repro.get("litestream_path")),
        ("litestream-test", repro.get("litestream_test_version"), None),
        ("Litestream commit", repro.get("litestream_commit") or repro.get("litestream_test_commit"), None),
        ("platform", repro.get("platform"), None),
    ]
    out = ["| | |", "|---|---|"]
    for name, value, where in rows:
        text = f"`{value}`" if value else "unknown"
        out.append(f"| {name} | {text}{f' (`{where}`)' if where else ''} |")
    return out


def _evidence(data: dict[str, Any]) -> list[str]:
    sections = data.get("sections") or {}
    out: list[str] = []
    checks = [c for c in (sections.get("validation") or {}).get("checks") or [] if c.get("passed") is False]
    if checks:
        out += ["Failed checks (result.json):", ""]
        out += [f"- `{c.get('name')}`: {md(str(c.get('detail') or ''))}" for c in checks]
        out.append("")
    failed = [c for c in data["criteria"] if c["status"] == "fail"]
    if failed:
        out += ["Failed criteria (soak.analyze):", ""]
        out += [f"- `{c['name']}`: {md(str(c['detail']))}" for c in failed]
        out.append("")
    lost = sections.get("lost_rows")
    if lost:
        out.append(
            f"Row by row, `{lost.get('table')}` has {lost.get('source_rows')} rows in the source and "
            f"{lost.get('restored_rows')} in the restore: {lost.get('missing_rows')} missing, "
            f"{lost.get('extra_rows')} extra, {lost.get('changed_rows')} changed."
        )
        out += ["", "| | ids | rows | written (UTC) | nearest fault | |", "|---|---|---|---|---|---|"]
        for r in (lost.get("ranges") or [])[:MAX_EVIDENCE_RANGES]:
            first, last = r.get("written_first") or "?", r.get("written_last") or "?"
            written = first if first == last else f"{first} to {last[11:] if last[:10] == first[:10] else last}"
            fault = f"{r['nearest_fault']} at {r.get('fault_at')}" if r.get("nearest_fault") else "none"
            out.append(
                f"| {r['kind']} | {r['ids']} | {r['rows']} | {written} | {fault} | {md(r.get('explained') or '')} |"
            )
        more = len(lost.get("ranges") or []) - MAX_EVIDENCE_RANGES
        if more > 0:
            out.append(f"| | ... {more} more ranges in analysis.json | | | | |")
        if lost.get("error"):
            out += ["", f"The comparison stopped early: {md(str(lost['error']))}"]
        out.append("")
    return out


def render_bug_report(data: dict[str, Any], analysis_markdown: str) -> str:
    repro = data.get("reproduce") or {}
    out = [f"# {md(_title(data))}", "", f"**What happened:** {md(str(data.get('reason') or data['headline']))}"]
    lost = (data.get("sections") or {}).get("lost_rows")
    if lost and lost.get("summary"):
        out += ["", f"**Lost rows:** {md(str(lost['summary']))}"]
    out += ["", "## Versions", "", *_versions(repro), ""]
    out += ["## How to reproduce", ""]
    if repro.get("command"):
        seed = repro.get("fault_seed")
        out += [
            "With litestream-release-tools (the soak harness: `invoke soak.overnight`) and the binaries above:",
            "",
            *fence([repro["command"]], "sh"),
            "",
        ]
        if seed is not None:
            out += [f"`--fault-seed {seed}` replays the same fault schedule (kill times, error dice).", ""]
    else:
        out += ["The run did not record its command (run.json `replay_command`); see `params` in run.json.", ""]
    if repro.get("litestream_yml"):
        out += ["## litestream.yml", "", *fence(str(repro["litestream_yml"]).rstrip("\n").splitlines(), "yaml"), ""]
    out += ["## Evidence", "", *_evidence(data)]
    quoted = excerpts(lost) if lost else []
    if quoted:
        out += ["## litestream.log around the lost rows", ""]
        for title, lines in quoted:
            out += [f"**{md(title)}**", "", *fence(lines), ""]
    out += [
        "<details><summary>Full soak analysis</summary>",
        "",
        analysis_markdown.rstrip("\n"),
        "",
        "</details>",
    ]
    return "\n".join(out) + "\n"
