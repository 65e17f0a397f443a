"""The gate's soak runs with the independent replica checks: SIGKILL at the end, an idle phase, periodic restores."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.gate import gates as gate_steps
from release.gate.ledger import Ledger
from release.gate.options import parse_gate_args

COMMIT = "0" * 40


def _captured_invokes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The gates' ``invoke`` command lines, captured instead of run (each exits 0)."""
    seen: list[list[str]] = []

    def fake_invoke(args: list[str], log_path: Path) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(gate_steps, "run_invoke", fake_invoke)
    return seen


def test_the_gate_soak_kills_idles_and_restores_periodically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _captured_invokes(monkeypatch)
    argv = ["--src", str(tmp_path / "src"), "--version", "v0.5.16", "--out", str(tmp_path / "ev")]
    options = parse_gate_args(argv, gate_steps.GATE_NAMES)
    gate_steps.soak(options, Ledger.fresh(options, COMMIT, gate_steps.GATE_NAMES))
    (args,) = seen
    assert args[args.index("--final-stop") + 1] == "kill"
    assert args[args.index("--idle") + 1] == "120s"  # the default 30m soak: 2 minutes each
    assert args[args.index("--restore-every") + 1] == "120s"
    assert "--corrupt-object" in args


def test_the_baseline_soak_runs_with_the_candidates_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 1 of the review: a baseline soak stopped by SIGTERM next to a candidate killed at the end had no figure
    in common to compare, so the gate could never pass. Both get the same replica-check flags now."""
    seen = _captured_invokes(monkeypatch)
    argv = ["--src", str(tmp_path / "src"), "--version", "v0.5.16", "--out", str(tmp_path / "ev")]
    options = parse_gate_args([*argv, "--soak-duration", "40s", "--baseline", "v0.5.15"], gate_steps.GATE_NAMES)
    ledger = Ledger.fresh(options, COMMIT, gate_steps.GATE_NAMES)
    gate_steps.soak(options, ledger)
    ledger.facts.run_dir = tmp_path / "ev" / "soak" / "run"
    outcome = gate_steps.baseline(options, ledger)
    candidate, base = seen
    flags = gate_steps.gate_soak_flags("40s")
    assert candidate[-len(flags) :] == flags and all(flag in base for flag in flags)
    assert base[base.index("--restore-every") + 1] == "10s" and base[base.index("--idle") + 1] == "30s"
    assert outcome.status == "fail" and outcome.reason and outcome.reason.startswith("INCOMPLETE: the baseline soak")
