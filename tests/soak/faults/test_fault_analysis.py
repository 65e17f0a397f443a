"""soak.analyze's faults section on real Litestream v0.5.16 logs captured under the fault layer.

Each fixture dir (tests/fixtures/faults/README.md) becomes a run dir with logs/faults.log and
logs/litestream.log; the analyzer must pair the events into faults, time each recovery, and count the
errors a fault explains as expected rather than critical.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from tests.support.paths import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "faults"


def faults_of(tmp_path: Path, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    logs = tmp_path / name / "logs"
    logs.mkdir(parents=True)
    for log in ("faults.log", "litestream.log"):
        shutil.copy(FIXTURES / name / log, logs / log)
    data = analyze_run(tmp_path / name, Thresholds()).data
    criteria = {c["name"]: c for c in data["criteria"]}
    return data["sections"]["faults"], criteria


def by_kind(section: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in section["faults"] if f["kind"] == kind]


def test_an_outage_is_one_closed_window_that_recovers(tmp_path: Path) -> None:
    section, _ = faults_of(tmp_path, "outage")
    (outage,) = by_kind(section, "outage")
    assert outage["closed"] and outage["duration_s"] == pytest.approx(30, abs=1)
    assert 0 < outage["recovery_s"] < 60, "first L0 upload after S3 came back"
    assert {f["kind"] for f in section["faults"]} == {"latency", "reset", "http_error", "outage"}
    assert section["unrecovered"] == 0


def test_each_kill_is_paired_with_its_restart_and_recovers(tmp_path: Path) -> None:
    section, criteria = faults_of(tmp_path, "kills-only")
    kills = by_kind(section, "kill")
    assert len(kills) == 3 and all(k["closed"] for k in kills)
    assert all(0 < k["recovery_s"] < 10 for k in kills)
    assert all(3 < k["duration_s"] < 8 for k in kills), "restart ~5 s after each SIGKILL"
    assert all(k["detail"]["pid"] != k["detail"]["restart_pid"] for k in kills), "the killed pid is kept"
    assert section["max_recovery_s"] == max(k["recovery_s"] for k in kills)
    assert criteria["critical_errors"]["status"] == "pass"


def test_errors_caused_by_faults_are_expected_not_critical(tmp_path: Path) -> None:
    section, criteria = faults_of(tmp_path, "kills")
    errors = (FIXTURES / "kills" / "litestream.log").read_text().count("level=ERROR")
    assert errors > 0
    assert sum(f["expected_errors"] for f in section["faults"]) >= errors
    assert criteria["critical_errors"]["value"] == 0


def test_whole_run_faults_explain_only_their_own_error_classes(tmp_path: Path) -> None:
    section, _ = faults_of(tmp_path, "kills-outage")
    explains = {f["kind"]: f["explains"] for f in section["faults"]}
    assert explains["kill"] == explains["outage"] == "any error"
    assert explains["http_error"] == ["s3_500", "s3_503"]
    assert explains["latency"] == ["timeout", "canceled"]
    rates = [f for f in section["faults"] if f["kind"] in ("latency", "reset", "http_error")]
    assert all(f["recovery_s"] is not None for f in rates), "every error they caused was followed by an upload"
