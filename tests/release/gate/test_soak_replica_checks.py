"""The gate's soak runs with the independent replica checks: SIGKILL at the end, an idle phase, periodic restores."""

from __future__ import annotations

from pathlib import Path

import pytest

from release.gate import gates as gate_steps
from release.gate.ledger import Ledger
from release.gate.options import parse_gate_args

COMMIT = "0" * 40


def test_the_gate_soak_kills_idles_and_restores_periodically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_invoke(args: list[str], log_path: Path) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(gate_steps, "run_invoke", fake_invoke)
    argv = ["--src", str(tmp_path / "src"), "--version", "v0.5.16", "--out", str(tmp_path / "ev")]
    options = parse_gate_args(argv, gate_steps.GATE_NAMES)
    gate_steps.soak(options, Ledger.fresh(options, COMMIT, gate_steps.GATE_NAMES))
    (args,) = seen
    assert args[args.index("--final-stop") + 1] == "kill"
    assert args[args.index("--idle") + 1] == "2m"
    assert args[args.index("--restore-every") + 1] == "2m"
    assert "--corrupt-object" in args
