"""`nox -s release_gate -- --chaos` runs its soak with the fault preset: the flag reaches `invoke soak.overnight`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from release.gate import gates as gate_steps
from release.gate.ledger import Ledger
from release.gate.options import parse_gate_args
from tests.support.paths import PROJECT_ROOT
from tests.support.soak import clean_environ

COMMIT = "6d61ef5d007756d62e473daee4c760ac395a55c6"


def _soak_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> list[str]:
    """The soak gate's `invoke` arguments, captured instead of run."""
    seen: list[list[str]] = []

    def fake_invoke(args: list[str], log_path: Path) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(gate_steps, "run_invoke", fake_invoke)
    argv = ["--src", str(tmp_path / "src"), "--version", "v0.5.16", "--out", str(tmp_path / "ev"), *extra]
    options = parse_gate_args(argv, gate_steps.GATE_NAMES)
    gate_steps.soak(options, Ledger.fresh(options, COMMIT, gate_steps.GATE_NAMES))
    assert len(seen) == 1
    return seen[0]


def test_chaos_is_passed_to_the_soak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = _soak_command(tmp_path, monkeypatch, "--chaos", "--soak-duration", "1m")
    assert args[0] == "soak.overnight" and "--chaos" in args
    # The real soak CLI takes that command line and applies the preset: on 1m it refuses, naming --chaos.
    done = subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=PROJECT_ROOT,
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode != 0 and len(errors) == 1 and "--chaos" in errors[0], done.stderr
    assert "Traceback" not in done.stderr


def test_without_chaos_the_soak_has_no_faults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = _soak_command(tmp_path, monkeypatch)
    assert "--chaos" not in args and args[args.index("--duration") + 1] == "30m"
