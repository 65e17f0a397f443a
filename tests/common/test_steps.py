"""The one step runner: order, the first error stops the job, OSError becomes one line, Skip is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import UserError
from common.steps import Skip, Step, run_steps


def test_steps_run_in_order_and_stop_at_the_first_error() -> None:
    seen: list[str] = []
    lines: list[str] = []

    def fail(state: list[str]) -> None:
        raise UserError("second step failed")

    steps = [
        Step("one", "first", lambda state: state.append("one")),
        Step("two", "second", fail),
        Step("three", "never", lambda state: state.append("three")),
    ]
    with pytest.raises(UserError):
        run_steps(steps, seen, say=lines.append)
    assert seen == ["one"]
    assert lines == ["[1/3] one: first", "[2/3] two: second"]


def test_an_os_error_in_a_step_is_one_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where a directory should be")

    def make_dir(state: None) -> None:
        (blocker / "bin").mkdir()

    with pytest.raises(UserError, match=r"step install failed: .*out/bin: Not a directory"):
        run_steps([Step("install", "make the output directory", make_dir)], None, say=lambda line: None)


def test_a_skipped_step_is_said_recorded_and_the_job_goes_on() -> None:
    seen: list[str] = []
    lines: list[str] = []

    def not_here(state: list[str]) -> None:
        state.append("looked")
        raise Skip("no fault options")

    steps = [
        Step("one", "first", lambda state: state.append("one")),
        Step("faults", "start the proxies", not_here),
        Step("three", "third", lambda state: state.append("three")),
    ]
    log = run_steps(steps, seen, say=lines.append)
    assert seen == ["one", "looked", "three"]
    assert lines == [
        "[1/3] one: first",
        "[2/3] faults: start the proxies",
        "  skipped: no fault options",
        "[3/3] three: third",
    ]
    assert [(r.name, r.status, r.reason) for r in log.records] == [
        ("one", "done", None),
        ("faults", "skipped", "no fault options"),
        ("three", "done", None),
    ]
    assert log.skipped == ["faults"]
    assert set(log.timings) == {"one", "faults", "three"}


def test_before_sees_each_step_before_it_runs() -> None:
    order: list[str] = []
    steps = [Step("a", "first", lambda s: order.append("run a")), Step("b", "second", lambda s: order.append("run b"))]
    run_steps(steps, None, say=lambda line: None, before=lambda step: order.append(f"before {step.name}"))
    assert order == ["before a", "run a", "before b", "run b"]
