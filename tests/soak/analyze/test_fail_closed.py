"""Fail closed: what was not judged is never a pass. The issue's four cases through the real CLI, each from the real
fixture run directory with files edited or deleted as such a run leaves them: exit non-zero, one line on stderr."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from soak.analyze.criteria import CRITERIA, verdict
from tests.support.analyze import copy_rundir, edit_json, run_invoke
from tests.support.fail_closed import build_failed, in_progress, interrupted, replica_age_not_judged, restore_missing
from tests.support.paths import PROJECT_ROOT


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """stderr: exactly one line, the verdict and why; no traceback."""
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


CASES = {
    "build failed": (build_failed, 1, "FAIL: the soak failed in step binaries: invoke build failed (exit 1)"),
    "interrupted": (interrupted, 3, "INCOMPLETE: the soak was interrupted: interrupted by SIGINT during monitor"),
    "in progress": (in_progress, 3, f"INCOMPLETE: in progress: the soak (pid {os.getpid()}) is still running"),
    "restore missing": (
        restore_missing,
        3,
        "INCOMPLETE: not judged: restore (restore: result.json has no restore check (the soak ended in verify))",
    ),
    "replica age not judged": (
        replica_age_not_judged,
        3,
        "INCOMPLETE: not judged: replica_age (replica_age: all 2 periodic restores came within 36s of a kill",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_run_that_was_not_judged_exits_non_zero_with_one_line_saying_why(tmp_path: Path, case: str) -> None:
    make, code, reason = CASES[case]
    run = make(tmp_path)
    proc = run_invoke("soak.analyze", str(run))
    assert proc.returncode == code, proc.stdout + proc.stderr
    line = _one_line(proc)
    assert line.startswith(reason), line
    assert f"VERDICT: {line.replace(': ', ' - ', 1)}" in proc.stdout, "the report's verdict line says the same"
    data = json.loads((run / "analysis.json").read_text())
    assert data["verdict"] == ("fail" if code == 1 else "incomplete") and data["reason"] in line
    assert "PASS" not in line


def test_build_failed_judges_one_criterion_and_never_passes(tmp_path: Path) -> None:
    proc = run_invoke("soak.analyze", str(build_failed(tmp_path)), "--format", "json")
    data = json.loads(proc.stdout)
    judged = [c["name"] for c in data["criteria"] if c["status"] != "na"]
    assert judged == ["no_crash"] and data["headline"].startswith("1/13 criteria passed")


def test_interrupted_run_leaves_restore_and_rows_unjudged(tmp_path: Path) -> None:
    proc = run_invoke("soak.analyze", str(interrupted(tmp_path)), "--format", "json")
    data = json.loads(proc.stdout)
    status = {c["name"]: c["status"] for c in data["criteria"]}
    assert status["restore"] == status["rows_and_digests"] == "na"
    assert "not judged: restore, rows_and_digests" in data["headline"]


def test_a_run_whose_soak_is_gone_without_a_result_is_incomplete(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    (run / "result.json").unlink()
    edit_json(run / "run.json", ended_at=None, pid=2**22 + 12345, host=socket.gethostname())
    proc = run_invoke("soak.analyze", str(run), "-o", str(tmp_path / "report.txt"))
    assert proc.returncode == 3
    assert proc.stdout.startswith("INCOMPLETE: did not finish: no result.json and no ended_at in run.json")


def test_markdown_and_html_say_incomplete_with_the_reason(tmp_path: Path) -> None:
    run = interrupted(tmp_path)
    md = run_invoke("soak.analyze", str(run), "--format", "markdown")
    assert md.returncode == 3
    assert "**Verdict: INCOMPLETE** - the soak was interrupted: interrupted by SIGINT during monitor" in md.stdout
    assert "| – | `restore` |" in md.stdout and "# Soak analysis" in md.stdout, "no bug report for a run not judged"
    html = run_invoke("soak.analyze", str(run), "--format", "html")
    assert html.returncode == 3
    assert html.stdout.startswith("INCOMPLETE: the soak was interrupted")
    page = (run / "analysis.html").read_text()
    assert '<span class="verdict incomplete">INCOMPLETE</span>' in page
    assert '<span class="reason">the soak was interrupted: interrupted by SIGINT during monitor</span>' in page


def test_latest_picks_the_newest_finished_run_not_onein_progress(tmp_path: Path) -> None:
    finished = copy_rundir(tmp_path, "litestream-overnight-s3-20261201-000000")
    running = copy_rundir(tmp_path, "litestream-overnight-s3-20261202-000000")
    (running / "result.json").unlink()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    argv = [sys.executable, "-m", "invoke", "soak.analyze", "--output", str(tmp_path / "r.txt")]
    proc = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (finished / "analysis.json").exists() and not (running / "analysis.json").exists()
    (finished / "result.json").unlink()
    proc = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    line = _one_line(proc)
    assert line.startswith(f"error: no finished litestream-overnight-* run in {tmp_path}") and running.name in line


def test_not_judged_never_adds_up_to_a_pass() -> None:
    """The old rule (one pass and no failure = PASS) let 1/8 judged pass; now the decisive two must be judged."""
    only_one = [{"name": n, "status": "pass" if n == "no_crash" else "na", "detail": "-"} for n in CRITERIA]
    assert verdict(only_one)[0] == "incomplete"
    assert verdict(only_one)[2] == "not judged: restore, rows_and_digests (restore: -)"
    all_but_rows = [{"name": n, "status": "na" if n == "rows_and_digests" else "pass", "detail": "-"} for n in CRITERIA]
    assert verdict(all_but_rows)[0] == "incomplete"
    decisive = [{"name": n, "status": "pass" if n in ("restore", "rows_and_digests") else "na"} for n in CRITERIA]
    not_judged = ", ".join(CRITERIA[:5] + CRITERIA[7:])
    assert verdict(decisive) == ("pass", f"2/8 criteria passed; not judged: {not_judged}", None)
