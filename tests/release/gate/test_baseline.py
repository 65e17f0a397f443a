"""The gate's ``--baseline``: soak.compare's rows of two analyzed real run directories judged against the
``baseline.*`` limits; a regression beyond a limit fails, a figure either run lacks is not judged and fails too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from common.errors import UserError
from common.settings import SETTINGS, Settings
from release.gate import baseline as bl
from release.gate import gates
from release.gate.options import parse_gate_args
from release.gate.runner import run_gate
from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from tests.support.analyze import copy_rundir, edit_json
from tests.support.paths import PROJECT_ROOT

MIB = 1024 * 1024


def _run(tmp_path: Path, name: str, replica_age_s: float | None = 0.7) -> Path:
    """A real soak run directory (v0.5.16 capture) with a periodic restores' replica age (as a gate soak, killed at
    the end, has instead of a catch-up time), to be analyzed into its analysis.json."""
    run = copy_rundir(tmp_path / name)
    if replica_age_s is not None:
        checks = json.loads((run / "result.json").read_text())["checks"]
        checks.append({"name": "replica_age", "passed": True, "detail": "replica age max", "value": replica_age_s})
        edit_json(run / "result.json", checks=checks)
    return run


def _analyze(run: Path) -> Path:
    (run / "analysis.json").write_text(json.dumps(analyze_run(run, Thresholds()).data))
    return run


def _limits() -> list[bl.Threshold]:
    return bl.thresholds(Settings({}, [], environ={}))  # the defaults alone


def _judged(base: Path, cand: Path) -> dict[str, bl.Judged]:
    compared = bl.compare_runs("v0.5.15", _analyze(base), _analyze(cand), _limits())
    assert isinstance(compared, bl.Comparison), compared
    return {j.figure: j for j in compared.judged}


def _set_restore(run: Path, seconds: float) -> None:
    result = json.loads((run / "result.json").read_text())
    for check in result["checks"]:
        if check["name"] == "restore":
            check["value"] = seconds
    (run / "result.json").write_text(json.dumps(result))


def test_the_same_run_twice_passes_every_threshold(tmp_path: Path) -> None:
    judged = _judged(_run(tmp_path, "a"), _run(tmp_path, "b"))
    assert set(judged) == {"restore_s", "replica_age_s", "rss_bytes_peak", "l0_upload_bytes_per_row", "critical_errors"}
    assert all(j.status == "pass" for j in judged.values()), judged
    assert all(j.baseline == j.candidate and j.baseline is not None for j in judged.values())
    result = json.loads((tmp_path / "a" / "litestream-overnight-s3-20261201-065921" / "result.json").read_text())
    restore = next(c["value"] for c in result["checks"] if c["name"] == "restore")
    assert judged["restore_s"].baseline == restore
    assert judged["replica_age_s"].baseline == 0.7


def test_a_slower_restore_fails_only_beyond_ratio_plus_slack(tmp_path: Path) -> None:
    base, cand = _run(tmp_path, "a"), _run(tmp_path, "b")
    _set_restore(base, 4.0)
    _set_restore(cand, 4.0 * 1.5 + 10)  # exactly at the limit: still a pass
    assert _judged(base, cand)["restore_s"].status == "pass"
    _set_restore(cand, 4.0 * 1.5 + 10 + 0.5)
    judged = _judged(base, cand)["restore_s"]
    assert judged.status == "fail" and judged.limit == 16.0 and "over the limit 16.0s" in judged.detail


def test_an_older_replica_fails_only_beyond_ratio_plus_slack(tmp_path: Path) -> None:
    assert (
        _judged(_run(tmp_path, "a", replica_age_s=1.0), _run(tmp_path, "b", replica_age_s=1.0 * 2 + 5))[
            "replica_age_s"
        ].status
        == "pass"
    )
    judged = _judged(_run(tmp_path, "c", replica_age_s=1.0), _run(tmp_path, "d", replica_age_s=1.0 * 2 + 5 + 1))
    assert judged["replica_age_s"].status == "fail" and "replica age 8.0s vs 1.0s (over the limit 7.0s)" in (
        judged["replica_age_s"].detail
    )
    assert all(j.status == "pass" for name, j in judged.items() if name != "replica_age_s")


def test_a_bigger_peak_rss_fails(tmp_path: Path) -> None:
    base, cand = _run(tmp_path, "a"), _run(tmp_path, "b")
    lines = (cand / "metrics.jsonl").read_text().splitlines()
    ticks = [json.loads(line) for line in lines]
    limit = next(t for t in _limits() if t.figure == "rss_bytes_peak")
    peak = max(t["litestream"]["rss_bytes"] for t in ticks if t.get("litestream", {}).get("rss_bytes"))
    for tick in ticks:
        if tick.get("litestream", {}).get("rss_bytes") == peak:
            tick["litestream"]["rss_bytes"] = int(limit.limit(peak)) + MIB
    (cand / "metrics.jsonl").write_text("".join(json.dumps(t) + "\n" for t in ticks))
    judged = _judged(base, cand)
    assert judged["rss_bytes_peak"].status == "fail"
    assert judged["rss_bytes_peak"].candidate == int(limit.limit(peak)) + MIB


def test_more_l0_bytes_per_row_written_fails(tmp_path: Path) -> None:
    """Half the rows for the same uploads: twice the bytes per row, over the 1.5 ratio."""
    base, cand = _run(tmp_path, "a"), _run(tmp_path, "b")
    rows = json.loads((base / "result.json").read_text())["rows_written"]
    edit_json(cand / "result.json", rows_written=rows // 2)
    judged = _judged(base, cand)["l0_upload_bytes_per_row"]
    assert judged.status == "fail"
    assert judged.candidate == pytest.approx(2 * judged.baseline, rel=0.01)


def test_a_new_critical_error_fails(tmp_path: Path) -> None:
    base, cand = _run(tmp_path, "a"), _run(tmp_path, "b")
    log = cand / "logs" / "litestream.log"
    bad = 'time=2026-12-01T07:02:43.000Z level=ERROR msg="cannot verify ltx file" error="disk image is malformed"'
    log.write_text(log.read_text() + bad + "\n")  # after the last sync: nothing succeeds later, so it is not transient
    judged = _judged(base, cand)["critical_errors"]
    assert judged.status == "fail" and judged.candidate == judged.baseline + 1


def test_a_figure_missing_in_the_baseline_is_not_judged_and_fails(tmp_path: Path) -> None:
    compared = bl.compare_runs(
        "v0.5.15", _analyze(_run(tmp_path, "a", replica_age_s=None)), _analyze(_run(tmp_path, "b")), _limits()
    )
    assert isinstance(compared, bl.Comparison)
    (missing,) = compared.unjudged
    assert missing.figure == "replica_age_s" and missing.detail == "no value in the baseline"
    assert compared.reason() == "not judged: replica age (no value in the baseline)"


def test_no_analysis_is_a_reason_not_a_comparison(tmp_path: Path) -> None:
    base = _run(tmp_path, "a")
    assert bl.compare_runs("v0.5.15", base, _analyze(_run(tmp_path, "b")), _limits()) == (
        f"no readable analysis.json in {base}"
    )


def test_evidence_holds_the_judgement_and_soak_compares_table(tmp_path: Path) -> None:
    compared = bl.compare_runs("v0.5.15", _analyze(_run(tmp_path, "a")), _analyze(_run(tmp_path, "b")), _limits())
    assert isinstance(compared, bl.Comparison)
    evidence = compared.write(tmp_path)
    data = json.loads(evidence.read_text())
    assert data["status"] == "pass" and data["baseline_version"] == "v0.5.15"
    assert {row["figure"] for row in data["compare"]} >= {"restore_s", "replica_age_s", "l0_upload_bytes_per_row"}
    assert "| restore_s |" in (tmp_path / "compare.md").read_text()
    assert compared.key_figure().startswith("vs v0.5.15: restore time ")


# --- the limits are settings ------------------------------------------------------------------------------------


def test_invoke_yaml_sets_every_limit_and_the_defaults_agree() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "invoke.yaml").read_text())["baseline"]
    keys = {key.removeprefix("baseline.") for key in SETTINGS if key.startswith("baseline.")}
    assert set(project) == keys
    assert all(float(project[key]) == float(SETTINGS[f"baseline.{key}"].default) for key in keys)


def test_a_limit_from_the_environment_wins_and_a_bad_one_is_one_line() -> None:
    limits = bl.thresholds(Settings({}, [], environ={"INVOKE_BASELINE_RESTORE_RATIO": "3"}))
    assert next(t for t in limits if t.figure == "restore_s").ratio == 3.0
    with pytest.raises(
        UserError, match=re.escape("baseline.rss_ratio 'lots' (from INVOKE_BASELINE_RSS_RATIO) is not a number")
    ):
        bl.thresholds(Settings({}, [], environ={"INVOKE_BASELINE_RSS_RATIO": "lots"}))


# --- the option and the ledger row ------------------------------------------------------------------------------


def test_baseline_option_is_a_release_tag(tmp_path: Path) -> None:
    argv = ["--src", str(tmp_path), "--version", "v0.5.16", "--out", str(tmp_path / "out")]
    assert parse_gate_args([*argv, "--baseline", "v0.5.15"], gates.GATE_NAMES).baseline is not None
    with pytest.raises(UserError, match=re.escape("--baseline '0.5.15' is not of the form vMAJOR.MINOR.PATCH")):
        parse_gate_args([*argv, "--baseline", "0.5.15"], gates.GATE_NAMES)


def test_the_baseline_soak_gets_the_candidates_replica_check_flags_scaled_to_the_soak() -> None:
    """Both soaks end with SIGKILL, restore during the load and idle: the same flags, so their figures compare."""
    assert gates.gate_soak_flags("30s") == [
        "--final-stop", "kill", "--idle", "30s", "--restore-every", "10s", "--corrupt-object", "--interval", "5s"
    ]  # fmt: skip
    assert gates.gate_soak_flags("6m")[2:6] == ["--idle", "90s", "--restore-every", "90s"]
    assert gates.gate_soak_flags("6m")[-2:] == ["--interval", "36s"]  # ticks are pitr's points: ten of them
    assert gates.gate_soak_flags("1h")[2:] == ["--idle", "120s", "--restore-every", "120s", "--corrupt-object",
                                               "--interval", "60s"]  # fmt: skip


def test_without_baseline_the_ledger_has_no_baseline_row(tmp_path: Path) -> None:
    argv = ["--src", str(tmp_path), "--version", "v0.5.16", "--out", str(tmp_path / "out")]
    without = parse_gate_args(argv, gates.GATE_NAMES)
    with_it = parse_gate_args([*argv, "--baseline", "v0.5.15"], gates.GATE_NAMES)
    assert "baseline" not in [g.name for g in gates.GATES if g.wanted(without)]
    assert [g.name for g in gates.GATES if g.wanted(with_it)].index("baseline") == gates.GATE_NAMES.index("analyze") + 1
    record = run_gate(gates.GATES, "baseline", argv, lambda _src: None)
    assert (record.status, record.reason) == ("skipped", "not asked for")
    assert not (tmp_path / "out" / "gate-report.json").exists(), "a gate not asked for writes no ledger row"
