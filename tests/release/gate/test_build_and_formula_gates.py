"""The build and formula gates with the real tasks: release.build (GoReleaser) judged from release-build.json, and
the formula from the published checksums once the release exists, a preview before (said so in the ledger)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from common.versions import parse_version
from release.build.release_build import run_release_build
from release.gate.gates import evaluate_release_build
from tests.support.golit import TAG, make_checkout
from tests.support.homebrew import file_server, make_tap
from tests.support.paths import PROJECT_ROOT

SKIP_SLOW = ["--skip", "preflight", "--skip", "go_test", "--skip", "soak"]
needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("go", "gcc", "ruby")),
    reason="the build and formula gates need go, gcc, ruby",
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkout(tmp_path_factory.mktemp("golit") / "src")


@pytest.fixture(scope="module")
def release(checkout: Path, tmp_path_factory: pytest.TempPathFactory, goreleaser: Path) -> Path:
    """``<root>/v0.5.16/``: the fixture's release as GoReleaser builds it, to serve as the published one."""
    root = tmp_path_factory.mktemp("published")
    run_release_build(checkout, root / TAG, parse_version(TAG))
    return root


def head(checkout: Path) -> str:
    return subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=checkout, text=True).strip()


def test_release_build_evidence_is_judged(release: Path, checkout: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(release / TAG, dist)
    outcome = evaluate_release_build(dist, "release", head(checkout))
    assert outcome.status == "pass", outcome.reason
    assert outcome.key_figure.startswith("2 binaries; 8 archives, 8 packages by GoReleaser v2.17.0 (release 0.5.16)")
    assert evaluate_release_build(dist, "snapshot", head(checkout)).reason == (
        "release.build ran in 'release' mode, not snapshot"
    )
    assert "not the checkout's 0123456789ab" in str(evaluate_release_build(dist, "release", "0123456789ab" * 3).reason)
    evidence = json.loads((dist / "release-build.json").read_text())
    del evidence["checks"]["host_version"]
    (dist / "release-build.json").write_text(json.dumps(evidence))
    assert "checks that did not run: host_version" in str(evaluate_release_build(dist, "release", None).reason)
    with (dist / "litestream-0.5.16-linux-arm64.deb").open("ab") as handle:
        handle.write(b"\0")
    assert "litestream-0.5.16-linux-arm64.deb does not match its checksum" in str(
        evaluate_release_build(dist, "release", None).reason
    )
    (dist / "release-build.json").unlink()
    assert "no readable release-build.json" in str(evaluate_release_build(dist, "release", None).reason)


def run_gates(checkout: Path, version: str, out: Path, env: dict[str, str]) -> dict[str, Any]:
    """``nox -s formula`` (build and formula for real; preflight, go_test and the soak skipped)."""
    command = [sys.executable, "-m", "nox", "-f", str(PROJECT_ROOT / "noxfile.py"), "-s", "formula", "--"]
    command += ["--src", str(checkout), "--version", version, "--out", str(out), *SKIP_SLOW]
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((out / "gate-report.json").read_text())
    gates = {gate["name"]: gate for gate in report["gates"]}
    assert proc.returncode == 0, f"{gates}\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return report


def gate_env(tmp_path: Path, url_base: str) -> dict[str, str]:
    tap = make_tap(tmp_path, {"litestream.rb": "# the tap before\n"})
    return {**os.environ, "INVOKE_TAP_REPO": str(tap), "INVOKE_RELEASE_URL_BASE": url_base}


@needs_tools
def test_before_the_tag_the_formula_gate_renders_a_preview_and_says_so(
    checkout: Path, goreleaser: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ev"
    report = run_gates(checkout, "v0.5.17", out, gate_env(tmp_path, "http://127.0.0.1:9"))  # never asked: no tag
    gates = {gate["name"]: gate for gate in report["gates"]}
    assert gates["build"]["status"] == "pass" and "(snapshot v0.5.17-next)" in gates["build"]["key_figure"]
    assert gates["formula"]["status"] == "pass"
    assert gates["formula"]["key_figure"].startswith("PREVIEW from the build's checksums (v0.5.17 not tagged yet)")
    assert report["facts"]["formula_source"] == "preview"
    formula = (out / "formula" / "litestream.rb").read_text()
    assert "# PREVIEW: sha256 values of a local build" in formula
    assert "/v0.5.17/litestream-0.5.17-linux-x86_64.tar.gz" in formula
    assert "+# PREVIEW:" in (out / "formula" / "formula.log").read_text()  # the tap dry-run showed the preview


@needs_tools
def test_tagged_but_not_published_is_a_preview_too(checkout: Path, goreleaser: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with file_server(tmp_path / "empty") as base:
        report = run_gates(checkout, TAG, tmp_path / "ev", gate_env(tmp_path, base))
    gates = {gate["name"]: gate for gate in report["gates"]}
    assert "(release 0.5.16)" in gates["build"]["key_figure"]
    assert gates["formula"]["key_figure"].startswith(
        "PREVIEW from the build's checksums (v0.5.16 tagged, not published"
    )
    assert report["facts"]["formula_source"] == "preview"


@needs_tools
def test_once_published_the_formula_gate_uses_the_published_checksums(
    checkout: Path, release: Path, tmp_path: Path
) -> None:
    with file_server(release) as base:
        report = run_gates(checkout, TAG, tmp_path / "ev", gate_env(tmp_path, base))
    gates = {gate["name"]: gate for gate in report["gates"]}
    assert gates["formula"]["key_figure"] == "published v0.5.16 checksums; ruby -c ok; tap dry-run ok"
    assert report["facts"]["formula_source"] == "published"
    formula = (tmp_path / "ev" / "formula" / "litestream.rb").read_text()
    assert "PREVIEW" not in formula
    published = (release / TAG / "checksums.txt").read_text()
    darwin = next(line.split()[0] for line in published.splitlines() if "darwin-arm64.tar.gz" in line)
    assert f'sha256 "{darwin}"' in formula
