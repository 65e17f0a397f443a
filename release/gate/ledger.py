"""The release gate's ledger: one record per gate, in order, saved after every change as gate-report.json/.md.

Nox runs each gate as its own session (chained fail-fast with ``requires=``) and hands every session the same
posargs, so each session parses them again and reads/writes the ledger in the evidence directory. The first gate
starts a fresh ledger; a failing gate marks every later one ``aborted`` and writes the verdict itself, because nox
never runs the sessions after it. A gate that did not run is never shown as passed.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from common.console import terminal
from common.errors import UserError
from common.settings import PROJECT_ROOT, project_context, resolve_src
from common.timestamps import utc_now as _now
from common.units import format_duration, parse_duration
from common.versions import ReleaseVersion, parse_version

GATE_ORDER = ("preflight", "go_test", "build", "soak", "analyze", "formula")
REPORT_JSON = "gate-report.json"
REPORT_MD = "gate-report.md"
STATUS_MARK = {"pass": "✔", "fail": "✘", "skipped": "–", "aborted": "↯", "pending": "·", "running": "…"}


@dataclass(frozen=True)
class GateOptions:
    """What the maintainer asked for after ``--`` (every gate session parses the same posargs)."""

    src: Path
    version: ReleaseVersion
    soak_duration: str
    out: Path
    skip: tuple[str, ...] = ()
    chaos: bool = False
    publish: bool = False
    go_test_skip: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "src": str(self.src),
            "version": self.version.tag,
            "soak_duration": self.soak_duration,
            "out": str(self.out),
            "skip": list(self.skip),
            "chaos": self.chaos,
            "publish": self.publish,
            "go_test_skip": self.go_test_skip,
        }


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit 2; we want one line
        raise UserError(f"release gate options: {message}; e.g. -- --src ../litestream --version v0.5.16")


def parse_gate_args(argv: Sequence[str]) -> GateOptions:
    """Parse the options after ``--``; bad input is one UserError line."""
    parser = _Parser(prog="nox -s release_gate --", add_help=False)
    parser.add_argument("--src")
    parser.add_argument("--version")
    parser.add_argument("--soak-duration", default="30m")
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--chaos", action="store_true")
    parser.add_argument("--publish", action="store_true")
    parser.add_argument("--out", default="gate-evidence")
    parser.add_argument("--go-test-skip")
    args = parser.parse_args(list(argv))
    unknown = [name for name in args.skip if name not in GATE_ORDER]
    if unknown:
        raise UserError(f"--skip {unknown[0]!r} is not a gate; choose from {', '.join(GATE_ORDER)}")
    parse_duration(args.soak_duration, name="soak-duration")
    out = Path(args.out).expanduser()
    return GateOptions(
        src=resolve_src(project_context(), args.src),
        version=parse_version(args.version),
        soak_duration=args.soak_duration,
        out=(out if out.is_absolute() else PROJECT_ROOT / out).resolve(),
        skip=tuple(dict.fromkeys(args.skip)),
        chaos=args.chaos,
        publish=args.publish,
        go_test_skip=args.go_test_skip,
    )


@dataclass
class GateRecord:
    """One gate's line in the verdict."""

    name: str
    status: str = "pending"  # pending | running | pass | fail | skipped | aborted
    duration_s: float | None = None
    key_figure: str = ""
    evidence: str | None = None
    reason: str | None = None


@dataclass
class Outcome:
    """What a gate's body found: pass, fail or skipped (it had nothing to work on), its key figure, its evidence."""

    status: str  # pass | fail | skipped
    key_figure: str
    evidence: Path | None = None
    reason: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # handed to later gates through the ledger


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
    facts: dict[str, Any] = field(default_factory=dict)
    ended_at: str | None = None

    @classmethod
    def fresh(cls, options: GateOptions, commit: str | None) -> Ledger:
        return cls(
            out=options.out,
            src=str(options.src),
            version=options.version.tag,
            commit=commit,
            options=options.as_json(),
            started_at=_now(),
            gates=[GateRecord(name) for name in GATE_ORDER],
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
                gates=[GateRecord(**gate) for gate in data["gates"]],
                facts=data.get("facts", {}),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def gate(self, name: str) -> GateRecord:
        return next(gate for gate in self.gates if gate.name == name)

    def abort_after(self, name: str, reason: str) -> None:
        for gate in self.gates[GATE_ORDER.index(name) + 1 :]:
            if gate.status in ("pending", "running"):
                gate.status, gate.reason = "aborted", reason

    @property
    def verdict(self) -> str:
        """pass: every gate passed; partial: none failed but some were skipped; fail: anything else."""
        statuses = {gate.status for gate in self.gates}
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
            "facts": self.facts,
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


def render_markdown(ledger: Ledger) -> str:
    """gate-report.md: the verdict for a CI step summary."""
    commit = f"`{ledger.commit}`" if ledger.commit else "unknown commit"
    headline = {
        "pass": "✔ PASS",
        "partial": "– PASS WITH SKIPPED GATES",
        "fail": "✘ FAIL",
        "incomplete": "… INCOMPLETE",
    }
    lines = [
        f"## Release gate {ledger.version}: {headline[ledger.verdict]}",
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
    lines.append(f"Evidence directory: `{ledger.out}`.")
    return "\n".join(lines) + "\n"


def print_table(ledger: Ledger, console: Console | None = None) -> None:
    """The verdict on the terminal: gate, status, duration, key figure."""
    console = console or terminal()
    commit = (ledger.commit or "unknown")[:12]
    table = Table(title=f"Release gate {ledger.version} @ {commit}: {ledger.verdict.upper()}")
    for column in ("gate", "status", "duration", "key figure"):
        table.add_column(column)
    colours = {"pass": "green", "fail": "red", "aborted": "red", "skipped": "yellow"}
    for gate in ledger.gates:
        colour = colours.get(gate.status, "white")
        status = Text(f"{STATUS_MARK[gate.status]} {gate.status}", style=colour)
        table.add_row(gate.name, status, _duration(gate), Text(_figure(gate)))
    console.print(table)
    console.print(f"report: {ledger.out / REPORT_MD}  ({REPORT_JSON} alongside)")


GateBody = Callable[[GateOptions, Ledger], Outcome]


def open_ledger(name: str, options: GateOptions, head_commit: Callable[[Path], str | None]) -> Ledger:
    """The first gate starts a fresh ledger; a later one continues the run in progress (or starts one)."""
    ledger = None if name == GATE_ORDER[0] else Ledger.load(options)
    return ledger or Ledger.fresh(options, head_commit(options.src))


def run_gate(name: str, argv: Sequence[str], body: GateBody, head_commit: Callable[[Path], str | None]) -> GateRecord:
    """Run one gate's body and record it; on failure abort the later gates and print the verdict."""
    options = parse_gate_args(argv)
    ledger = open_ledger(name, options, head_commit)
    record = ledger.gate(name)
    if name in options.skip:
        record.status, record.reason, record.duration_s = "skipped", f"--skip {name}", 0.0
        ledger.save()
        return record
    record.status = "running"
    ledger.save()
    start = time.monotonic()
    try:
        outcome = body(options, ledger)
    except UserError as exc:
        outcome = Outcome("fail", "", reason=exc.line())
    except BaseException as exc:  # Ctrl-C or a bug: record it and show the verdict, then let it propagate
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"crashed: {type(exc).__name__}: {exc}"
        _finish(ledger, record, Outcome("fail", "", reason=reason), time.monotonic() - start)
        raise
    _finish(ledger, record, outcome, time.monotonic() - start)
    return record


def _finish(ledger: Ledger, record: GateRecord, outcome: Outcome, seconds: float) -> None:
    record.duration_s = round(seconds, 1)
    record.key_figure = outcome.key_figure
    record.reason = outcome.reason
    record.evidence = _relative(outcome.evidence, ledger.out)
    ledger.facts.update(outcome.facts)
    record.status = outcome.status
    if record.status == "fail":
        ledger.abort_after(record.name, f"{record.name} failed")
        ledger.ended_at = _now()
        ledger.save()
        print_table(ledger)
    else:
        ledger.save()


def _relative(path: Path | None, out: Path) -> str | None:
    if path is None:
        return None
    try:
        return str(path.relative_to(out))
    except ValueError:
        return str(path)


def finish_gate(argv: Sequence[str], head_commit: Callable[[Path], str | None]) -> Ledger:
    """``release_gate`` itself: close the ledger (anything not run is aborted), print and save the verdict."""
    options = parse_gate_args(argv)
    ledger = Ledger.load(options) or Ledger.fresh(options, head_commit(options.src))
    for gate in ledger.gates:
        if gate.status in ("pending", "running"):
            gate.status, gate.reason = "aborted", "did not run"
    ledger.ended_at = _now()
    ledger.save()
    print_table(ledger)
    return ledger
