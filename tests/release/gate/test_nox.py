"""The release gate through real nox: ``nox -f noxfile.py -s <session> -- <options>`` in the project root."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from release.gate.gates import GATES
from release.gate.ledger import GateFacts, Outcome
from release.gate.runner import Gate, GateBody, run_gate
from tests.support.checkouts import commit_file, make_checkout
from tests.support.paths import PROJECT_ROOT

TOOLS = ("go", "gcc", "ruby")
LATER = ["go_test", "build", "upstream_suites", "soak", "analyze", "profiles", "formula"]


def _nox(session: str, *options: str, nox_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "nox",
        "-f",
        str(PROJECT_ROOT / "noxfile.py"),
        *nox_flags,
        "-s",
        session,
        "--",
        *options,
    ]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False)


def _stand_ins(body: GateBody) -> list[Gate]:
    """The real gate list with every body replaced by ``body``."""
    return [Gate(gate.name, gate.purpose, body) for gate in GATES]


def _report(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "gate-report.json").read_text()))


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {gate["name"]: gate["status"] for gate in report["gates"]}


def test_bad_option_is_one_line_without_traceback(tmp_path: Path) -> None:
    proc = _nox("release_gate", "--src", str(tmp_path), "--version", "0.5.16", "--out", str(tmp_path / "ev"))
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "error: --version '0.5.16' is not of the form vMAJOR.MINOR.PATCH" in output
    assert "Traceback" not in output


def test_dirty_checkout_fails_preflight_and_aborts_the_rest(tmp_path: Path) -> None:
    src, _ = make_checkout(tmp_path / "src")
    (src / "main.go").write_text("package litestream // uncommitted\n")
    out = tmp_path / "ev"
    proc = _nox("release_gate", "--src", str(src), "--version", "v0.6.0", "--out", str(out))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "gate preflight failed" in output
    assert "Traceback" not in output
    report = _report(out)
    assert _statuses(report) == {"preflight": "fail", **{name: "aborted" for name in LATER}}
    assert report["verdict"] == "fail"
    preflight = json.loads((out / "preflight" / "preflight.json").read_text())
    clean = next(check for check in preflight["checks"] if check["name"] == "clean checkout")
    assert clean["status"] == "fail" and "main.go" in clean["detail"]
    markdown = (out / "gate-report.md").read_text()
    assert "**Failed gate: preflight.**" in markdown
    assert report["litestream"]["commit"] in markdown
    assert "pass" not in {status for name, status in _statuses(report).items() if name != "preflight"}


def test_version_tagged_elsewhere_fails_preflight(tmp_path: Path) -> None:
    src, repo = make_checkout(tmp_path / "src")
    repo.create_tag("v0.5.16")
    commit_file(repo, "later.go", "package litestream\n")
    out = tmp_path / "ev"
    proc = _nox("release_gate", "--src", str(src), "--version", "v0.5.16", "--out", str(out))
    assert proc.returncode != 0
    report = _report(out)
    assert _statuses(report)["preflight"] == "fail"
    assert "v0.5.16 is already tagged at" in report["gates"][0]["reason"]


@pytest.mark.skipif(not all(shutil.which(tool) for tool in TOOLS), reason=f"preflight needs {', '.join(TOOLS)}")
def test_skipped_gates_are_reported_as_skipped_never_passed(tmp_path: Path) -> None:
    src, repo = make_checkout(tmp_path / "src")
    out = tmp_path / "ev"
    skips = ["--skip", "go_test", "--skip", "build", "--skip", "soak"]
    proc = _nox("release_gate", "--src", str(src), "--version", "v0.6.0", "--out", str(out), *skips)
    output = proc.stdout + proc.stderr
    report = _report(out)
    statuses = _statuses(report)
    assert proc.returncode == 0, output
    assert statuses == {"preflight": "pass", **{name: "skipped" for name in LATER}}
    assert report["verdict"] == "partial"
    assert report["litestream"]["commit"] == repo.head.commit.hexsha
    gates = {gate["name"]: gate for gate in report["gates"]}
    assert gates["go_test"]["reason"] == "--skip go_test"
    assert "soak was skipped" in gates["analyze"]["reason"]
    markdown = (out / "gate-report.md").read_text()
    assert "PASS WITH SKIPPED GATES" in markdown
    assert "Skipped, not passed: go_test, build, upstream_suites, soak, analyze, profiles, formula." in markdown


def _mismatched_run(run: Path) -> Path:
    """A soak run directory whose restore came back with a different digest (result.json per docs/rundir.md)."""
    (run / "logs").mkdir(parents=True)
    (run / "logs" / "litestream.log").write_text('time=2026-12-01T07:00:01.000Z level=INFO msg="replicating"\n')
    times = {"started_at": "2026-12-01T07:00:00.000Z", "ended_at": "2026-12-01T07:05:00.000Z"}
    params = {"duration_s": 300, "interval_s": 60}
    run_json = {"schema_version": 1, **times, "params": params, "litestream_commit": None}
    checks = [{"name": name, "passed": name != "digests"} for name in ("no_crash", "restore", "integrity", "digests")]
    table = {"source_rows": 1000, "restored_rows": 1000, "source_sha256": "a" * 64, "restored_sha256": "b" * 64}
    result = {
        "schema_version": 1,
        "status": "fail",
        **times,
        "phase": "verify",
        "reason": "restored load_test differs from the source",
        "checks": checks,
        "rows_written": 1000,
        "tables": {"load_test": table},
    }
    (run / "run.json").write_text(json.dumps(run_json))
    (run / "result.json").write_text(json.dumps(result))
    return run


def test_digest_mismatch_fails_the_analyze_gate_through_the_real_analyzer(tmp_path: Path) -> None:
    """The earlier gates are stand-ins recorded in the ledger; analyze runs for real (nox --no-dependencies)."""
    src, _ = make_checkout(tmp_path / "src")
    out = tmp_path / "ev"
    argv = ["--src", str(src), "--version", "v0.6.0", "--out", str(out)]
    run = _mismatched_run(tmp_path / "run")
    for name in ("preflight", "go_test", "build", "upstream_suites"):
        run_gate(_stand_ins(lambda _o, _l: Outcome("pass", "stand-in")), name, argv, lambda _src: None)
    soak: GateBody = lambda _o, _l: Outcome("pass", "stand-in", facts=GateFacts(run_dir=run))  # noqa: E731
    run_gate(_stand_ins(soak), "soak", argv, lambda _src: None)
    proc = _nox("analyze", *argv, nox_flags=("--no-dependencies",))
    assert proc.returncode != 0
    assert "gate analyze failed: failed criteria: rows_and_digests" in proc.stdout + proc.stderr
    report = _report(out)
    assert _statuses(report)["analyze"] == "fail" and _statuses(report)["formula"] == "aborted"
    assert "**Failed gate: analyze.**" in (out / "gate-report.md").read_text()
    assert json.loads((run / "analysis.json").read_text())["verdict"] == "fail"


def test_the_gate_sessions_are_generated_from_the_one_gate_list() -> None:
    """Names, order, docstrings and tag come from GATES; release_gate closes the chain."""
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(PROJECT_ROOT / "noxfile.py"), "--list", "--json", "-t", "release"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    listed = [(s["name"], s["description"], s["tags"]) for s in json.loads(proc.stdout)]
    wanted = [(g.name, f"Gate {n}: {g.purpose}.", ["release"]) for n, g in enumerate(GATES, 1)]
    assert listed[:-1] == wanted
    assert listed[-1][0] == "release_gate"


def test_each_gate_session_requires_the_one_before_it(tmp_path: Path) -> None:
    """`nox -s build` runs preflight and go_test first (here both --skip'ped), in the list's order."""
    src, _ = make_checkout(tmp_path / "src")
    out = tmp_path / "ev"
    proc = _nox(
        "build",
        "--src",
        str(src),
        "--version",
        "v0.6.0",
        "--out",
        str(out),
        "--skip",
        "preflight",
        "--skip",
        "go_test",
        "--skip",
        "build",
    )
    output = proc.stdout + proc.stderr
    ran = [line.split("Running session ", 1)[1].strip() for line in output.splitlines() if "Running session " in line]
    assert ran == ["preflight", "go_test", "build"], output
    assert _statuses(_report(out)) == {
        "preflight": "skipped", "go_test": "skipped", "build": "skipped", "upstream_suites": "pending",
        "soak": "pending", "analyze": "pending", "profiles": "pending", "formula": "pending",
    }  # fmt: skip
    assert "uv binary not found" not in output, "no session needs uv; nox must not say it is missing"
