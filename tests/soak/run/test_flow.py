"""The flow's order (the old script got it wrong) and how result.json decides its status."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from common.errors import UserError
from common.steps import Step, run_steps
from soak.run.db_compare import describe_rows
from soak.run.litestream_config import Schedule
from soak.run.monitor import Totals
from soak.run.overnight import STEPS, SoakRun, run_soak, status_line
from soak.run.params import check_free_disk, estimate_disk, human_bytes, replica_bytes
from soak.rundir import EXIT_CODES, Result, RunDir
from tests.support.soak import soak_params as params


def test_steps_run_in_the_issues_order() -> None:
    # The fault steps raise Skip without fault options (README, "Soak under faults"), the replica checks without
    # their flags (README, "The replica, looked at independently").
    assert [s.name for s in STEPS] == [
        "binaries", "fault_tools", "s3_tool", "disk", "s3", "preflight", "fault_proxies", "run_dir", "populate",
        "replicate", "load", "periodic_restores", "monitor", "periodic_verdict", "stop_load", "faults_off",
        "catch_up", "final_kill", "pitr", "idle", "stop_litestream", "restore", "verify", "corrupt_object", "shape",
    ]  # fmt: skip
    # Catch-up (or, with --final-stop kill, the kill and its restore) comes right after the load and its faults: a
    # build whose uploads stall under load but flush once idle must not get minutes of PITR and idle to catch up.
    names = [s.name for s in STEPS]
    after_load = names[names.index("faults_off") + 1 : names.index("pitr")]
    assert after_load == ["catch_up", "final_kill"]
    assert all(s.purpose and "\n" not in s.purpose for s in STEPS)


def test_too_little_disk_is_refused_with_the_estimate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    p = params(test_dir=str(tmp_path / "run"), bucket="a-bucket")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10, 10, 1024**3))  # type: ignore[attr-defined]
    with pytest.raises(UserError, match=r"needs ~.*GiB free .*database grows by ~.*GiB.* only 1.0 GiB is free") as err:
        check_free_disk(p, estimate_disk(p))
    assert "embedded S3" not in str(err.value) and "--s3-dir" not in str(err.value), "a remote bucket takes no disk"


def test_the_embedded_buckets_bytes_count_when_it_shares_the_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Enough room for the databases but not for the bucket on the same disk: refused, naming --s3-dir."""
    p = params(test_dir=str(tmp_path / "run"), duration="1h", initial_size="100MB")
    estimate = estimate_disk(p)
    assert estimate.replica_dir == tmp_path / "run" / "s3" and estimate.replica_bytes > estimate.needed_bytes
    free = estimate.needed_bytes + estimate.replica_bytes // 2
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(free, 0, free))  # type: ignore[attr-defined]
    with pytest.raises(UserError, match=r"embedded S3's bucket on the same disk.*--s3-dir DIR on another disk") as err:
        check_free_disk(p, estimate)
    need = estimate.needed_bytes + estimate.replica_bytes
    assert f"needs ~{human_bytes(need)} free" in str(err.value) and f"only {human_bytes(free)} is free" in str(
        err.value
    )
    roomy = need + 1
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(roomy, 0, roomy))  # type: ignore[attr-defined]
    assert check_free_disk(p, estimate) == roomy


def test_more_snapshots_kept_means_a_bigger_bucket() -> None:
    """The bucket estimate follows retention: keeping snapshots longer, or taking them more often, costs more."""
    p = params(duration="8h")
    base = replica_bytes(p, Schedule())
    assert replica_bytes(p, Schedule(snapshot_retention_s=7200)) > base
    assert replica_bytes(p, Schedule(snapshot_interval_s=300)) > base
    final = p.initial_size_bytes + estimate_disk(p).growth_bytes
    assert base > 7 * final * 0.8, "about seven full snapshots kept near the end of an 8-hour run"


def _result(**checks: bool) -> Result:
    r = Result(started_at="2026-01-01T00:00:00.000Z")
    for name, ok in checks.items():
        r.check(name, ok, "detail")
    return r


ALL = dict.fromkeys(("no_crash", "catch_up", "restore", "integrity", "row_counts", "digests"), True)


def test_status_pass_needs_every_check_passed() -> None:
    assert _result(**ALL).status == "pass"
    failed: dict[str, Any] = {**ALL, "digests": False}
    r = _result(**failed)
    assert r.status == "fail" and r.reason == "digests: detail"
    assert _result(no_crash=True, catch_up=True).status == "incomplete", "a run that stopped early is no pass"


def test_final_stop_kill_needs_crash_restore_instead_of_catch_up() -> None:
    """--final-stop kill skips the catch-up wait; the crash-consistent restore is what a pass needs then."""
    without_catch_up = {k: v for k, v in ALL.items() if k != "catch_up"}
    killed = _result(**without_catch_up)
    killed.final_stop = "kill"
    assert killed.status == "incomplete", "no crash_restore check: no pass"
    killed.check("crash_restore", True, "a clean prefix")
    assert killed.status == "pass"
    assert _result(**without_catch_up, crash_restore=True).status == "incomplete", "SIGTERM still needs catch_up"


def test_phase_names_the_step_of_the_first_failure_not_the_last_step() -> None:
    r = Result(started_at="2026-01-01T00:00:00.000Z")
    r.phase = "periodic_verdict"
    r.check("periodic_restore", False, "cycle 2: integrity_check: wrong # of entries in index")
    r.phase = "corrupt_object"  # later steps ran (or were skipped)
    assert r.to_json()["phase"] == "periodic_verdict"


def test_an_asked_for_replica_check_never_recorded_is_no_pass() -> None:
    """--pitr-samples asked for pitr: a run whose pitr step never recorded a check cannot pass, and says which."""
    r = _result(**ALL)
    r.asked_checks = ["pitr", "idle_quiet"]
    r.check("idle_quiet", True, "quiet")
    assert r.status == "incomplete" and r.missing_checks == ["pitr"]
    assert r.to_json()["reason"] == "required check(s) never recorded: pitr"
    r.check("pitr", True, "3 points restored")
    assert r.status == "pass" and r.to_json()["reason"] is None


def test_a_check_made_without_anything_to_judge_is_incomplete_not_pass() -> None:
    """replica_age when every periodic restore fell next to a kill: recorded as not judged (passed null), so the run
    is incomplete (exit 3) with the check's own reason, and a real failure elsewhere still makes it fail."""
    r = _result(**ALL)
    r.check("replica_age", None, "all 2 periodic restores came within 36s of a kill, restart or outage")
    data = r.to_json()
    assert data["status"] == "incomplete" and EXIT_CODES[data["status"]] == 3
    assert (
        data["reason"] == "replica_age not judged: all 2 periodic restores came within 36s of a kill, restart or outage"
    )
    assert data["checks"][-1]["passed"] is None
    assert r.why == data["reason"], "the console's last line says what result.json says"
    r.check("pitr", False, "1 of 6 point-in-time restores failed")
    assert r.status == "fail" and r.to_json()["reason"] == "pitr: 1 of 6 point-in-time restores failed"


def test_interrupted_wins() -> None:
    r = _result(**ALL)
    r.interrupted_by = "SIGINT"
    assert r.to_json()["status"] == "interrupted"


# ------------------------------------------------------------------ the one step runner, as the soak uses it


def _run(tmp_path: Path, **over: Any) -> tuple[SoakRun, io.StringIO]:
    out = io.StringIO()
    p = params(test_dir=str(tmp_path / "run"), replica="file", **over)
    run = SoakRun(params=p, dirs=RunDir(p.test_dir), console=Console(file=out, width=200))
    return run, out


def test_steps_that_do_not_apply_are_skipped_with_the_reason(tmp_path: Path) -> None:
    """No fault options and a file replica: the fault steps and the S3 probe raise Skip; the runner records it."""
    run, out = _run(tmp_path)
    names = ("fault_tools", "preflight", "fault_proxies", "faults_off")
    log = run_steps([s for s in STEPS if s.name in names], run, say=run.say)
    assert log.skipped == list(names)
    text = out.getvalue()
    assert "  skipped: no fault options" in text and "  skipped: file replica: no S3 to probe" in text


def test_the_soak_runner_holds_no_step_of_its_own(tmp_path: Path) -> None:
    """A step named monitor that does nothing records nothing: "no_crash" is the monitor step's own verdict."""
    run, out = _run(tmp_path)
    run.dirs.create()
    code = run_soak(run, [Step("monitor", "a stand-in that watches nothing", lambda run: None)])
    assert code == 3, "no check recorded: nothing judged, so incomplete (exit 3), not a pass"
    assert "INCOMPLETE: required check(s) never recorded: catch_up, digests" in out.getvalue()
    result = json.loads((run.dirs.root / "result.json").read_text())
    assert result["checks"] == [] and result["phase"] == "monitor"


def test_the_phase_names_the_step_that_failed(tmp_path: Path) -> None:
    run, out = _run(tmp_path)
    run.dirs.create()

    def broken(run: SoakRun) -> None:
        raise UserError("the disk is full")

    steps = [Step("first", "fine", lambda run: None), Step("second", "breaks", broken)]
    with pytest.raises(UserError, match="the disk is full"):
        run_soak(run, steps)
    result = json.loads((run.dirs.root / "result.json").read_text())
    assert (result["status"], result["phase"], result["reason"]) == ("fail", "second", "the disk is full")
    assert "[1/2] first: fine" in out.getvalue() and "[2/2] second: breaks" in out.getvalue()


def test_row_counts_are_said_in_words_not_as_a_dict() -> None:
    assert describe_rows({"test_table_0": 5120, "load_test": 1}) == "test_table_0 5,120 rows, load_test 1 row"
    assert describe_rows({}) == "no tables"


def test_the_plain_status_line_has_elapsed_rows_objects_lag_and_errors(tmp_path: Path) -> None:
    class _Monitor:
        totals = Totals(errors=2, rows=1234, objects=56, lag=3)

    line = status_line(300, 1200, _Monitor())  # type: ignore[arg-type]
    assert line == "  status 5m of 20m (25%): rows 1234, objects 56, txid lag 3, errors 2"
