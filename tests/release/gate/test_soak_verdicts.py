"""The gate's soak and analyze verdicts fail closed, and --soak-repeat judges every run (release/gate/gates.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import UserError
from release.gate import gates
from release.gate.gates import GATE_NAMES, GATES, evaluate_analysis, evaluate_soak_repeat, evaluate_soak_run
from release.gate.ledger import GateFacts, Ledger, Outcome
from release.gate.options import parse_gate_args
from release.gate.runner import Gate, GateBody, run_gate
from soak.rundir import RepeatDir
from tests.support.analyze import copy_rundir, edit_json, run_invoke
from tests.support.fail_closed import build_failed, in_progress, interrupted, replica_age_not_judged, restore_missing
from tests.support.soak import FAKE_CREDS, STANDINS

CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "build failed": (build_failed, "soak status 'fail': invoke build failed (exit 1)"),
    "interrupted": (interrupted, "soak status 'interrupted': interrupted by SIGINT during monitor"),
    "in progress": (in_progress, "INCOMPLETE: in progress: the soak (pid"),
    "restore missing": (restore_missing, "not judged: result.json has no restore check"),
    "replica age not judged": (replica_age_not_judged, "soak status 'incomplete': replica_age not judged: all 2"),
}


def test_the_real_fixture_run_passes_the_soak_gate(tmp_path: Path) -> None:
    outcome = evaluate_soak_run(copy_rundir(tmp_path), None)
    assert outcome.status == "pass", outcome.reason
    assert outcome.key_figure == "7,128 rows written; restore digests match (1 table)"


@pytest.mark.parametrize("case", list(CASES))
def test_the_soak_gate_fails_each_unjudged_run_with_one_line(tmp_path: Path, case: str) -> None:
    make, reason = CASES[case]
    outcome = evaluate_soak_run(make(tmp_path), None)
    assert outcome.status == "fail" and outcome.reason is not None
    assert reason in outcome.reason and "\n" not in outcome.reason


def test_a_run_without_result_json_is_incomplete_for_the_gate(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    (run / "result.json").unlink()
    outcome = evaluate_soak_run(run, None)
    assert outcome.status == "fail" and str(outcome.reason).startswith("INCOMPLETE: did not finish: no result.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert str(evaluate_soak_run(empty, None).reason).startswith("INCOMPLETE: no result.json and no run.json")
    never = tmp_path / "never"
    assert evaluate_soak_run(never, None).reason == f"INCOMPLETE: no run directory {never}: the soak never started"


@pytest.mark.parametrize("case", list(CASES))
def test_the_analyze_gate_fails_each_unjudged_run_through_the_real_analyzer(tmp_path: Path, case: str) -> None:
    run = CASES[case][0](tmp_path)
    proc = run_invoke("soak.analyze", str(run), "--format", "json", "--output", str(run / "analysis.json"))
    assert proc.returncode in (1, 3)
    outcome = evaluate_analysis(run)
    assert outcome.status == "fail" and outcome.reason is not None and "\n" not in outcome.reason
    data = json.loads((run / "analysis.json").read_text())
    assert outcome.reason == f"verdict {data['verdict']!r}: {data['reason']}" or outcome.reason.startswith("failed")


def test_the_analyze_gate_needs_restore_and_rows_judged_even_when_the_verdict_says_pass(tmp_path: Path) -> None:
    analysis = {"verdict": "pass", "headline": "1/8", "criteria": [{"name": "no_crash", "status": "pass"}]}
    (tmp_path / "analysis.json").write_text(json.dumps(analysis))
    outcome = evaluate_analysis(tmp_path)
    assert (outcome.status, outcome.reason) == ("fail", "not judged: restore, rows_and_digests")


# ------------------------------------------------------------------------------------------------ --soak-repeat
def _repeat_dir(tmp_path: Path, count: int, listed: int | None = None) -> Path:
    parent = RepeatDir(tmp_path / "run")
    for n in range(1, count + 1):
        shutil.copytree(copy_rundir(tmp_path / f"src{n}"), parent.run(n).root)
    parent.write({"repeat": listed or count, "status": "pass", "summary": f"{count} of {count} runs passed"})
    return parent.root


def test_soak_repeat_passes_only_when_every_run_passes(tmp_path: Path) -> None:
    root = _repeat_dir(tmp_path, 3)
    outcome = evaluate_soak_repeat(root, None, 3)
    assert outcome.status == "pass" and outcome.key_figure.startswith("3 of 3 runs passed; 7,128 rows written")
    edit_json(root / "run-2" / "result.json", status="fail", reason="digests: differ: load_test")
    outcome = evaluate_soak_repeat(root, None, 3)
    assert outcome.status == "fail" and outcome.key_figure == "2 of 3 runs passed"
    assert str(outcome.reason).startswith("failed 1 of 3") and "run 2: soak status 'fail'" in str(outcome.reason)


def test_soak_repeat_with_a_run_missing_is_incomplete(tmp_path: Path) -> None:
    root = _repeat_dir(tmp_path, 2, listed=3)
    outcome = evaluate_soak_repeat(root, None, 3)
    assert outcome.status == "fail" and "run 3: INCOMPLETE" in str(outcome.reason)
    assert evaluate_soak_repeat(_repeat_dir(tmp_path / "b", 2), None, 3).reason == (
        f"INCOMPLETE: --soak-repeat 3, but repeat.json lists 2 runs in {tmp_path / 'b' / 'run'}"
    )
    single = copy_rundir(tmp_path / "c")
    reason = str(evaluate_soak_repeat(single, None, 2).reason)
    assert reason.startswith("INCOMPLETE: --soak-repeat 2, but no repeat.json")


@pytest.mark.parametrize("value", ["0", "three", "-1"])
def test_soak_repeat_option_is_a_positive_whole_number(tmp_path: Path, value: str) -> None:
    argv = ["--src", str(tmp_path), "--version", "v0.5.16", "--out", str(tmp_path / "ev"), "--soak-repeat", value]
    with pytest.raises(UserError, match=f"--soak-repeat '{value}' is not a whole number of runs, at least 1"):
        parse_gate_args(argv, GATE_NAMES)
    ok = parse_gate_args([*argv[:-1], "3"], GATE_NAMES)
    assert ok.soak_repeat == 3 and ok.as_json()["soak_repeat"] == 3
    assert parse_gate_args(argv[:-2], GATE_NAMES).soak_repeat == 1


def test_the_soak_gate_runs_soak_overnight_with_repeat_and_judges_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real soak gate body and the real `invoke soak.overnight --repeat 2` on the stand-ins (which crash 1 s in,
    so both runs fail quickly): the gate names both failures."""
    for key, value in {**FAKE_CREDS, "STANDIN_LITESTREAM_CRASH_AFTER": "1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("S3_BUCKET", raising=False)
    argv = ["--src", str(tmp_path), "--version", "v0.5.16", "--out", str(tmp_path / "ev")]
    argv += ["--soak-duration", "1m", "--soak-repeat", "2"]

    def body(name: str) -> GateBody:
        if name == "soak":
            return gates.soak
        facts = GateFacts(bin_dir=STANDINS) if name == "build" else GateFacts()
        return lambda _o, _l: Outcome("pass", "stand-in", facts=facts)

    stand_ins = [Gate(gate.name, gate.purpose, body(gate.name)) for gate in GATES]
    for name in ("preflight", "go_test", "build"):
        run_gate(stand_ins, name, argv, lambda _src: None)
    record = run_gate(stand_ins, "soak", argv, lambda _src: None)
    assert record.status == "fail" and record.key_figure == "0 of 2 runs passed"
    assert str(record.reason).startswith("failed 2 of 2: no_crash failed 2 of 2; run 1: soak status 'fail'")
    assert "run 1: soak status 'fail'" in str(record.reason) and "run 2: soak status 'fail'" in str(record.reason)
    soak_log = (tmp_path / "ev" / "soak" / "soak.log").read_text()
    assert "repeat run 2 of 2" in soak_log
    typed = json.loads((tmp_path / "ev" / "soak" / "run" / "run-1" / "run.json").read_text())["command"]
    assert typed[typed.index("--repeat") + 1] == "2" and typed[typed.index("--bin") + 1] == str(STANDINS)
    ledger = Ledger.load(parse_gate_args(argv, GATE_NAMES))
    assert ledger is not None and ledger.facts.run_dir == tmp_path / "ev" / "soak" / "run"
    assert gates.soak_runs(tmp_path / "ev" / "soak" / "run") == [
        tmp_path / "ev" / "soak" / "run" / "run-1",
        tmp_path / "ev" / "soak" / "run" / "run-2",
    ]
