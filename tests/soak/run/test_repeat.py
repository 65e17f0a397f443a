"""--repeat N: each run in its own directory with a derived fault seed, a per-check tally, never a lucky pass."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pytest
from rich.console import Console

from common.errors import UserError
from soak.run.overnight import SoakRun
from soak.run.repeat import derived_seed, run_repeat
from soak.rundir import EXIT_CODES, RepeatDir, Result, RunDir
from soak.rundir_schema import RepeatJson, written_problems
from tests.support.cli import assert_one_error_line, run_invoke
from tests.support.rundir import problems_in
from tests.support.soak import STANDINS, clean_environ, invoke_cli, soak_params

CHECKS = ("no_crash", "catch_up", "restore", "integrity", "row_counts", "digests")


def _fake_soak(outcomes: dict[int, object]) -> tuple[object, list[int | None]]:
    """A soak that writes result.json as a real run would: ``outcomes[n]`` is the failing check (``?name``: that
    check not judged), an exit code, or a UserError to raise; seeds seen are collected."""
    seeds: list[int | None] = []

    def soak(run: SoakRun) -> int:
        n = int(run.dirs.root.name.split("-")[1])
        seeds.append(run.faults.plan.seed if run.faults else None)
        outcome = outcomes.get(n)
        if isinstance(outcome, UserError):
            raise outcome
        result = Result(started_at="2026-12-04T17:00:00.000Z", phase="verify")
        if outcome in (130, 143):
            result.interrupted_by, result.reason = "SIGINT", "interrupted by SIGINT during monitor"
        else:
            for name in CHECKS:
                passed = None if outcome == f"?{name}" else name != outcome
                result.check(name, passed, "differ: load_test" if name == outcome else "ok")
        run.dirs.create()
        run.dirs.write_result(result.to_json())
        return outcome if isinstance(outcome, int) else EXIT_CODES.get(result.status, 1)

    return soak, seeds


def _make_run(tmp_path: Path, out: io.StringIO) -> object:
    from soak.faults.plan import parse_fault_options
    from soak.faults.wiring import SoakFaults

    def make(number: int, dirs: RunDir, seed: int | None) -> SoakRun:
        params = soak_params(test_dir=str(dirs.root), replica="file", duration="2m")
        plan = parse_fault_options(params.duration_s, kill_every="45s", fault_seed=seed)
        assert plan is not None
        return SoakRun(params=params, dirs=dirs, console=Console(file=out, width=200), faults=SoakFaults(plan))

    return make


def _repeat(tmp_path: Path, count: int, outcomes: dict[int, object]) -> tuple[int, dict, str, list[int | None]]:
    out = io.StringIO()
    soak, seeds = _fake_soak(outcomes)
    parent = RepeatDir(tmp_path / "repeat")
    code = run_repeat(count, parent, 42, _make_run(tmp_path, out), Console(file=out, width=200), soak=soak)  # type: ignore[arg-type]
    data = json.loads(parent.repeat_json.read_text())
    assert written_problems(RepeatJson, data, "repeat.json") == []
    return code, data, out.getvalue(), seeds


def test_one_failure_in_three_fails_the_repeat_and_says_failed_1_of_3(tmp_path: Path) -> None:
    code, data, text, seeds = _repeat(tmp_path, 3, {2: "digests"})
    assert code == 1 and data["status"] == "fail" and (data["passed"], data["failed"]) == (2, 1)
    assert seeds == [42, 43, 44] and [r["fault_seed"] for r in data["runs"]] == [42, 43, 44]
    assert data["checks"]["digests"] == {"passed": 2, "failed": 1, "not_judged": 0, "not_run": 0, "failed_runs": [2]}
    assert data["checks"]["restore"] == {"passed": 3, "failed": 0, "not_judged": 0, "not_run": 0, "failed_runs": []}
    assert data["summary"] == "2 of 3 runs passed; digests failed 1 of 3 (run 2)"
    assert [r["run_dir"] for r in data["runs"]] == [str(tmp_path / "repeat" / f"run-{n}") for n in (1, 2, 3)]
    assert data["runs"][1]["failed_checks"] == ["digests"] and data["runs"][1]["status"] == "fail"
    assert "failed 1 of 3 (run 2)" in text and "FAIL: 2 of 3 runs passed; digests failed 1 of 3 (run 2)" in text


def test_a_run_not_judged_makes_the_repeat_incomplete_never_a_pass(tmp_path: Path) -> None:
    """Run 2 made catch_up with nothing to judge it on: the repeat is incomplete (exit 3), its tally says so."""
    code, data, text, _ = _repeat(tmp_path, 3, {2: "?catch_up"})
    assert code == 3 and data["status"] == "incomplete" and (data["passed"], data["failed"]) == (2, 0)
    assert data["checks"]["catch_up"] == {"passed": 2, "failed": 0, "not_judged": 1, "not_run": 0, "failed_runs": []}
    assert data["summary"].startswith("2 of 3 runs passed; catch_up not judged in 1 of 3; run 2 incomplete: ")
    assert data["runs"][1]["status"] == "incomplete" and data["runs"][1]["failed_checks"] == []
    assert "INCOMPLETE" in text
    code, data, _, _ = _repeat(tmp_path / "mixed", 3, {1: "?catch_up", 3: "digests"})
    assert code == 1 and data["status"] == "fail", "a failure anywhere outweighs a run not judged"


def test_the_repeat_passes_only_when_every_run_passed(tmp_path: Path) -> None:
    code, data, text, _ = _repeat(tmp_path, 3, {})
    assert code == 0 and data["status"] == "pass" and data["summary"] == "3 of 3 runs passed"
    assert "PASS: 3 of 3 runs passed" in text and data["ended_at"] is not None


def test_an_interrupt_stops_the_repeat_and_keeps_what_it_saw(tmp_path: Path) -> None:
    code, data, _, seeds = _repeat(tmp_path, 3, {2: 130})
    assert code == 130 and seeds == [42, 43], "run 3 never started"
    assert [r["status"] for r in data["runs"]] == ["pass", "interrupted", "not_run"]
    assert data["status"] == "interrupted" and "1 not run" in data["summary"]


def test_a_broken_environment_stops_the_repeat_with_one_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"repeat stopped at run 2 of 3: only 1.0 GiB free"):
        _repeat(tmp_path, 3, {2: UserError("only 1.0 GiB free under /tmp")})
    data = json.loads((tmp_path / "repeat" / "repeat.json").read_text())
    assert data["status"] == "fail" and [r["status"] for r in data["runs"]] == ["pass", "error", "not_run"]


def test_seeds_are_derived_from_the_base() -> None:
    assert [derived_seed(7, n) for n in (1, 2, 3)] == [7, 8, 9] and derived_seed(None, 2) is None


# ------------------------------------------------------------------------------- through the real CLI (stand-ins)
def test_repeat_through_the_cli_runs_each_soak_in_its_own_dir_with_its_seed(tmp_path: Path) -> None:
    """Stand-in litestream crashes 2 s in, so each run fails no_crash quickly: "no_crash failed 2 of 2"."""
    test_dir = tmp_path / "soaks"
    argv = ["--bin", str(STANDINS), "--replica", "file", "--initial-size", "1KB", "--interval", "5s"]
    argv += ["--duration", "1m", "--kill-every", "20s", "--fault-seed", "42", "--repeat", "2"]
    argv += ["--test-dir", str(test_dir)]
    proc = invoke_cli(*argv, env={"STANDIN_LITESTREAM_CRASH_AFTER": "2"}, timeout=240)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads((test_dir / "repeat.json").read_text())
    assert written_problems(RepeatJson, data, "repeat.json") == []
    assert (data["repeat"], data["base_fault_seed"], data["status"]) == (2, 42, "fail")
    assert data["checks"]["no_crash"]["failed_runs"] == [1, 2]
    for n, seed in ((1, 42), (2, 43)):
        run = test_dir / f"run-{n}"
        assert problems_in(run) == []
        run_json = json.loads((run / "run.json").read_text())
        assert run_json["faults"]["seed"] == seed
        replay = run_json["replay_command"]
        assert replay[:2] == ["invoke", "soak.overnight"] and replay[-2:] == ["--fault-seed", str(seed)]
        assert "--repeat" not in replay and "--test-dir" not in replay and str(STANDINS) in replay
        assert "--repeat" in run_json["command"] and run_json["pid"] > 0
    out = proc.stdout
    assert "repeat run 1 of 2, fault seed 42" in out and "repeat run 2 of 2, fault seed 43" in out
    assert "failed 2 of 2 (runs 1, 2)" in out and "FAIL: 0 of 2 runs passed; no_crash failed 2 of 2 (runs 1, 2)" in out
    assert shlex.split(" ".join(shlex.quote(a) for a in replay))  # a command a shell takes back


def test_analyzing_the_repeat_directory_itself_points_at_its_runs(tmp_path: Path) -> None:
    _repeat(tmp_path, 2, {})
    proc = run_invoke("soak.analyze", str(tmp_path / "repeat"), base=clean_environ())
    assert proc.returncode == 2
    assert_one_error_line(proc, "holds the runs of soak.overnight --repeat", f"{tmp_path / 'repeat' / 'run-1'}")


def test_a_single_run_records_its_command_and_a_replay_with_the_drawn_seed(tmp_path: Path) -> None:
    run = tmp_path / "one"
    argv = ["--bin", str(STANDINS), "--replica", "file", "--initial-size", "1KB", "--interval", "5s"]
    argv += ["--duration", "1m", "--kill-every", "20s", "--test-dir", str(run)]
    proc = invoke_cli(*argv, env={"STANDIN_LITESTREAM_CRASH_AFTER": "1"}, timeout=120)
    assert proc.returncode == 1, proc.stderr
    run_json = json.loads((run / "run.json").read_text())
    seed = run_json["faults"]["seed"]
    assert run_json["replay_command"][-2:] == ["--fault-seed", str(seed)], "a random seed is made explicit"
    assert run_json["command"][:2] == ["invoke", "soak.overnight"] and "--fault-seed" not in run_json["command"]
    assert not (run / "repeat.json").exists() and not (run / "run-1").exists()


def test_repeat_below_one_is_one_error_line(tmp_path: Path) -> None:
    proc = invoke_cli("--bin", str(STANDINS), "--repeat", "0", "--test-dir", str(tmp_path / "x"))
    assert_one_error_line(proc, "--repeat must be at least 1 (got 0)")
    assert not (tmp_path / "x").exists()
