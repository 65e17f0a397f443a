"""A job as an ordered list of named steps, each with a one-line purpose (GoReleaser's pipes): the builds, the
Homebrew jobs, the soak and the release gate all run through ``run_steps``.

A step that does not apply to this job (no fault options, nothing to analyze) raises ``Skip("why")``, as a
GoReleaser pipe raises ``pipe.Skip``: the runner says why, records the step as skipped and goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from common.errors import UserError

S = TypeVar("S", contravariant=True)  # a step for a base job type fits any job derived from it

StepStatus = Literal["done", "skipped"]


class Skip(Exception):
    """Raised by a step that does not apply to this job; the message says why (one line)."""


@dataclass(frozen=True)
class Step(Generic[S]):
    """One step of a job: ``run`` reads and fills the job's state object."""

    name: str
    purpose: str
    run: Callable[[S], None]


@dataclass(frozen=True)
class StepRecord:
    """What became of one step: done or skipped (with why), and its wall time."""

    name: str
    status: StepStatus
    seconds: float
    reason: str | None = None


@dataclass
class StepLog:
    """The steps a job ran, in order; a step that raised is not in it (the exception says what happened)."""

    records: list[StepRecord] = field(default_factory=list)

    @property
    def timings(self) -> dict[str, float]:
        """Each step's wall time in seconds, by name (the benchmarks read them)."""
        return {record.name: record.seconds for record in self.records}

    @property
    def skipped(self) -> list[str]:
        return [record.name for record in self.records if record.status == "skipped"]


def announce(number: int, total: int, step: Step[S]) -> str:
    """``[ 3/17] disk: free disk for ...``: the line each step starts with."""
    width = len(str(total))
    return f"[{number:>{width}}/{total}] {step.name}: {step.purpose}"


def run_steps(
    steps: Sequence[Step[S]],
    state: S,
    *,
    say: Callable[[str], None] = print,
    before: Callable[[Step[S]], None] | None = None,
    heading: Callable[[int, int, Step[S]], str] = announce,
) -> StepLog:
    """Run the steps in order, announcing each with ``say``; the first exception other than ``Skip`` stops the job.

    ``before`` is called with each step just before it runs (the soak records the phase it is in); ``heading``
    words the line that announces a step (the gate numbers its one step among all the gates).
    An OSError (disk full, no permission, a file where a directory should be) is a broken environment,
    so it becomes a UserError naming the step and the path rather than a traceback.
    """
    log = StepLog()
    for number, step in enumerate(steps, 1):
        if before is not None:
            before(step)
        say(heading(number, len(steps), step))
        started = time.perf_counter()
        try:
            step.run(state)
        except Skip as skip:
            reason = str(skip) or "does not apply"
            say(f"  skipped: {reason}")
            log.records.append(StepRecord(step.name, "skipped", time.perf_counter() - started, reason))
            continue
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise UserError(f"step {step.name} failed:{where}: {exc.strerror or exc}; fix that and run again") from None
        log.records.append(StepRecord(step.name, "done", time.perf_counter() - started))
    return log
