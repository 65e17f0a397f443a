"""End to end: ``nox -s release_gate`` against real Litestream with short soaks.

The whole gate (Litestream's race suite, its LTX behaviour suites, the release matrix, a soak) runs against the
checkout in LITESTREAM_SRC; a gate with ``--baseline`` on the pinned release runs everywhere, CI included.
GATE_E2E_SOAK_DURATION (default 2m) and GATE_E2E_GO_TEST_SKIP (a ``go test -skip`` regex) tune it;
GATE_E2E_UPSTREAM_SUITES (default one profile, TestLTXBehavior/low-volume: the whole set adds ~13 min) is passed
as --upstream-suites.
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

from release.gate.go_test import ROOT_FAILS
from tests.support.checkouts import ACTOR
from tests.support.homebrew import file_server
from tests.support.litestream import PINNED, RealLitestream, release_checkout
from tests.support.paths import PROJECT_ROOT

# As root, chmod 000 does not stop a read, so this Litestream test cannot pass (v0.5.16 replica_internal_test.go).


def _version_for(src: Path) -> str:
    """The release tag at HEAD when there is one (a release build), else a version that is never tagged."""
    tags = git.Repo(src).git.tag("--points-at", "HEAD", "--list", "v*").split()
    return sorted(tags)[-1] if tags else "v0.0.0-gate-e2e"


def _tap_remote(tmp_path: Path) -> Path:
    """A local bare repository standing in for the Homebrew tap (release.tap --dry-run reads it)."""
    work = git.Repo.init(tmp_path / "tap-work", initial_branch="main")
    (tmp_path / "tap-work" / "README.md").write_text("# homebrew-litestream (test tap)\n")
    work.index.add(["README.md"])
    work.index.commit("initial", author=ACTOR, committer=ACTOR)
    bare = tmp_path / "tap.git"
    git.Repo.clone_from(str(tmp_path / "tap-work"), bare, bare=True)
    return bare


def _gate_passes(options: list[str], env: dict[str, str], out: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """``nox -s release_gate -- OPTIONS`` in the project; asserts it exited 0; its report and each gate's status."""
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(PROJECT_ROOT / "noxfile.py"), "-s", "release_gate", "--", *options],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads((out / "gate-report.json").read_text())
    statuses = {gate["name"]: gate["status"] for gate in report["gates"]}
    assert proc.returncode == 0, f"{statuses}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return report, statuses


@pytest.mark.litestream
@pytest.mark.timeout(5400)
def test_release_gate_passes_end_to_end(litestream_src: Path, tmp_path: Path) -> None:
    out = tmp_path / "evidence"
    version = _version_for(litestream_src)
    go_test_skip = os.environ.get("GATE_E2E_GO_TEST_SKIP") or (ROOT_FAILS if os.geteuid() == 0 else "")
    options = ["--src", str(litestream_src), "--version", version, "--out", str(out)]
    options += ["--soak-duration", os.environ.get("GATE_E2E_SOAK_DURATION", "2m")]
    if go_test_skip:
        options += ["--go-test-skip", go_test_skip]
    options += ["--upstream-suites", os.environ.get("GATE_E2E_UPSTREAM_SUITES", "TestLTXBehavior/low-volume")]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "INVOKE_S3_", "S3_"))}
    env["INVOKE_TAP_REPO"] = str(_tap_remote(tmp_path))
    (tmp_path / "no-releases").mkdir()
    with file_server(tmp_path / "no-releases") as releases:  # nothing published: the formula gate renders a preview
        env["INVOKE_RELEASE_URL_BASE"] = releases
        report, statuses = _gate_passes(options, env, out)
    assert set(statuses.values()) == {"pass"}
    assert report["verdict"] == "pass"
    head = git.Repo(litestream_src).head.commit.hexsha
    assert report["litestream"] == {"src": str(litestream_src.resolve()), "version": version, "commit": head}
    markdown = (out / "gate-report.md").read_text()
    assert f"Release gate {version}: ✔ PASS" in markdown and head in markdown
    suites = next(gate for gate in report["gates"] if gate["name"] == "upstream_suites")
    assert suites["details"]["profiles"] and "profiles passed (-short)" in suites["key_figure"]
    assert "### Litestream's LTX behaviour suites" in markdown
    soak = next(gate for gate in report["gates"] if gate["name"] == "soak")
    assert "restore digests match" in soak["key_figure"]
    build = next(gate for gate in report["gates"] if gate["name"] == "build")
    assert "8 archives, 8 packages by GoReleaser v2.17.0" in build["key_figure"]
    formula = next(gate for gate in report["gates"] if gate["name"] == "formula")
    assert formula["key_figure"].startswith("PREVIEW from the build's checksums")
    assert report["facts"]["formula_source"] == "preview"


@pytest.mark.timeout(1800)
def test_release_gate_with_a_baseline_on_the_pinned_release(litestream: RealLitestream, tmp_path: Path) -> None:
    """CI's gate: no Litestream clone there, so the checkout is v0.5.16's module source from the Go module proxy,
    committed and tagged. A short soak on it, then ``--baseline`` soaks the pinned release (the ``litestream``
    fixture's cached install, through ``--litestream``) and compares. go_test and build are skipped here (the race
    suite and GoReleaser's eight platforms take over ten minutes on CI's two cores); the LITESTREAM_SRC test above
    runs them. formula needs build, so it is skipped too: the verdict is partial, never pass."""
    src = release_checkout(tmp_path / "litestream", PINNED)
    out = tmp_path / "evidence"
    options = ["--src", str(src), "--version", PINNED, "--out", str(out), "--skip", "go_test", "--skip", "build"]
    options += ["--soak-duration", os.environ.get("GATE_E2E_SOAK_DURATION", "30s"), "--baseline", PINNED]
    options += ["--soak-profiles", "none"]  # each profile is a 3-minute soak (test_profiles_gate.py)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "INVOKE_S3_", "S3_"))}
    env["INVOKE_TAP_REPO"] = str(_tap_remote(tmp_path))
    report, statuses = _gate_passes(options, env, out)
    assert [gate["name"] for gate in report["gates"]] == [
        "preflight", "go_test", "build", "upstream_suites", "soak", "analyze", "baseline", "profiles", "formula"
    ]  # fmt: skip
    assert statuses == {
        "preflight": "pass", "go_test": "skipped", "build": "skipped", "upstream_suites": "skipped", "soak": "pass",
        "analyze": "pass", "baseline": "pass", "profiles": "skipped", "formula": "skipped",
    }  # fmt: skip
    assert report["verdict"] == "partial" and report["options"]["baseline"] == PINNED
    row = next(gate for gate in report["gates"] if gate["name"] == "baseline")
    assert row["key_figure"].startswith(f"vs {PINNED}: restore time ") and row["evidence"] == "baseline/baseline.json"
    evidence = json.loads((out / "baseline" / "baseline.json").read_text())
    assert evidence["status"] == "pass" and {t["status"] for t in evidence["thresholds"]} == {"pass"}
    baseline_run = json.loads((out / "baseline" / "run" / "run.json").read_text())
    assert baseline_run["source"] == {**baseline_run["source"], "kind": "release", "version": PINNED}
    candidate_run = json.loads((out / "soak" / "run" / "run.json").read_text())
    assert candidate_run["source"]["kind"] == "checkout"
    assert candidate_run["params"] == baseline_run["params"], "the baseline soak runs with the candidate's parameters"
    assert candidate_run["replica_checks"] == baseline_run["replica_checks"]
    assert candidate_run["replica_checks"]["final_stop"] == "kill"
    judged = {t["figure"]: t for t in evidence["thresholds"]}
    assert judged["replica_age_s"]["baseline"] is not None and judged["replica_age_s"]["candidate"] is not None
    assert "| baseline | ✔ pass |" in (out / "gate-report.md").read_text()
