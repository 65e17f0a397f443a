"""The gate's profiles step: --soak-profiles parsed and checked, each profile's soak and analysis judged and recorded
with every shape criterion (release/gate/gates.py profiles, evaluate_profile)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from common.errors import UserError
from release.gate.gates import GATE_NAMES, evaluate_profile
from release.gate.ledger import GateRecord, Ledger, render_markdown
from release.gate.options import parse_gate_args
from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from soak.analyze.render.text import render_json
from soak.analyze.shape import SHAPE_CRITERIA
from tests.support.paths import FIXTURES

BURST = FIXTURES / "shape" / "burst"
COMMIT = "0" * 40


def _argv(tmp_path: Path, *extra: str) -> list[str]:
    return ["--src", str(tmp_path / "src"), "--version", "v0.5.16", "--out", str(tmp_path / "ev"), *extra]


def test_soak_profiles_default_to_the_suites_three_and_none_turns_them_off(tmp_path: Path) -> None:
    options = parse_gate_args(_argv(tmp_path), GATE_NAMES)
    assert options.soak_profiles == ("low", "high", "burst") and options.soak_profile_duration == "3m"
    assert parse_gate_args(_argv(tmp_path, "--soak-profiles", "burst, checkpoint"), GATE_NAMES).soak_profiles == (
        "burst",
        "checkpoint",
    )
    assert parse_gate_args(_argv(tmp_path, "--soak-profiles", "none"), GATE_NAMES).soak_profiles == ()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--soak-profiles", "low,medium"], "--soak-profiles: 'medium' is not a load profile"),
        (["--soak-profile-duration", "3minutes"], "'3minutes' is not a duration"),
    ],
)
def test_bad_profile_options_are_one_line(tmp_path: Path, extra: list[str], needle: str) -> None:
    with pytest.raises(UserError, match=re.escape(needle)):
        parse_gate_args(_argv(tmp_path, *extra), GATE_NAMES)


def _analyzed_burst(tmp_path: Path, edit_log: bool = False) -> Path:
    run = tmp_path / "burst"
    shutil.copytree(BURST, run)
    if edit_log:
        # Built by hand (no real log of a bad build is kept): every third L0 upload made 21 MB.
        log = run / "logs" / "litestream.log"
        lines = log.read_text().splitlines(keepends=True)
        ups = [i for i, line in enumerate(lines) if '"ltx file uploaded"' in line]
        for i in ups[::3]:
            lines[i] = re.sub(r"size=\d+", "size=22020096", lines[i])
        log.write_text("".join(lines))
    data = analyze_run(run, Thresholds()).data
    (run / "analysis.json").write_text(render_json(data))
    return run


def test_a_healthy_real_profile_run_passes_with_every_shape_criterion_judged(tmp_path: Path) -> None:
    row = evaluate_profile("burst", _analyzed_burst(tmp_path), None, (0, 0))
    assert row["status"] == "pass", row["reason"]
    assert row["shape"] == dict.fromkeys(SHAPE_CRITERIA, "pass")
    assert row["soak"] == "pass" and row["analysis"] == "pass"


def test_a_broken_shape_fails_the_profile_and_says_which(tmp_path: Path) -> None:
    row = evaluate_profile("burst", _analyzed_burst(tmp_path, edit_log=True), None, (0, 0))
    assert row["status"] == "fail" and row["shape"]["l0_size"] == "fail"
    assert "failed criteria: l0_size" in row["reason"]


def test_an_unjudged_shape_criterion_fails_the_profile(tmp_path: Path) -> None:
    run = _analyzed_burst(tmp_path)
    data = json.loads((run / "analysis.json").read_text())
    for c in data["criteria"]:
        if c["name"] == "wal_bounded":
            c["status"] = "na"
    (run / "analysis.json").write_text(json.dumps(data))
    row = evaluate_profile("burst", run, None, (0, 0))
    assert row["status"] == "fail" and row["reason"] == "shape not judged: wal_bounded"


def test_each_profile_row_is_in_the_ledger_json_and_markdown(tmp_path: Path) -> None:
    options = parse_gate_args(_argv(tmp_path), GATE_NAMES)
    ledger = Ledger.fresh(options, COMMIT, GATE_NAMES)
    row = evaluate_profile("burst", _analyzed_burst(tmp_path), None, (0, 0))
    record = ledger.gate("profiles")
    record.status, record.profiles = "pass", [row]
    ledger.save()
    saved = json.loads((options.out / "gate-report.json").read_text())
    assert next(g for g in saved["gates"] if g["name"] == "profiles")["profiles"][0]["shape"]["l0_size"] == "pass"
    again = Ledger.load(options)
    assert again is not None and again.gate("profiles").profiles == [row]
    markdown = render_markdown(ledger)
    assert "| burst | pass | pass | l0_size pass, snapshot_cadence pass" in markdown
    assert GateRecord.from_json({"name": "x", "status": "pass"}).profiles is None
