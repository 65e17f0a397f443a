"""A job as an ordered list of named steps, each with a one-line purpose (GoReleaser's pipes): builds, the soak."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from common.errors import UserError

S = TypeVar("S", contravariant=True)  # a step for a base job type fits any job derived from it


@dataclass(frozen=True)
class Step(Generic[S]):
    """One step of a job: ``run`` reads and fills the job's state object."""

    name: str
    purpose: str
    run: Callable[[S], None]


def run_steps(steps: Sequence[Step[S]], state: S, *, say: Callable[[str], None] = print) -> dict[str, float]:
    """Run the steps in order, announcing each; the first UserError stops the job.

    An OSError (disk full, no permission, a file where a directory should be) is a broken environment,
    so it becomes a UserError naming the step and the path rather than a traceback.
    Returns each step's wall time in seconds, by name (the benchmark reads them).
    """
    timings: dict[str, float] = {}
    width = len(str(len(steps)))
    for number, step in enumerate(steps, 1):
        say(f"[{number:>{width}}/{len(steps)}] {step.name}: {step.purpose}")
        started = time.perf_counter()
        try:
            step.run(state)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise UserError(f"step {step.name} failed:{where}: {exc.strerror or exc}; fix that and run again") from None
        timings[step.name] = time.perf_counter() - started
    return timings
