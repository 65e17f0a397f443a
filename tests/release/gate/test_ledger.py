"""The gate's ledger, options and verdict, and how it judges soak/analysis evidence (release/gate*.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from common.errors import UserError
from common.steps import Skip
from release.gate import options as gate_options
from release.gate.gates import GATE_NAMES, GATES, evaluate_analysis, evaluate_soak_run, verify_checksums
from release.gate.ledger import GateFacts, Ledger, Outcome, render_markdown
from release.gate.options import GateOptions
from release.gate.runner import Gate, GateBody, finish_gate
from release.gate.runner import run_gate as run_gate_of

GATE_ORDER = tuple(name for name in GATE_NAMES if name != "baseline")  # baseline: only with --baseline

COMMIT = "6d61ef5d007756d62e473daee4c760ac395a55c6"


def _argv(tmp_path: Path, *extra: str) -> list[str]:
    return ["--src", str(tmp_path / "src"), "--version", "v0.5.16", "--out", str(tmp_path / "ev"), *extra]


def _no_commit(_: Path) -> str | None:
    return COMMIT


def parse_gate_args(argv: list[str]) -> GateOptions:
    return gate_options.parse_gate_args(argv, GATE_NAMES)


def run_gate(name: str, argv: list[str], body: GateBody, head_commit: Any) -> Any:
    """One gate of the real list, with ``body`` standing in for every gate's body."""
    return run_gate_of([Gate(gate.name, gate.purpose, body, gate.asked) for gate in GATES], name, argv, head_commit)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--skip", "lint"], "--skip 'lint' is not a gate"),
        (["--soak-duration", "soon"], "--soak-duration 'soon' is not a duration"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options_are_one_line(tmp_path: Path, extra: list[str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_gate_args(_argv(tmp_path, *extra))


def test_version_is_required_and_validated(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--version is required"):
        parse_gate_args(["--src", str(tmp_path)])
    with pytest.raises(UserError, match="not of the form vMAJOR"):
        parse_gate_args(["--src", str(tmp_path), "--version", "0.5.16"])


def test_options_defaults(tmp_path: Path) -> None:
    options = parse_gate_args(_argv(tmp_path, "--skip", "soak", "--skip", "soak", "--chaos"))
    assert options.soak_duration == "30m"
    assert options.skip == ("soak",)
    assert options.chaos and not options.publish
    assert options.out == (tmp_path / "ev").resolve()


def test_src_falls_back_to_the_environment_then_invoke_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITESTREAM_SRC", raising=False)
    monkeypatch.setenv("INVOKE_LITESTREAM_SRC", str(tmp_path / "from-config"))
    assert parse_gate_args(["--version", "v0.5.16"]).src == tmp_path / "from-config"
    monkeypatch.setenv("LITESTREAM_SRC", str(tmp_path / "from-env"))
    assert parse_gate_args(["--version", "v0.5.16"]).src == tmp_path / "from-env"
    monkeypatch.delenv("LITESTREAM_SRC")
    monkeypatch.delenv("INVOKE_LITESTREAM_SRC")
    with pytest.raises(UserError, match="no Litestream checkout given"):
        parse_gate_args(["--version", "v0.5.16"])


def _fail(_options: Any, _ledger: Ledger) -> Outcome:
    return Outcome("fail", "3 ✔, 1 ✘", None, "clean checkout: dirty")


def _pass(_options: Any, _ledger: Ledger) -> Outcome:
    return Outcome("pass", "all good")


def test_failure_aborts_later_gates_and_writes_the_verdict(tmp_path: Path) -> None:
    record = run_gate("preflight", _argv(tmp_path), _fail, _no_commit)
    assert record.status == "fail"
    report = json.loads((tmp_path / "ev" / "gate-report.json").read_text())
    statuses = {gate["name"]: gate["status"] for gate in report["gates"]}
    assert statuses == {"preflight": "fail", **{name: "aborted" for name in GATE_ORDER[1:]}}
    assert report["verdict"] == "fail"
    assert report["litestream"] == {"src": str(tmp_path / "src"), "version": "v0.5.16", "commit": COMMIT}
    markdown = (tmp_path / "ev" / "gate-report.md").read_text()
    assert "**Failed gate: preflight.**" in markdown
    assert COMMIT in markdown and "v0.5.16" in markdown
    assert "| go_test | ↯ aborted |" in markdown


def test_skip_is_recorded_as_skipped_and_later_gates_continue_the_ledger(tmp_path: Path) -> None:
    argv = _argv(tmp_path, "--skip", "go_test")
    run_gate("preflight", argv, _pass, _no_commit)
    skipped = run_gate("go_test", argv, _pass, _no_commit)  # the body must not run
    assert skipped.status == "skipped" and skipped.key_figure == ""
    ledger = Ledger.load(parse_gate_args(argv))
    assert ledger is not None
    assert [gate.status for gate in ledger.gates[:3]] == ["pass", "skipped", "pending"]
    assert ledger.verdict == "incomplete"
    for name in GATE_ORDER[2:]:
        run_gate(name, argv, _pass, _no_commit)
    ledger = Ledger.load(parse_gate_args(argv))
    assert ledger is not None and ledger.verdict == "partial"
    assert "Skipped, not passed: go_test." in render_markdown(ledger)


def test_a_crashing_gate_is_recorded_as_failed_before_it_propagates(tmp_path: Path) -> None:
    def crash(_options: Any, _ledger: Ledger) -> Outcome:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_gate("preflight", _argv(tmp_path), crash, _no_commit)
    ledger = Ledger.load(parse_gate_args(_argv(tmp_path)))
    assert ledger is not None
    assert ledger.gate("preflight").status == "fail"
    assert ledger.gate("preflight").reason == "crashed: RuntimeError: boom"
    assert ledger.gate("formula").status == "aborted"


def test_release_gate_verdict_passes_only_when_every_gate_passed(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    for name in GATE_ORDER:
        run_gate(name, argv, _pass, _no_commit)
    ledger = finish_gate(GATES, argv, _no_commit)
    assert ledger.verdict == "pass" and ledger.ended_at
    assert "## Release gate v0.5.16: ✔ PASS" in (tmp_path / "ev" / "gate-report.md").read_text()


def test_a_ledger_without_any_gate_is_incomplete_never_a_pass(tmp_path: Path) -> None:
    """``set() <= {"pass"}`` holds for an empty ledger: nothing judged must not read as PASS."""
    ledger = Ledger.fresh(parse_gate_args(_argv(tmp_path)), None, [])
    assert ledger.gates == [] and ledger.verdict == "incomplete"


def test_release_gate_marks_gates_that_never_ran_as_aborted(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    run_gate("preflight", argv, _pass, _no_commit)  # e.g. `nox --no-dependencies -s release_gate` after this
    ledger = finish_gate(GATES, argv, _no_commit)
    assert ledger.verdict == "fail"
    assert {gate.status for gate in ledger.gates[1:]} == {"aborted"}
    assert ledger.gate("soak").reason == "did not run"


def test_preflight_starts_a_fresh_ledger(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    run_gate("preflight", argv, _fail, _no_commit)
    run_gate("preflight", argv, _pass, _no_commit)
    ledger = Ledger.load(parse_gate_args(argv))
    assert ledger is not None
    assert [gate.status for gate in ledger.gates] == ["pass"] + ["pending"] * (len(GATE_ORDER) - 1)


def test_a_ledger_for_another_version_is_not_continued(tmp_path: Path) -> None:
    run_gate("preflight", _argv(tmp_path), _pass, _no_commit)
    other = ["--src", str(tmp_path / "src"), "--version", "v0.5.17", "--out", str(tmp_path / "ev")]
    run_gate("go_test", other, _pass, _no_commit)
    ledger = Ledger.load(parse_gate_args(other))
    assert ledger is not None and ledger.gate("preflight").status == "pending"


# --- judging the evidence -------------------------------------------------------------------------------------


def _run_dir(tmp_path: Path, *, restored: str = "a" * 64, status: str = "pass", commit: str = COMMIT) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    times = {"started_at": "2026-12-01T07:00:00.000Z", "ended_at": "2026-12-01T07:30:00.000Z"}
    (run / "run.json").write_text(json.dumps({"schema_version": 1, **times, "litestream_commit": commit}))
    result = {
        "schema_version": 1,
        "status": status,
        **times,
        "reason": None if status == "pass" else "restore digest mismatch",
        "checks": [
            {"name": "restore", "passed": True},
            {"name": "row_counts", "passed": True},
            {"name": "digests", "passed": restored == "a" * 64},
        ],
        "rows_written": 12345,
        "tables": {
            "load_test": {
                "source_rows": 12345,
                "restored_rows": 12345,
                "source_sha256": "a" * 64,
                "restored_sha256": restored,
            }
        },
    }
    (run / "result.json").write_text(json.dumps(result))
    return run


def test_soak_run_with_matching_digests_passes(tmp_path: Path) -> None:
    outcome = evaluate_soak_run(_run_dir(tmp_path), COMMIT)
    assert outcome.status == "pass", outcome.reason
    assert outcome.key_figure == "12,345 rows written; restore digests match (1 table)"


def test_soak_run_whose_digests_mismatch_fails(tmp_path: Path) -> None:
    outcome = evaluate_soak_run(_run_dir(tmp_path, restored="b" * 64, status="fail"), COMMIT)
    assert outcome.status == "fail"
    assert "digests MISMATCH" in outcome.key_figure
    assert outcome.reason is not None
    assert "restored digest differs from source for load_test" in outcome.reason
    assert "failed checks: digests" in outcome.reason


def test_soak_digest_mismatch_fails_even_when_status_says_pass(tmp_path: Path) -> None:
    outcome = evaluate_soak_run(_run_dir(tmp_path, restored="b" * 64), COMMIT)
    assert outcome.status == "fail" and "differs" in str(outcome.reason)


def test_soak_run_of_another_commit_fails(tmp_path: Path) -> None:
    outcome = evaluate_soak_run(_run_dir(tmp_path, commit="f" * 40), COMMIT)
    assert outcome.status == "fail" and "not the checkout's" in str(outcome.reason)


def test_soak_without_result_fails(tmp_path: Path) -> None:
    outcome = evaluate_soak_run(tmp_path, COMMIT)
    assert outcome.status == "fail" and str(outcome.reason).startswith("INCOMPLETE: no result.json")


def test_analysis_failed_criterion_fails_the_gate(tmp_path: Path) -> None:
    analysis = {
        "schema_version": 1,
        "verdict": "fail",
        "headline": "7/8 criteria passed",
        "criteria": [{"name": "no_crash", "status": "pass"}, {"name": "rows_and_digests", "status": "fail"}],
    }
    (tmp_path / "analysis.json").write_text(json.dumps(analysis))
    outcome = evaluate_analysis(tmp_path)
    assert outcome.status == "fail"
    assert outcome.reason == "failed criteria: rows_and_digests"
    judged = [{"name": name, "status": "pass"} for name in ("no_crash", "restore", "rows_and_digests")]
    analysis.update(verdict="pass", criteria=judged, headline="8/8 criteria passed")
    (tmp_path / "analysis.json").write_text(json.dumps(analysis))
    assert evaluate_analysis(tmp_path).status == "pass"


def test_checksums_are_re_hashed(tmp_path: Path) -> None:
    archive = tmp_path / "litestream-0.5.16-linux-x86_64.tar.gz"
    archive.write_bytes(b"archive bytes")
    digest = hashlib.sha256(b"archive bytes").hexdigest()
    (tmp_path / "checksums.txt").write_text(f"{digest}  {archive.name}\n{'0' * 64}  missing.zip\n")
    count, problems = verify_checksums(tmp_path)
    assert count == 2 and problems == ["missing.zip is listed but missing"]
    archive.write_bytes(b"tampered")
    assert f"{archive.name} does not match its checksum" in verify_checksums(tmp_path)[1]


def test_gate_facts_are_typed_and_round_trip_through_gate_report_json(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    run = tmp_path / "ev" / "soak" / "run"
    facts = GateFacts(bin_dir=tmp_path / "bin", checksums=tmp_path / "dist" / "checksums.txt", tagged_at_head=False)
    run_gate("preflight", argv, lambda _o, _l: Outcome("pass", "ok", facts=GateFacts(tagged_at_head=False)), _no_commit)
    run_gate("go_test", argv, _pass, _no_commit)
    run_gate("build", argv, lambda _o, _l: Outcome("pass", "built", facts=facts), _no_commit)
    seen: list[GateFacts] = []

    def soak(_options: Any, ledger: Ledger) -> Outcome:
        seen.append(GateFacts(**vars(ledger.facts)))
        return Outcome("pass", "soaked", facts=GateFacts(run_dir=run))

    run_gate("soak", argv, soak, _no_commit)
    assert seen == [facts], "a later gate reads what an earlier one found, typed"
    saved = json.loads((tmp_path / "ev" / "gate-report.json").read_text())["facts"]
    assert saved == {
        "bin_dir": str(tmp_path / "bin"),
        "checksums": str(tmp_path / "dist" / "checksums.txt"),
        "run_dir": str(run),
        "tagged_at_head": False,
        "formula_source": None,
    }
    loaded = Ledger.load(parse_gate_args(argv))
    assert loaded is not None and loaded.facts == GateFacts(
        bin_dir=tmp_path / "bin", checksums=tmp_path / "dist" / "checksums.txt", run_dir=run, tagged_at_head=False
    )


def test_facts_of_the_wrong_type_are_not_known_rather_than_guessed() -> None:
    facts = GateFacts.from_json({"bin_dir": 7, "checksums": "", "run_dir": "/r", "tagged_at_head": "yes", "x": 1})
    assert facts == GateFacts(run_dir=Path("/r"))
    assert GateFacts.from_json({"formula_source": "guess"}).formula_source is None
    assert GateFacts.from_json({"formula_source": "preview"}).formula_source == "preview"


def test_a_gate_that_raises_skip_is_recorded_as_skipped_with_its_reason(tmp_path: Path) -> None:
    argv = _argv(tmp_path)

    def nothing_to_do(_options: Any, _ledger: Ledger) -> Outcome:
        raise Skip("no soak run to analyze (soak was skipped)")

    run_gate("preflight", argv, _pass, _no_commit)
    record = run_gate("go_test", argv, nothing_to_do, _no_commit)
    assert (record.status, record.reason) == ("skipped", "no soak run to analyze (soak was skipped)")
    ledger = Ledger.load(parse_gate_args(argv))
    assert ledger is not None and ledger.gate("go_test").status == "skipped"
    assert ledger.gate("build").status == "pending", "a skipped gate aborts nothing"


def test_a_ledger_with_an_unknown_status_is_not_continued(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    run_gate("preflight", argv, _pass, _no_commit)
    report = tmp_path / "ev" / "gate-report.json"
    data = json.loads(report.read_text())
    data["gates"][0]["status"] = "passed"  # not one of pending|running|pass|fail|skipped|aborted
    report.write_text(json.dumps(data))
    assert Ledger.load(parse_gate_args(argv)) is None
