"""The release gate through real nox: ``nox -f noxfile.py -s <session> -- <options>`` in the project root."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gate_fixtures import commit_file, make_checkout

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("go", "gcc", "ruby")
LATER = ["go_test", "build", "soak", "analyze", "formula"]


def _nox(session: str, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", session, "--", *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


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
    assert "Skipped, not passed: go_test, build, soak, analyze, formula." in markdown
