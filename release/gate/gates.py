"""The gates, written once: ``GATES`` is the order nox chains the sessions in (noxfile.py generates them from it),
the order of the ledger, and each gate's body.

Each body calls the real tasks (``python -m invoke ...``) and judges their JSON evidence, never their text.
Evidence lands in ``<out>/<gate>/``, which the gate empties before it runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

from common.errors import UserError
from common.settings import PROJECT_ROOT, Settings
from common.steps import Skip
from common.units import parse_duration
from common.versions import ReleaseVersion
from release.build import checkout as gosrc
from release.build.checksums import parse_checksums, sha256_file
from release.build.release_build import EVIDENCE
from release.gate import baseline as baseline_checks
from release.gate import preflight as checks
from release.gate import upstream_suites as suites
from release.gate.go_test import run_go_test
from release.gate.ledger import GateFacts, GateRecord, Ledger, Outcome
from release.gate.options import GateOptions
from release.gate.runner import Gate, finish_gate, run_gate
from release.homebrew.checksums_source import release_checksums_url
from release.homebrew.downloads import http_status
from soak.analyze.run_state import run_state
from soak.analyze.shape import SHAPE_CRITERIA
from soak.rundir import RepeatDir

BINARIES = ("litestream", "litestream-test")
# The checks release.build records in release-build.json; each must have run for the build gate to pass.
BUILD_CHECKS = ("artifacts", "archive_members", "build_settings", "host_version", "checksums")


def head_commit(src: Path) -> str | None:
    """The Litestream commit the evidence belongs to; None when --src is not a checkout (preflight says why)."""
    try:
        return str(gosrc.open_checkout(src).head_sha)
    except UserError:
        return None


def evidence_dir(options: GateOptions, gate: str) -> Path:
    """A fresh ``<out>/<gate>/``: stale evidence from an earlier run must never be judged as this run's."""
    path = options.out / gate
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def run_invoke(args: list[str], log_path: Path) -> int:
    """Run a task through the real Invoke CLI in the project root, echoing its output and keeping a log."""
    command = [sys.executable, "-m", "invoke", *args]
    print(f"$ invoke {' '.join(args)}", flush=True)
    with log_path.open("a") as log:
        proc = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                sys.stdout.write(line)
                log.write(line)
            return proc.wait()
        except KeyboardInterrupt:
            proc.wait()  # the task got the same SIGINT from the terminal and cleans up itself
            raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- preflight -------------------------------------------------------------------------------------------------


def preflight(options: GateOptions, ledger: Ledger) -> Outcome:
    """Cheap checks first: clean checkout, version tag, toolchains, S3, tap token, single tap writer."""
    out = evidence_dir(options, "preflight")
    report = checks.run_preflight(options.src, options.version, publish=options.publish, baseline=options.baseline)
    checks.print_status(report)
    path = checks.write_report(report, out)
    if report.head_sha:
        ledger.commit = report.head_sha
    failed = [f"{c.name}: {c.detail}" for c in report.checks if c.status == "fail"]
    facts = GateFacts(tagged_at_head=report.tagged_at_head)
    return Outcome("fail" if failed else "pass", report.key_figure(), path, "; ".join(failed) or None, facts)


# --- go_test ---------------------------------------------------------------------------------------------------


def go_test(options: GateOptions, ledger: Ledger) -> Outcome:
    """Litestream's own ``go test -race ./...`` with cgo on and no AWS_* in its environment."""
    out = evidence_dir(options, "go_test")
    summary = run_go_test(options.src, out, skip_regex=options.go_test_skip, count=options.go_test_count)
    return Outcome("pass" if summary.passed else "fail", summary.key_figure(), out / "summary.json", summary.reason())


# --- build -----------------------------------------------------------------------------------------------------


def _tagged_at_head(options: GateOptions, ledger: Ledger) -> bool:
    if ledger.facts.tagged_at_head is not None:
        return ledger.facts.tagged_at_head
    # preflight was skipped: ask the checkout directly
    return options.version.tag in gosrc.open_checkout(options.src).tags_at_head()


def verify_checksums(dist: Path, name: str = "checksums.txt") -> tuple[int, list[str]]:
    """Files listed in the build's checksums file, and the problems found re-hashing them."""
    checksums = dist / name
    if not checksums.is_file():
        return 0, [f"{checksums} was not written"]
    digests = parse_checksums(checksums.read_text(), source=str(checksums))
    problems = []
    for listed, digest in digests.items():
        archive = dist / listed
        if not archive.is_file():
            problems.append(f"{listed} is listed but missing")
        elif sha256_file(archive) != digest:
            problems.append(f"{listed} does not match its checksum")
    return len(digests), problems


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def evaluate_release_build(dist: Path, mode: str, commit: str | None) -> Outcome:
    """Judge ``release-build.json``: the mode asked for, this commit, every check run; then re-hash checksums.txt."""
    evidence = read_json(dist / EVIDENCE)
    if evidence is None:
        return Outcome("fail", "", dist, f"no readable {EVIDENCE} in {dist}: release.build did not finish")
    problems = []
    if evidence.get("mode") != mode:
        problems.append(f"release.build ran in {evidence.get('mode')!r} mode, not {mode}")
    if commit and evidence.get("commit") != commit:
        problems.append(f"release.build built {str(evidence.get('commit'))[:12]}, not the checkout's {commit[:12]}")
    checks = _mapping(evidence.get("checks"))
    missing = [name for name in BUILD_CHECKS if name not in checks]
    if missing:
        problems.append(f"checks that did not run: {', '.join(missing)}")
    archives, packages, sboms = (_list(evidence.get(key)) for key in ("archives", "packages", "sboms"))
    listed, rehash = verify_checksums(dist, str(evidence.get("checksums") or "checksums.txt"))
    problems += rehash
    if listed != len(archives) + len(packages) + len(sboms):
        problems.append(f"the checksums file lists {listed} files, the build made {len(archives) + len(packages)}")
    if not archives:
        problems.append("the build made no archives")
    skipped = _mapping(evidence.get("skipped"))
    figure = (
        f"2 binaries; {len(archives)} archives, {len(packages)} packages by GoReleaser {evidence.get('goreleaser')}"
        f" ({mode} {evidence.get('version')}); {len(checks)} checks"
        + (", checksums re-hashed" if not rehash else ", checksums WRONG")
        + "".join(f"; {pipe} skipped: {why}" for pipe, why in skipped.items())
    )
    return Outcome("fail" if problems else "pass", figure, dist / EVIDENCE, "; ".join(problems) or None)


def build(options: GateOptions, ledger: Ledger) -> Outcome:
    """``invoke build`` (dev binaries for the soak) and ``invoke release.build`` (GoReleaser on the checkout's own
    config: snapshot unless the version is the tag at HEAD), judged from release-build.json."""
    out = evidence_dir(options, "build")
    bin_dir, dist = out / "bin", out / "dist"
    log = out / "build.log"
    if run_invoke(["build", "--src", str(options.src), "--out", str(bin_dir)], log) != 0:
        return Outcome("fail", "", log, "invoke build failed; see build.log")
    missing = [name for name in BINARIES if not (bin_dir / name).is_file()]
    if missing:
        return Outcome("fail", "", log, f"invoke build left no {', '.join(missing)} in {bin_dir}")
    release = ["release.build", "--src", str(options.src), "--version", options.version.tag, "--dist", str(dist)]
    mode = "release"
    if not _tagged_at_head(options, ledger):
        release.append("--snapshot")
        mode = "snapshot"
    if run_invoke(release, log) != 0:
        return Outcome("fail", "", log, f"invoke release.build ({mode}) failed; see build.log")
    outcome = evaluate_release_build(dist, mode, ledger.commit)
    outcome.facts = GateFacts(bin_dir=bin_dir, checksums=dist / "checksums.txt")
    return outcome


# --- upstream_suites ------------------------------------------------------------------------------------------


def upstream_suites(options: GateOptions, ledger: Ledger) -> Outcome:
    """Litestream's own LTX behaviour suites on the built binaries, in a scratch copy of the checkout; every
    profile and assertion line goes into the record's details, and a failed assertion fails the gate."""
    suites.check_suites(options.src, options.upstream_suites)  # Skip: a checkout from before the suite
    bin_dir = ledger.facts.bin_dir
    if ledger.gate("build").status == "skipped" or bin_dir is None or not bin_dir.is_dir():
        raise Skip("no binaries under test to run the suites on (build was skipped)")
    out = evidence_dir(options, "upstream_suites")
    report = suites.run_suites(
        options.src,
        bin_dir,
        out,
        options.upstream_suites,
        short=not options.upstream_full,
        count=options.upstream_count,
    )
    status: Literal["pass", "fail"] = "pass" if report.passed else "fail"
    return Outcome(status, report.key_figure(), out / suites.EVIDENCE, report.reason(), details=report.as_json())


# --- soak ------------------------------------------------------------------------------------------------------


# The checks a soak must have made and passed: no row-for-row verdict without them (result.json, docs/rundir.md).
REQUIRED_CHECKS = ("restore", "row_counts", "digests")


def evaluate_soak_run(run_dir: Path, commit: str | None) -> Outcome:
    """Judge a soak run directory by its result.json (docs/rundir.md): status, checks, rows and digests.

    Fail closed: a run that did not finish (no result.json, no ended_at, still running), or whose restore, row
    counts or digests were never checked, fails with that one-line reason.
    """
    state = run_state(run_dir)
    if not state.finished:
        return Outcome("fail", "", run_dir, f"INCOMPLETE: {state.reason}")
    result = read_json(run_dir / "result.json")
    if result is None:
        return Outcome(
            "fail", "", run_dir, f"INCOMPLETE: no readable result.json in {run_dir}: the soak did not finish"
        )
    tables: dict[str, Any] = result.get("tables") or {}
    rows = result.get("rows_written")
    mismatched = [
        name
        for name, table in tables.items()
        if not table.get("source_sha256") or table.get("source_sha256") != table.get("restored_sha256")
    ]
    short_rows = [name for name, table in tables.items() if table.get("source_rows") != table.get("restored_rows")]
    digests = "no table digests" if not tables else ("digests MISMATCH" if mismatched else "restore digests match")
    digests += f" ({len(tables)} table{'' if len(tables) == 1 else 's'})" if tables else ""
    figure = f"{rows:,} rows written; {digests}" if isinstance(rows, int) else digests
    problems = []
    if result.get("status") != "pass":
        problems.append(f"soak status {result.get('status')!r}: {result.get('reason') or 'no reason given'}")
    checks = [check for check in result.get("checks") or [] if isinstance(check, dict)]
    failed_checks = [str(check.get("name")) for check in checks if check.get("passed") is False]
    if failed_checks:
        problems.append(f"failed checks: {', '.join(failed_checks)}")
    made = {check.get("name") for check in checks}
    missing = [name for name in REQUIRED_CHECKS if name not in made]
    if missing:
        problems.append(f"not judged: result.json has no {', '.join(missing)} check")
    unjudged = [str(check.get("name")) for check in checks if check.get("passed") is None]
    if unjudged:
        problems.append(f"not judged: {', '.join(unjudged)}")
    if not tables:
        problems.append("result.json has no table digests to compare")
    if mismatched:
        problems.append(f"restored digest differs from source for {', '.join(mismatched)}")
    if short_rows:
        problems.append(f"restored row count differs for {', '.join(short_rows)}")
    lost = result.get("lost_rows")
    if isinstance(lost, dict) and lost.get("summary"):
        problems.append(f"lost rows: {lost['summary']}")
    run = read_json(run_dir / "run.json") or {}
    ran_on = run.get("litestream_commit")
    if commit and ran_on and ran_on != commit:
        problems.append(f"the soak ran Litestream {str(ran_on)[:12]}, not the checkout's {commit[:12]}")
    return Outcome("fail" if problems else "pass", figure, run_dir / "result.json", "; ".join(problems) or None)


def soak_runs(run_dir: Path) -> list[Path] | None:
    """The run directories of a ``--repeat`` soak (run-1/ .. run-N/, as repeat.json lists them), None for one run."""
    repeat = RepeatDir(run_dir)
    if not repeat.repeat_json.is_file():
        return None
    data = read_json(repeat.repeat_json) or {}
    count = data.get("repeat")
    count = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
    return [repeat.run(n).root for n in range(1, count + 1)]


def evaluate_soak_repeat(run_dir: Path, commit: str | None, expected: int) -> Outcome:
    """Every run of a ``--repeat N`` soak judged like a single one; all N must pass (none may be missing)."""
    runs = soak_runs(run_dir) or []
    if len(runs) != expected:
        found = "no repeat.json" if not runs else f"repeat.json lists {len(runs)} runs"
        return Outcome("fail", "", run_dir, f"INCOMPLETE: --soak-repeat {expected}, but {found} in {run_dir}")
    outcomes = [evaluate_soak_run(path, commit) for path in runs]
    failed = [(n, o) for n, o in enumerate(outcomes, 1) if o.status != "pass"]
    figure = f"{len(runs) - len(failed)} of {len(runs)} runs passed"
    data = read_json(RepeatDir(run_dir).repeat_json) or {}
    if failed:
        checks = data.get("checks") if isinstance(data.get("checks"), dict) else {}
        tally = [
            f"{name} failed {row.get('failed')} of {len(runs)}"
            for name, row in (checks or {}).items()
            if isinstance(row, dict) and row.get("failed")
        ]
        reasons = "; ".join([*tally, *(f"run {n}: {o.reason}" for n, o in failed)])
        reason = f"failed {len(failed)} of {len(runs)}: {reasons}"
        return Outcome("fail", figure, RepeatDir(run_dir).repeat_json, reason)
    return Outcome("pass", f"{figure}; {outcomes[0].key_figure}", RepeatDir(run_dir).repeat_json)


# The gate's periodic restores and idle phase: 2m each, a quarter of a shorter soak (at least 10s between restores,
# at least 30s idle) so a 30-second soak still gets restores during its load and an idle phase in proportion. Its
# monitor ticks (the points pitr restores to): 60s, a tenth of a soak shorter than 10 minutes, at least 5s.
GATE_SOAK_CHECK_MAX_S = 120.0
GATE_SOAK_TICK_S = (5.0, 60.0)


def gate_soak_flags(soak_duration: str) -> list[str]:
    """The gate's soak looks at the replica independently: SIGKILL at the end (no shutdown sync can make it pass),
    restores during the load and at recorded ticks, an idle phase that must stay quiet, and a damaged copy that must
    not restore (soak.run). The candidate's soak and the baseline's get the same flags, so their figures compare."""
    seconds = parse_duration(soak_duration, name="--soak-duration")
    every = round(min(max(seconds / 4, 10.0), GATE_SOAK_CHECK_MAX_S))
    idle = round(min(max(seconds / 4, 30.0), GATE_SOAK_CHECK_MAX_S))
    tick = round(min(max(seconds / 10, GATE_SOAK_TICK_S[0]), GATE_SOAK_TICK_S[1]))
    return [
        "--final-stop", "kill", "--idle", f"{idle}s", "--restore-every", f"{every}s", "--corrupt-object",
        "--interval", f"{tick}s",
    ]  # fmt: skip


def soak(options: GateOptions, ledger: Ledger) -> Outcome:
    """``invoke soak.overnight`` for --soak-duration on the built binaries (or the checkout if build was skipped)."""
    out = evidence_dir(options, "soak")
    run_dir = out / "run"
    bin_dir = ledger.facts.bin_dir
    source = ["--bin", str(bin_dir)] if bin_dir and bin_dir.is_dir() else ["--src", str(options.src)]
    args = ["soak.overnight", *source, "--duration", options.soak_duration, "--test-dir", str(run_dir)]
    args += gate_soak_flags(options.soak_duration)
    if options.chaos:
        args.append("--chaos")
    if options.soak_repeat > 1:
        args += ["--repeat", str(options.soak_repeat)]
    code = run_invoke(args, out / "soak.log")
    if options.soak_repeat > 1:
        outcome = evaluate_soak_repeat(run_dir, ledger.commit, options.soak_repeat)
    else:
        outcome = evaluate_soak_run(run_dir, ledger.commit)
    outcome.facts = GateFacts(run_dir=run_dir)
    if outcome.status == "pass" and code != 0:
        outcome.status, outcome.reason = "fail", f"invoke soak.overnight exited {code} although result.json passed"
    return outcome


# --- analyze ---------------------------------------------------------------------------------------------------


REQUIRED_CRITERIA = ("restore", "rows_and_digests")


def evaluate_analysis(run_dir: Path) -> Outcome:
    """Judge analysis.json (docs/rundir.md): the verdict, which criteria failed, and that the decisive ones were
    judged at all (fail closed: an ``na`` restore or rows_and_digests, or an INCOMPLETE verdict, fails)."""
    analysis = read_json(run_dir / "analysis.json")
    if analysis is None:
        return Outcome("fail", "", run_dir, f"no readable analysis.json in {run_dir}")
    criteria = [c for c in analysis.get("criteria") or [] if isinstance(c, dict)]
    failed = [str(c.get("name")) for c in criteria if c.get("status") == "fail"]
    judged = {str(c.get("name")) for c in criteria if c.get("status") == "pass"}
    unjudged = [name for name in REQUIRED_CRITERIA if name not in judged and name not in failed]
    headline = str(analysis.get("headline") or "")
    verdict = analysis.get("verdict")
    why = analysis.get("reason")
    if failed:
        return Outcome("fail", headline, run_dir / "analysis.json", f"failed criteria: {', '.join(failed)}")
    if verdict != "pass":
        reason = f"verdict {verdict!r}" + (f": {why}" if why else "")
        return Outcome("fail", headline, run_dir / "analysis.json", reason)
    if unjudged:
        return Outcome("fail", headline, run_dir / "analysis.json", f"not judged: {', '.join(unjudged)}")
    return Outcome("pass", headline, run_dir / "analysis.json")


def analyze(options: GateOptions, ledger: Ledger) -> Outcome:
    """``invoke soak.analyze`` on the soak's run directory (each run of a --soak-repeat); a failed criterion fails."""
    run_dir = ledger.facts.run_dir
    if ledger.gate("soak").status == "skipped" or run_dir is None:
        raise Skip("no soak run to analyze (soak was skipped)")
    runs = soak_runs(run_dir) or [run_dir]
    outcomes = []
    for one in runs:
        # analysis.json is always written into the run dir; --output keeps the same JSON off the terminal.
        args = ["soak.analyze", "--run-dir", str(one), "--format", "json", "--output", f"{one}/analysis.json"]
        code = run_invoke(args, run_dir.parent / "analyze.log")
        outcome = evaluate_analysis(one)
        if code == 2:
            outcome.status, outcome.reason = "fail", "soak.analyze could not read the run directory (exit 2)"
        elif outcome.status == "pass" and code != 0:
            outcome.status, outcome.reason = "fail", f"invoke soak.analyze exited {code} although analysis.json passed"
        outcomes.append(outcome)
    if len(outcomes) == 1:
        return outcomes[0]
    failed = [(n, o) for n, o in enumerate(outcomes, 1) if o.status != "pass"]
    figure = f"{len(runs) - len(failed)} of {len(runs)} runs passed"
    if failed:
        reasons = "; ".join(f"run {n}: {o.reason}" for n, o in failed)
        return Outcome("fail", figure, run_dir, f"failed {len(failed)} of {len(runs)}: {reasons}")
    return Outcome("pass", f"{figure}; {outcomes[0].key_figure}", run_dir)


# --- baseline --------------------------------------------------------------------------------------------------


def _analyzed(run_dir: Path, log: Path) -> str | None:
    """analysis.json in ``run_dir`` (written by soak.analyze unless the analyze gate already did); None when it is
    there, else why not."""
    if (run_dir / "analysis.json").is_file():
        return None
    args = ["soak.analyze", "--run-dir", str(run_dir), "--format", "json", "--output", f"{run_dir}/analysis.json"]
    if run_invoke(args, log) == 2 or not (run_dir / "analysis.json").is_file():
        return f"soak.analyze could not read {run_dir} (see {log.name})"
    return None


def baseline(options: GateOptions, ledger: Ledger) -> Outcome:
    """The same soak (duration, --chaos and its fault seed, --soak-repeat) on the ``--baseline`` release, installed
    from the Go module proxy (``soak.overnight --litestream``), compared with the candidate's run by soak.compare's
    code; a figure over its ``baseline.*`` limit fails the gate."""
    assert options.baseline is not None, "the gate runs only when --baseline is given"
    candidate = ledger.facts.run_dir
    if ledger.gate("soak").status == "skipped" or candidate is None:
        raise Skip("no candidate soak to compare with (soak was skipped)")
    limits = baseline_checks.thresholds(Settings.for_project())  # a bad limit is one line before the long soak
    out = evidence_dir(options, "baseline")
    run_dir, log = out / "run", out / "baseline.log"
    args = ["soak.overnight", "--litestream", options.baseline.tag, "--duration", options.soak_duration]
    args += gate_soak_flags(options.soak_duration)  # as the candidate's: killed, restored, idle, damaged
    if options.chaos:
        args.append("--chaos")
    candidates = soak_runs(candidate) or [candidate]
    seed = _mapping((read_json(candidates[0] / "run.json") or {}).get("faults")).get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        args += ["--fault-seed", str(seed)]  # the same kill times and error dice as the candidate's run 1
    if options.soak_repeat > 1:
        args += ["--repeat", str(options.soak_repeat)]
    run_invoke([*args, "--test-dir", str(run_dir)], log)
    baselines = (soak_runs(run_dir) or []) if options.soak_repeat > 1 else [run_dir]
    if len(baselines) != len(candidates):
        return Outcome("fail", "", log, f"the baseline made {len(baselines)} runs, the candidate {len(candidates)}")
    comparisons = []
    for base_run, cand_run in zip(baselines, candidates, strict=True):
        state = run_state(base_run)
        if not state.finished:
            return Outcome("fail", "", log, f"INCOMPLETE: the baseline soak on {options.baseline.tag}: {state.reason}")
        for one in (base_run, cand_run):
            if why := _analyzed(one, log):
                return Outcome("fail", "", log, why)
        compared = baseline_checks.compare_runs(options.baseline.tag, base_run, cand_run, limits)
        if isinstance(compared, str):
            return Outcome("fail", "", log, compared)
        comparisons.append(compared)
    first = comparisons[0]
    evidence = first.write(out)
    status = read_json(baselines[0] / "result.json") or {}
    note = "" if status.get("status") == "pass" else f"; the baseline's own soak: {status.get('status')}"
    figure = first.key_figure() + note + (f" (run 1 of {len(comparisons)})" if len(comparisons) > 1 else "")
    reasons = [
        (f"run {n}: " if len(comparisons) > 1 else "") + reason
        for n, c in enumerate(comparisons, 1)
        if (reason := c.reason())
    ]
    return Outcome("fail" if reasons else "pass", figure, evidence, "; ".join(reasons) or None)


# --- profiles --------------------------------------------------------------------------------------------------


def evaluate_profile(profile: str, run_dir: Path, commit: str | None, codes: tuple[int, int]) -> dict[str, Any]:
    """One profile soak's row: its soak (result.json) and analysis (analysis.json), and every shape criterion.

    Fail closed: the profile soaks exist to judge the replica's shape, so a shape criterion left ``na`` fails too.
    """
    soak_code, analyze_code = codes
    soak_outcome = evaluate_soak_run(run_dir, commit)
    if soak_outcome.status == "pass" and soak_code != 0:
        soak_outcome.status, soak_outcome.reason = "fail", f"invoke soak.overnight exited {soak_code}"
    analysis = evaluate_analysis(run_dir)
    if analysis.status == "pass" and analyze_code != 0:
        analysis.status, analysis.reason = "fail", f"invoke soak.analyze exited {analyze_code}"
    data = read_json(run_dir / "analysis.json") or {}
    criteria = {str(c.get("name")): c for c in data.get("criteria") or [] if isinstance(c, dict)}
    shape = {name: str((criteria.get(name) or {}).get("status") or "missing") for name in SHAPE_CRITERIA}
    unjudged = [name for name, status in shape.items() if status != "pass" and status != "fail"]
    problems = [
        f"soak: {soak_outcome.reason}" if soak_outcome.status != "pass" else "",
        f"analysis: {analysis.reason}" if analysis.status != "pass" else "",
        f"shape not judged: {', '.join(unjudged)}" if unjudged else "",
    ]
    reason = "; ".join(p for p in problems if p)
    return {
        "profile": profile,
        "status": "fail" if reason else "pass",
        "soak": soak_outcome.status,
        "analysis": str(data.get("verdict") or analysis.status),
        "headline": analysis.key_figure,
        "shape": shape,
        "run_dir": str(run_dir),
        "reason": reason or None,
    }


def profiles(options: GateOptions, ledger: Ledger) -> Outcome:
    """One short soak per --soak-profiles load (``--schedule fast``), each analyzed; every one must pass with its
    shape criteria judged."""
    if not options.soak_profiles:
        raise Skip("--soak-profiles none")
    if "soak" in options.skip:
        raise Skip("--skip soak: no soak at all, the profile soaks included")
    out = evidence_dir(options, "profiles")
    bin_dir = ledger.facts.bin_dir
    source = ["--bin", str(bin_dir)] if bin_dir and bin_dir.is_dir() else ["--src", str(options.src)]
    rows = []
    for name in options.soak_profiles:
        run_dir = out / name
        soak_args = ["soak.overnight", *source, "--profile", name, "--schedule", "fast"]
        soak_args += ["--duration", options.soak_profile_duration, "--interval", "10s", "--test-dir", str(run_dir)]
        soak_code = run_invoke(soak_args, out / f"{name}-soak.log")
        analyze_args = ["soak.analyze", "--run-dir", str(run_dir), "--format", "json"]
        analyze_code = run_invoke([*analyze_args, "--output", f"{run_dir}/analysis.json"], out / f"{name}-analyze.log")
        rows.append(evaluate_profile(name, run_dir, ledger.commit, (soak_code, analyze_code)))
    (out / "profiles.json").write_text(json.dumps(rows, indent=2) + "\n")
    failed = [row for row in rows if row["status"] != "pass"]
    figure = f"{len(rows) - len(failed)} of {len(rows)} profiles passed ({', '.join(options.soak_profiles)})"
    reason = "; ".join(f"{row['profile']}: {row['reason']}" for row in failed) or None
    return Outcome("fail" if failed else "pass", figure, out / "profiles.json", reason, profiles=rows)


# --- formula ---------------------------------------------------------------------------------------------------


def release_published(version: ReleaseVersion, url_base: str) -> bool:
    """Whether the release's checksums.txt is published (200) or not yet (404); anything else cannot be judged."""
    url = release_checksums_url(url_base, version)
    status = http_status(url, what="the release's checksums.txt")
    if status not in (200, 404):
        raise UserError(f"{url} answered HTTP {status}; cannot tell whether {version.tag} is published")
    return status == 200


def formula(options: GateOptions, ledger: Ledger) -> Outcome:
    """The formula from the published checksums once the release exists; before that, a preview from the build's
    (said so in the key figure and the ``formula_source`` fact). ``ruby -c`` on it, ``invoke release.tap --dry-run``."""
    if ledger.gate("build").status == "skipped" or ledger.facts.checksums is None:
        raise Skip("no checksums to render from (build was skipped)")
    out = evidence_dir(options, "formula")
    rendered, log = out / "litestream.rb", out / "formula.log"
    version = options.version
    published = False
    if _tagged_at_head(options, ledger):  # before the tag exists there is no release to ask for
        try:
            published = release_published(version, Settings.for_project().get("release.url_base"))
        except UserError as exc:
            return Outcome("fail", "", None, f"{exc}; the formula needs the published checksums or a preview")
    source: list[str] = [] if published else ["--preview", "--dist", str(ledger.facts.checksums.parent)]
    if run_invoke(["release.formula", "--version", version.tag, *source, "--output", str(rendered)], log):
        return Outcome("fail", "", log, "invoke release.formula failed; see formula.log")
    try:
        syntax = subprocess.run(["ruby", "-c", str(rendered)], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return Outcome("fail", "", rendered, "ruby is not on PATH; install it (apt-get install ruby)")
    if syntax.returncode != 0:
        return Outcome("fail", "", rendered, f"ruby -c: {(syntax.stderr or syntax.stdout).strip()}")
    if run_invoke(["release.tap", "--version", version.tag, *source, "--dry-run"], log):
        return Outcome("fail", "ruby -c ok", log, "invoke release.tap --dry-run failed; see formula.log")
    facts = GateFacts(formula_source="published" if published else "preview")
    if published:
        return Outcome("pass", f"published {version.tag} checksums; ruby -c ok; tap dry-run ok", rendered, facts=facts)
    why = "not tagged yet" if not _tagged_at_head(options, ledger) else "tagged, not published yet"
    figure = f"PREVIEW from the build's checksums ({version.tag} {why}); ruby -c ok; tap dry-run ok"
    return Outcome("pass", figure, rendered, facts=facts)


# fmt: off
GATES: list[Gate] = [
    Gate("preflight", "clean checkout, version tag, toolchains, S3, tap token, single tap writer", preflight),
    Gate("go_test", "Litestream's own go test -race ./... (cgo on, no AWS_* env)", go_test),
    Gate("build", "invoke build and invoke release.build (snapshot unless the version is the tag at HEAD)", build),
    Gate("upstream_suites", "Litestream's LTX behaviour suites (-tags integration,soak) on the built binaries",
         upstream_suites),
    Gate("soak", "invoke soak.overnight for --soak-duration; rows and restore digests must match", soak),
    Gate("analyze", "invoke soak.analyze on the soak's run; a failed criterion fails the gate", analyze),
    Gate(
        "baseline",
        "with --baseline vX.Y.Z: the same soak on that release; a regression over the baseline.* limits fails",
        baseline,
        asked=lambda options: options.baseline is not None,
    ),
    Gate("profiles", "one short soak per --soak-profiles load (low, high, burst), shape criteria judged", profiles),
    Gate("formula", "invoke release.formula (a preview until it is published), ruby -c, tap --dry-run", formula),
]
# fmt: on
GATE_NAMES = tuple(gate.name for gate in GATES)


def run(name: str, argv: list[str]) -> GateRecord:
    """One gate session: parse the posargs, run the gate's body, record it in the ledger."""
    return run_gate(GATES, name, argv, head_commit)


def finish(argv: list[str]) -> Ledger:
    """The ``release_gate`` session: the verdict over the whole ledger."""
    return finish_gate(GATES, argv, head_commit)
