"""upstream_suites: Litestream's LTX behaviour suites as a gate step, and its reading of ``go test -json``.

Recorded streams are in tests/fixtures/upstream_suites (README there says which are real and which was edited).
The real run needs LITESTREAM_SRC (a Litestream checkout, v0.5.11 or later) and runs one profile (~3-4 min).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest

from common.errors import UserError
from common.steps import Skip
from release.gate import options as gate_options
from release.gate.gates import GATE_NAMES, GATES
from release.gate.go_test import go_test_command
from release.gate.ledger import GateFacts, Ledger, Outcome, render_markdown
from release.gate.runner import Gate, GateBody, run_gate
from release.gate.suite_events import parse_assertion, read_stream
from release.gate.upstream_suites import (
    DEFAULT_SUITES,
    SuiteReport,
    check_suites,
    progress_line,
    run_pattern,
    suite_command,
    suite_markdown,
)
from tests.support.checkouts import commit_file, make_checkout
from tests.support.cli import run_invoke
from tests.support.paths import FIXTURES, PROJECT_ROOT

STREAMS = FIXTURES / "upstream_suites"
LOW = "TestLTXBehavior/low-volume"


def _report(stream: str, names: tuple[str, ...] = (LOW,), exit_code: int = 0) -> SuiteReport:
    with (STREAMS / stream).open() as lines:
        return SuiteReport(names, True, 1, read_stream(lines), {name: exit_code for name in names})


def _nox(session: str, *options: str, nox_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nox", "-f", str(PROJECT_ROOT / "noxfile.py"), *nox_flags, "-s", session]
    return subprocess.run(
        [*command, "--", *options], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def _stand_ins(body: GateBody) -> list[Gate]:
    return [Gate(gate.name, gate.purpose, body) for gate in GATES]


# --- reading go test -json ------------------------------------------------------------------------------------


def test_a_real_passing_profile_is_read_with_every_assertion_line() -> None:
    report = _report("low-volume-pass.jsonl")
    [profile] = report.stream.profiles()
    assert (profile.test, profile.name, profile.status, profile.elapsed_s) == (LOW, "low-volume", "pass", 168.25)
    assert [a.name for a in profile.assertions] == [
        "snapshot-cadence", "excessive-snapshots", "l0-page-count", "compaction-timing-L1", "compaction-timing-L2",
        "compaction-timing-L3", "wal-bounded", "no-snap-on-checkpoint", "checkpoint-observed",
    ]  # fmt: skip
    assert profile.counts() == {"pass": 8, "fail": 0, "skip": 1}
    assert profile.assertions[5].line == (
        "[compaction-timing-L3] Skipped: only 2 compactions (need >=4 for reliable interval check)"
    )
    assert report.passed and report.reason() is None
    assert report.key_figure() == "1 of 1 profiles passed (-short); assertions 8 passed, 0 failed, 1 skipped"


def test_a_failed_assertion_fails_the_step_and_is_quoted() -> None:
    """The stream is the real passing one with the l0-page-count line edited to FAIL (fixture README says so)."""
    report = _report("low-volume-l0-fail.jsonl", exit_code=1)
    assert not report.passed
    quoted = "[l0-page-count] FAIL: 24/152 (15.8%) L0 files exceed 50 pages (200.4 KB). Max seen: 1.1 MB (source: log)"
    assert report.reason() == f"{LOW}: {quoted}"
    assert report.key_figure() == "0 of 1 profiles passed (-short); assertions 7 passed, 1 failed, 1 skipped"
    details = report.as_json()
    assert details["profiles"][0]["status"] == "fail"
    assert {"name": "l0-page-count", "status": "fail", "line": quoted} in details["profiles"][0]["assertions"]
    markdown = "\n".join(suite_markdown(details))
    assert f"- FAIL `{quoted}`" in markdown
    assert f"- {LOW}: {quoted}" in markdown  # under "Why the suite step failed"


def test_a_suite_that_skips_itself_is_a_failure_although_go_test_says_ok() -> None:
    """Real: without bin/ the suite t.Skip()s and go test exits 0 with "ok"; the gate must not call that a pass."""
    report = _report("no-binaries-skip.jsonl", names=("TestLTXBehavior",))
    assert report.stream.packages == {"github.com/benbjohnson/litestream/tests/integration": "pass"}
    assert not report.passed
    assert report.reason() == (
        "TestLTXBehavior was skipped, not run: litestream binary not found, run: go build -o bin/litestream "
        "./cmd/litestream"
    )


def test_a_named_test_that_never_ran_fails() -> None:
    report = SuiteReport(("TestLTXBehavior_NoExcessiveSnapshots",), True, 1, read_stream([]), {})
    assert not report.passed
    assert "TestLTXBehavior_NoExcessiveSnapshots ran 0 of 1 time(s)" in str(report.reason())


def test_a_profile_that_passes_without_an_assertion_verdict_fails() -> None:
    lines = (STREAMS / "low-volume-pass.jsonl").read_text().splitlines(keepends=True)
    without = [line for line in lines if "] PASS:" not in line and "] Skipped:" not in line]
    report = SuiteReport((LOW,), True, 1, read_stream(without), {LOW: 0})
    assert not report.passed
    assert report.reason() == f"{LOW} passed without printing one assertion verdict"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("    ltx_behavior_test.go:44:   [wal-bounded] PASS: WAL current 0.50 MB\n", ("wal-bounded", "pass")),
        ("    ltx_assertions.go:194:   [snapshot-cadence] FAIL: 2/5 steady-state", ("snapshot-cadence", "fail")),
        ("  [snapshot-cadence] Snapshot interval #2: 10s (min allowed: 15s)", ("snapshot-cadence", "detail")),
        ("  [snapshot-cadence] Only 1 snapshot(s) recorded, skipping cadence check", ("snapshot-cadence", "skip")),
        ("  [l0-page-count] No L0 file sizes available, skipping check", ("l0-page-count", "skip")),
        ("    soak_helpers.go:803: [07:50:12] Status Report", None),
        ("    helpers.go:221: Starting load generation: 10 writes/sec", None),
    ],
)
def test_assertion_lines_are_told_apart_by_their_words(output: str, expected: tuple[str, str] | None) -> None:
    assertion = parse_assertion(output)
    assert (assertion and (assertion.name, assertion.status)) == expected


def test_live_progress_names_the_profile_and_its_verdicts() -> None:
    report = SuiteReport((LOW,), True, 1)
    shown = []
    for line in (STREAMS / "low-volume-pass.jsonl").read_text().splitlines(keepends=True):
        shown += report.stream.feed(line)
        if "Waiting for final sync" in line:
            heartbeat = progress_line(report, 150.0)
    assert heartbeat == f"… upstream suites 2m30s: {LOW} running (low-volume); 0 profiles done, 0 failed"
    assert shown[:2] == ["RUN  TestLTXBehavior", f"RUN  {LOW}"]
    assert f"  {LOW} [checkpoint-observed] PASS: 30 checkpoints observed" in shown
    assert shown[-1] == f"PASS {LOW} (168.25s): assertions 8 passed, 0 failed, 1 skipped"


# --- the command, the options, the checkout ----------------------------------------------------------------------


def test_the_command_runs_exactly_the_named_test_with_the_suite_tags() -> None:
    assert run_pattern(LOW) == r"^TestLTXBehavior$/^low\-volume$"
    short = suite_command("TestLTXBehavior", short=True, count=1)
    assert short[:5] == ["go", "test", "-tags", "integration,soak", "-json"]
    assert (
        "-short" in short
        and "-count=1" in short
        and short[-3:] == ["-run", "^TestLTXBehavior$", "./tests/integration/"]
    )
    full = suite_command("TestLTXBehavior", short=False, count=3)
    assert "-short" not in full and "-count=3" in full and full[full.index("-timeout") + 1] == "720m"


def test_go_test_count_reaches_the_race_step() -> None:
    command = go_test_command(None, 3)
    assert "-count=3" in command and command[command.index("-timeout") + 1] == "90m"


def _argv(tmp_path: Path, *extra: str) -> list[str]:
    return ["--src", str(tmp_path), "--version", "v0.5.16", "--out", str(tmp_path / "ev"), *extra]


def test_suite_options_default_and_parse(tmp_path: Path) -> None:
    options = gate_options.parse_gate_args(_argv(tmp_path), GATE_NAMES)
    assert options.upstream_suites == DEFAULT_SUITES == ("TestLTXBehavior", "TestLTXBehavior_NoExcessiveSnapshots")
    assert (options.upstream_full, options.upstream_count, options.go_test_count) == (False, 1, 1)
    extra = ["--upstream-suites", f"{LOW}, TestLTXBehavior_NoExcessiveSnapshots", "--upstream-full"]
    extra += ["--upstream-count", "2", "--go-test-count", "3"]
    options = gate_options.parse_gate_args(_argv(tmp_path, *extra), GATE_NAMES)
    assert options.upstream_suites == (LOW, "TestLTXBehavior_NoExcessiveSnapshots")
    assert (options.upstream_full, options.upstream_count, options.go_test_count) == (True, 2, 3)
    assert options.as_json()["upstream_suites"] == [LOW, "TestLTXBehavior_NoExcessiveSnapshots"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--upstream-count", "0"], "--upstream-count '0' is not a whole number of repeats of each suite, at least 1"),
        (["--go-test-count", "three"], "--go-test-count 'three' is not a whole number of repeats of each test"),
        (["--upstream-suites", "ltx behaviour"], "--upstream-suites names 'ltx behaviour', not a Go test name"),
        (["--upstream-suites", ","], "--upstream-suites names nothing, not a Go test name"),
    ],
)
def test_bad_suite_options_are_one_line(tmp_path: Path, extra: list[str], message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        gate_options.parse_gate_args(_argv(tmp_path, *extra), GATE_NAMES)


def test_a_checkout_without_the_suite_is_skipped_with_that_reason(tmp_path: Path) -> None:
    src, _ = make_checkout(tmp_path / "src")
    with pytest.raises(Skip, match=r"no LTX behaviour suite \(tests/integration/ltx_behavior_test.go is missing"):
        check_suites(src, DEFAULT_SUITES)


def _checkout_with_suite(root: Path) -> Path:
    src, repo = make_checkout(root)
    (src / "tests" / "integration").mkdir(parents=True)
    suite = '//go:build integration && soak\n\npackage integration\n\nimport "testing"\n\n'
    suite += "func TestLTXBehavior(t *testing.T) {}\n\nfunc TestLTXBehavior_NoExcessiveSnapshots(t *testing.T) {}\n"
    commit_file(repo, "tests/integration/ltx_behavior_test.go", suite)
    return src


def test_a_suite_name_the_checkout_does_not_declare_is_a_typo(tmp_path: Path) -> None:
    src = _checkout_with_suite(tmp_path / "src")
    check_suites(src, (*DEFAULT_SUITES, LOW))  # declared (the subtest is go's to find)
    with pytest.raises(UserError, match=r"--upstream-suites names TestLTXBehaviour, which .* does not declare; choose"):
        check_suites(src, ("TestLTXBehaviour",))


# --- through nox and the ledger -------------------------------------------------------------------------------


def test_through_nox_a_checkout_without_the_suite_is_recorded_as_skipped(tmp_path: Path) -> None:
    """A real git checkout with no tests/integration (Litestream before v0.5.11): skipped, never passed."""
    src, _ = make_checkout(tmp_path / "src")
    out = tmp_path / "ev"
    skips = ["--skip", "preflight", "--skip", "go_test", "--skip", "build"]
    proc = _nox("upstream_suites", "--src", str(src), "--version", "v0.6.0", "--out", str(out), *skips)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "gate-report.json").read_text())
    suite = next(gate for gate in report["gates"] if gate["name"] == "upstream_suites")
    assert suite["status"] == "skipped"
    assert "the checkout has no LTX behaviour suite" in suite["reason"]
    assert "upstream_suites skipped: the checkout has no LTX behaviour suite" in proc.stdout + proc.stderr


def test_a_typo_in_the_suite_names_fails_the_gate_in_one_line(tmp_path: Path) -> None:
    src = _checkout_with_suite(tmp_path / "src")
    out = tmp_path / "ev"
    skips = ["--skip", "preflight", "--skip", "go_test", "--skip", "build", "--upstream-suites", "TestLTXBehaviour"]
    proc = _nox("upstream_suites", "--src", str(src), "--version", "v0.6.0", "--out", str(out), *skips)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in output
    assert "gate upstream_suites failed: --upstream-suites names TestLTXBehaviour, which" in output


def test_the_profiles_travel_in_the_record_details_to_json_and_markdown(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    details = _report("low-volume-l0-fail.jsonl", exit_code=1).as_json()
    failing: GateBody = lambda _o, _l: Outcome("fail", "0 of 1 profiles passed", details=details)  # noqa: E731
    record = run_gate(_stand_ins(failing), "upstream_suites", argv, lambda _src: None)
    assert record.status == "fail"
    saved: dict[str, Any] = json.loads((tmp_path / "ev" / "gate-report.json").read_text())
    gate = next(g for g in saved["gates"] if g["name"] == "upstream_suites")
    assert gate["details"]["profiles"][0]["assertions"][2]["status"] == "fail"
    assert next(g for g in saved["gates"] if g["name"] == "soak")["status"] == "aborted"
    ledger = Ledger.load(gate_options.parse_gate_args(argv, GATE_NAMES))
    assert ledger is not None and ledger.gate("upstream_suites").details == details
    markdown = render_markdown(ledger)
    assert "### Litestream's LTX behaviour suites (TestLTXBehavior/low-volume; -short, -count=1)" in markdown
    assert f"| low-volume | `{LOW}` | fail | 2m48s | 7 / 1 / 1 |" in markdown


# --- for real ---------------------------------------------------------------------------------------------------


def _binaries(src: Path, tmp_path: Path) -> Path:
    """Real binaries: LITESTREAM_BIN_DIR when set, else ``invoke build --src`` of the checkout."""
    prebuilt = os.environ.get("LITESTREAM_BIN_DIR")
    if prebuilt:
        return Path(prebuilt)
    done = run_invoke("build", "--src", str(src), "--out", str(tmp_path / "bin"), timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp_path / "bin"


@pytest.mark.litestream
@pytest.mark.timeout(2400)
def test_the_real_suite_runs_one_profile_on_real_binaries(litestream_src: Path, tmp_path: Path) -> None:
    """``nox -s upstream_suites`` on the checkout with one profile; the checkout stays as it was."""
    if not (litestream_src / "tests" / "integration" / "ltx_behavior_test.go").is_file():
        pytest.skip(f"{litestream_src} predates the LTX behaviour suite (v0.5.11)")
    before = git.Repo(litestream_src).git.status("--porcelain", "--ignored")
    bin_dir = _binaries(litestream_src, tmp_path)
    out = tmp_path / "ev"
    argv = ["--src", str(litestream_src), "--version", "v0.0.0-suite-test", "--out", str(out)]
    argv += ["--upstream-suites", LOW]
    for name in ("preflight", "go_test"):
        run_gate(_stand_ins(lambda _o, _l: Outcome("pass", "stand-in")), name, argv, lambda _src: None)
    built: GateBody = lambda _o, _l: Outcome("pass", "stand-in", facts=GateFacts(bin_dir=bin_dir))  # noqa: E731
    run_gate(_stand_ins(built), "build", argv, lambda _src: None)
    proc = _nox("upstream_suites", *argv, nox_flags=("--no-dependencies",))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    report = json.loads((out / "gate-report.json").read_text())
    gate = next(g for g in report["gates"] if g["name"] == "upstream_suites")
    assert gate["status"] == "pass" and gate["evidence"] == "upstream_suites/upstream-suites.json"
    [profile] = gate["details"]["profiles"]
    assert (profile["test"], profile["profile"], profile["status"]) == (LOW, "low-volume", "pass")
    verdicts = {a["name"]: a["status"] for a in profile["assertions"]}
    for name in ("snapshot-cadence", "excessive-snapshots", "l0-page-count", "wal-bounded", "checkpoint-observed"):
        assert verdicts.get(name) == "pass", (name, profile["assertions"])
    assert gate["key_figure"].startswith("1 of 1 profiles passed (-short); assertions ")
    events = (out / "upstream_suites" / "go-test.jsonl").read_text().splitlines()
    assert any('"Action":"pass","Package":"github.com/benbjohnson/litestream/tests/integration"' in e for e in events)
    assert f"RUN  {LOW}" in output and f"  {LOW} [l0-page-count] PASS:" in output
    assert "[l0-page-count] PASS:" in (out / "gate-report.md").read_text()
    assert not (out / "upstream_suites" / "checkout").exists()  # the scratch copy is removed
    assert git.Repo(litestream_src).git.status("--porcelain", "--ignored") == before  # the checkout is untouched


def test_a_profile_that_fails_without_an_assertion_verdict_quotes_its_last_words() -> None:
    """Built from the real passing stream: the restore step's t.Fatalf replaces the end (as go reports it)."""
    lines = (STREAMS / "low-volume-pass.jsonl").read_text().splitlines(keepends=True)
    cut = next(n for n, line in enumerate(lines) if "Restoration successful" in line)
    fatal = json.loads(lines[cut])
    fatal["Output"] = "    ltx_behavior_test.go:44: Restoration failed: no snapshots available\n"
    ended = {"Action": "fail", "Package": fatal["Package"], "Test": LOW, "Elapsed": 160.5}
    report = SuiteReport((LOW,), True, 1, read_stream([*lines[:cut], json.dumps(fatal), json.dumps(ended)]), {LOW: 1})
    assert not report.passed
    assert str(report.reason()).startswith(f"{LOW} failed: ")
    assert str(report.reason()).endswith("Testing restoration... | Restoration failed: no snapshots available")
