"""One gate as its nox session runs it: parse the options, open the ledger, run the gate's step, record the outcome.

Nox runs each gate as its own session (chained fail-fast with ``requires=``) and hands every session the same
posargs. A gate is a step of the one step runner (``common.steps``): a gate given to ``--skip``, or one with nothing
to work on, raises ``Skip`` and is recorded as skipped, never as passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from common.steps import Skip, Step, run_steps
from common.timestamps import utc_now
from release.gate.ledger import GateRecord, Ledger, Outcome, print_table
from release.gate.options import GateOptions, parse_gate_args

GateBody = Callable[[GateOptions, Ledger], Outcome]
HeadCommit = Callable[[Path], str | None]


@dataclass(frozen=True)
class Gate:
    """One gate: its nox session's name, the one line ``nox --list`` shows, and the body that judges it.

    ``asked`` makes a gate optional: a run whose options do not ask for it (``--baseline`` not given) has no row
    for it in the ledger at all, so it neither shows as skipped nor turns a pass into ``partial``.
    """

    name: str
    purpose: str
    body: GateBody
    asked: Callable[[GateOptions], bool] | None = None

    def wanted(self, options: GateOptions) -> bool:
        return self.asked is None or self.asked(options)


@dataclass
class GateRun:
    """The state the gate's step reads and fills."""

    options: GateOptions
    ledger: Ledger
    outcome: Outcome | None = None


def gate_step(gate: Gate) -> Step[GateRun]:
    """The gate as a step: ``--skip NAME`` skips it before its body runs."""

    def run(state: GateRun) -> None:
        if gate.name in state.options.skip:
            raise Skip(f"--skip {gate.name}")
        state.outcome = gate.body(state.options, state.ledger)

    return Step(gate.name, gate.purpose, run)


def _say(line: str) -> None:
    print(line, flush=True)  # nox's own lines go to stderr unbuffered; keep ours in step with them


def open_ledger(name: str, options: GateOptions, gates: Sequence[Gate], head_commit: HeadCommit) -> Ledger:
    """The first gate starts a fresh ledger; a later one continues the run in progress (or starts one).

    The ledger holds a row for each gate the options ask for; one asked for later (``nox --no-dependencies -s
    baseline -- ... --baseline vX``) gets its row in GATES order."""
    wanted = [gate.name for gate in gates if gate.wanted(options)]
    ledger = None if name == gates[0].name else Ledger.load(options)
    if ledger is None:
        return Ledger.fresh(options, head_commit(options.src), wanted)
    have = {gate.name: gate for gate in ledger.gates}
    ledger.gates = [have.get(gate, GateRecord(gate)) for gate in wanted] + [
        record for record in ledger.gates if record.name not in wanted
    ]
    return ledger


def run_gate(gates: Sequence[Gate], name: str, argv: Sequence[str], head_commit: HeadCommit) -> GateRecord:
    """Run one gate's body and record it; on failure abort the later gates and print the verdict."""
    order = [gate.name for gate in gates]
    options = parse_gate_args(argv, order)
    number = order.index(name) + 1
    if not gates[number - 1].wanted(options):
        _say(f"gate {number}/{len(order)} {name}: not asked for ({gates[number - 1].purpose})")
        return GateRecord(name, "skipped", reason="not asked for")
    ledger = open_ledger(name, options, gates, head_commit)
    record = ledger.gate(name)
    record.status = "running"
    ledger.save()
    state = GateRun(options, ledger)

    def heading(_number: int, _total: int, step: Step[GateRun]) -> str:
        return f"gate {number}/{len(order)} {step.name}: {step.purpose}"

    start = time.monotonic()
    try:
        log = run_steps([gate_step(gates[number - 1])], state, say=_say, heading=heading)
    except UserError as exc:
        _finish(ledger, record, Outcome("fail", "", reason=exc.line()), time.monotonic() - start)
        return record
    except BaseException as exc:  # Ctrl-C or a bug: record it and show the verdict, then let it propagate
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"crashed: {type(exc).__name__}: {exc}"
        _finish(ledger, record, Outcome("fail", "", reason=reason), time.monotonic() - start)
        raise
    if log.skipped:
        record.status, record.reason = "skipped", log.records[0].reason
        record.duration_s = round(log.records[0].seconds, 1)
        ledger.save()
        return record
    assert state.outcome is not None, f"gate {name} returned no outcome"
    _finish(ledger, record, state.outcome, time.monotonic() - start)
    return record


def _finish(ledger: Ledger, record: GateRecord, outcome: Outcome, seconds: float) -> None:
    record.duration_s = round(seconds, 1)
    record.key_figure = outcome.key_figure
    record.reason = outcome.reason
    record.evidence = _relative(outcome.evidence, ledger.out)
    record.profiles = outcome.profiles
    record.details = outcome.details
    ledger.facts.merge(outcome.facts)
    record.status = outcome.status
    if record.status == "fail":
        ledger.abort_after(record.name, f"{record.name} failed")
        ledger.ended_at = utc_now()
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


def finish_gate(gates: Sequence[Gate], argv: Sequence[str], head_commit: HeadCommit) -> Ledger:
    """``release_gate`` itself: close the ledger (anything not run is aborted), print and save the verdict."""
    order = [gate.name for gate in gates]
    options = parse_gate_args(argv, order)
    wanted = [gate.name for gate in gates if gate.wanted(options)]
    ledger = Ledger.load(options) or Ledger.fresh(options, head_commit(options.src), wanted)
    for gate in ledger.gates:
        if gate.status in ("pending", "running"):
            gate.status, gate.reason = "aborted", "did not run"
    ledger.ended_at = utc_now()
    ledger.save()
    print_table(ledger)
    return ledger
