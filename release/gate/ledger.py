"""The release gate's ledger: one record per gate, in order, saved after every change as gate-report.json/.md.

The first gate starts a fresh ledger; a failing gate marks every later one ``aborted``; a gate that did not run is
never shown as passed. Facts a gate learns for later ones (where the binaries are, the soak's run directory) travel
in ``GateFacts``, saved with the ledger, because every gate runs in its own nox session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from rich.console import Console
from rich.table import Table
from rich.text import Text

from common.console import terminal
from common.timestamps import utc_now
from common.units import format_duration
from release.gate.options import GateOptions
from release.gate.upstream_suites import suite_markdown

REPORT_JSON = "gate-report.json"
REPORT_MD = "gate-report.md"

GateStatus = Literal["pending", "running", "pass", "fail", "skipped", "aborted"]
Verdict = Literal["pass", "partial", "fail", "incomplete"]
STATUS_MARK: dict[GateStatus, str] = {
    "pass": "✔",
    "fail": "✘",
    "skipped": "–",
    "aborted": "↯",
    "pending": "·",
    "running": "…",
}


@dataclass
class GateFacts:
    """What a gate found out that later gates need; None = not known (that gate was skipped or has not run)."""

    bin_dir: Path | None = None  # build: litestream and litestream-test for the soak
    checksums: Path | None = None  # build: dist/checksums.txt for the formula
    run_dir: Path | None = None  # soak: the run directory to analyze
    tagged_at_head: bool | None = None  # preflight: the version is the tag at HEAD (release build, not snapshot)
    formula_source: Literal["published", "preview"] | None = None  # formula: the release's checksums, or a preview

    def merge(self, other: GateFacts) -> None:
        """Take every fact ``other`` knows."""
        for item in fields(self):
            value = getattr(other, item.name)
            if value is not None:
                setattr(self, item.name, value)

    def as_json(self) -> dict[str, Any]:
        return {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Any) -> GateFacts:
        """The facts of a saved ledger; a value of the wrong type is dropped (not known), never guessed."""
        data = data if isinstance(data, dict) else {}
        tagged = data.get("tagged_at_head")
        source = data.get("formula_source")

        def path(key: str) -> Path | None:
            value = data.get(key)
            return Path(value) if isinstance(value, str) and value else None

        return cls(
            bin_dir=path("bin_dir"),
            checksums=path("checksums"),
            run_dir=path("run_dir"),
            tagged_at_head=tagged if isinstance(tagged, bool) else None,
            formula_source="published" if source == "published" else "preview" if source == "preview" else None,
        )


@dataclass
class GateRecord:
    """One gate's line in the verdict."""

    name: str
    status: GateStatus = "pending"
    duration_s: float | None = None
    key_figure: str = ""
    evidence: str | None = None
    reason: str | None = None
    profiles: list[dict[str, Any]] | None = None  # the profiles gate: each profile's soak and analysis
    details: dict[str, Any] | None = None  # what the gate found, item by item (the suite step's profiles)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateRecord:
        status = data.get("status")
        if status not in get_args(GateStatus):
            raise ValueError(f"unknown gate status {status!r}")
        return cls(**data)


@dataclass
class Outcome:
    """What a gate's body found: pass or fail, its key figure, its evidence, and facts for later gates.

    A gate with nothing to work on raises ``common.steps.Skip`` instead.
    """

    status: Literal["pass", "fail"]
    key_figure: str
    evidence: Path | None = None
    reason: str | None = None
    facts: GateFacts = field(default_factory=GateFacts)
    profiles: list[dict[str, Any]] | None = None  # one row per --soak-profiles soak (GateRecord.profiles)
    details: dict[str, Any] | None = None


@dataclass
class Ledger:
    """The gate's evidence index: which Litestream commit and version, and each gate's record."""

    out: Path
    src: str
    version: str
    commit: str | None
    options: dict[str, Any]
    started_at: str
    gates: list[GateRecord]
    facts: GateFacts = field(default_factory=GateFacts)
    ended_at: str | None = None

    @classmethod
    def fresh(cls, options: GateOptions, commit: str | None, gates: Sequence[str]) -> Ledger:
        return cls(
            out=options.out,
            src=str(options.src),
            version=options.version.tag,
            commit=commit,
            options=options.as_json(),
            started_at=utc_now(),
            gates=[GateRecord(name) for name in gates],
        )

    @classmethod
    def load(cls, options: GateOptions) -> Ledger | None:
        """The ledger of the run in progress, if it is for the same checkout and version."""
        try:
            data = json.loads((options.out / REPORT_JSON).read_text())
            litestream = data["litestream"]
            if litestream["src"] != str(options.src) or litestream["version"] != options.version.tag:
                return None
            return cls(
                out=options.out,
                src=litestream["src"],
                version=litestream["version"],
                commit=litestream["commit"],
                options=data["options"],
                started_at=data["started_at"],
                gates=[GateRecord.from_json(gate) for gate in data["gates"]],
                facts=GateFacts.from_json(data.get("facts")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def gate(self, name: str) -> GateRecord:
        return next(gate for gate in self.gates if gate.name == name)

    def abort_after(self, name: str, reason: str) -> None:
        names = [gate.name for gate in self.gates]
        for gate in self.gates[names.index(name) + 1 :]:
            if gate.status in ("pending", "running"):
                gate.status, gate.reason = "aborted", reason

    @property
    def verdict(self) -> Verdict:
        """pass: every gate passed; partial: none failed but some were skipped; fail: anything else. A ledger with no
        gate at all judged nothing: incomplete, never a pass."""
        statuses = {gate.status for gate in self.gates}
        if not statuses:
            return "incomplete"
        if statuses <= {"pass"}:
            return "pass"
        if statuses <= {"pass", "skipped"}:
            return "partial"
        if statuses & {"fail", "aborted"}:
            return "fail"
        return "incomplete"

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "tool": "litestream-release-tools",
            "litestream": {"src": self.src, "version": self.version, "commit": self.commit},
            "verdict": self.verdict,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "options": self.options,
            "gates": [asdict(gate) for gate in self.gates],
            "facts": self.facts.as_json(),
        }

    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / REPORT_JSON).write_text(json.dumps(self.as_json(), indent=2) + "\n")
        (self.out / REPORT_MD).write_text(render_markdown(self))


def _duration(gate: GateRecord) -> str:
    return format_duration(gate.duration_s) if gate.duration_s is not None else "—"


def _figure(gate: GateRecord) -> str:
    """Key figure, and the reason when it did not pass."""
    parts = [part for part in (gate.key_figure, gate.reason if gate.status != "pass" else None) if part]
    return "; ".join(parts) if parts else "—"


# Gates whose details get their own section under the table in gate-report.md.
DETAIL_SECTIONS: dict[str, Callable[[dict[str, Any]], list[str]]] = {"upstream_suites": suite_markdown}

HEADLINE: dict[Verdict, str] = {
    "pass": "✔ PASS",
    "partial": "– PASS WITH SKIPPED GATES",
    "fail": "✘ FAIL",
    "incomplete": "… INCOMPLETE",
}


def render_markdown(ledger: Ledger) -> str:
    """gate-report.md: the verdict for a CI step summary."""
    commit = f"`{ledger.commit}`" if ledger.commit else "unknown commit"
    lines = [
        f"## Release gate {ledger.version}: {HEADLINE[ledger.verdict]}",
        "",
        f"Litestream commit {commit}, version `{ledger.version}`, checkout `{ledger.src}`.",
        f"Started {ledger.started_at}" + (f", ended {ledger.ended_at}." if ledger.ended_at else "."),
        "",
        "| gate | status | duration | key figure | evidence |",
        "|---|---|---|---|---|",
    ]
    for gate in ledger.gates:
        evidence = f"`{gate.evidence}`" if gate.evidence else "—"
        cell = _figure(gate).replace("|", "\\|")
        lines.append(
            f"| {gate.name} | {STATUS_MARK[gate.status]} {gate.status} | {_duration(gate)} | {cell} | {evidence} |"
        )
    failed = [gate.name for gate in ledger.gates if gate.status == "fail"]
    skipped = [gate.name for gate in ledger.gates if gate.status == "skipped"]
    lines.append("")
    if failed:
        lines.append(f"**Failed gate: {', '.join(failed)}.** Gates after it did not run (aborted).")
    if skipped:
        lines.append(f"Skipped, not passed: {', '.join(skipped)}.")
    lines += _profile_lines(ledger)
    lines.append(f"Evidence directory: `{ledger.out}`.")
    for gate in ledger.gates:
        render = DETAIL_SECTIONS.get(gate.name)
        if render and gate.details:
            lines += ["", *render(gate.details)]
    return "\n".join(lines) + "\n"


def _profile_lines(ledger: Ledger) -> list[str]:
    """One row per profile soak of the profiles gate: soak, analysis and each shape criterion."""
    rows = [row for gate in ledger.gates for row in gate.profiles or []]
    if not rows:
        return []
    lines = ["", "| profile | soak | analysis | shape criteria | run |", "|---|---|---|---|---|"]
    for row in rows:
        shape = ", ".join(f"{name} {status}" for name, status in (row.get("shape") or {}).items()) or "—"
        lines.append(
            f"| {row.get('profile')} | {row.get('soak')} | {row.get('analysis')} | {shape} | `{row.get('run_dir')}` |"
        )
    return [*lines, ""]


def print_table(ledger: Ledger, console: Console | None = None) -> None:
    """The verdict on the terminal: gate, status, duration, key figure."""
    console = console or terminal()
    commit = (ledger.commit or "unknown")[:12]
    table = Table(title=f"Release gate {ledger.version} @ {commit}: {ledger.verdict.upper()}")
    for column in ("gate", "status", "duration", "key figure"):
        table.add_column(column)
    colours: dict[GateStatus, str] = {"pass": "green", "fail": "red", "aborted": "red", "skipped": "yellow"}
    for gate in ledger.gates:
        colour = colours.get(gate.status, "white")
        status = Text(f"{STATUS_MARK[gate.status]} {gate.status}", style=colour)
        table.add_row(gate.name, status, _duration(gate), Text(_figure(gate)))
    console.print(table)
    console.print(f"report: {ledger.out / REPORT_MD}  ({REPORT_JSON} alongside)")
