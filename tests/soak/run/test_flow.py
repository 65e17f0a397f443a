"""The flow's order (the old script got it wrong) and how result.json decides its status."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from common.errors import UserError
from soak.run.overnight import STEPS
from soak.run.params import check_free_disk, estimate_disk
from soak.rundir import Result
from tests.soak.run.test_params import params


def test_steps_run_in_the_issues_order() -> None:
    # The fault steps do nothing without fault options (README, "Soak under faults").
    assert [s.name for s in STEPS] == [
        "binaries", "fault_tools", "disk", "s3", "preflight", "fault_proxies", "run_dir", "populate", "replicate",
        "load", "monitor", "stop_load", "faults_off", "catch_up", "stop_litestream", "restore", "verify",
    ]  # fmt: skip
    assert all(s.purpose and "\n" not in s.purpose for s in STEPS)


def test_too_little_disk_is_refused_with_the_estimate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    p = params(test_dir=str(tmp_path / "run"))
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10, 10, 1024**3))  # type: ignore[attr-defined]
    with pytest.raises(UserError, match=r"only 1.0 GiB free .* database grows by ~.*GiB"):
        check_free_disk(p, estimate_disk(p))


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
    assert _result(no_crash=True, catch_up=True).status == "fail", "a run that stopped early is no pass"


def test_interrupted_wins() -> None:
    r = _result(**ALL)
    r.interrupted_by = "SIGINT"
    assert r.to_json()["status"] == "interrupted"
