"""The replica checks in the analysis: a criterion per check made, na when asked for but never made, a failed one
fails the verdict, and the replica-age chart draws replica-restores.jsonl."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from soak.analyze.render.charts import render_charts
from soak.analyze.render.html import render_html
from tests.support.analyze import copy_rundir, edit_json

ASKED = {"restore_every_s": 30, "final_stop": "kill", "idle_s": 60, "pitr_samples": 3}


def _check(name: str, passed: bool, detail: str, value: Any = None) -> dict[str, Any]:
    return {"name": name, "passed": passed, "detail": detail, "value": value}


def _run(tmp_path: Path, extra_checks: list[dict[str, Any]], *, status: str = "pass") -> Path:
    run = copy_rundir(tmp_path)
    result = json.loads((run / "result.json").read_text())
    edit_json(run / "result.json", checks=result["checks"] + extra_checks, status=status)
    edit_json(run / "run.json", replica_checks=ASKED)
    return run


def _criteria(run: Path) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in analyze_run(run, Thresholds()).data["criteria"]}


def test_each_check_made_is_a_criterion_and_one_never_made_is_na(tmp_path: Path) -> None:
    run = _run(
        tmp_path,
        [
            _check("periodic_restore", True, "5 periodic restores, each a clean prefix", {"cycles": 5, "failed": 0}),
            _check("replica_age", True, "replica age max 0.7s over 5 restores; must be <= 12s", 0.681),
            _check("idle_quiet", True, "1 L0 upload(s) and 1 checkpoint(s)", 2),
            _check("crash_restore", True, "after SIGKILL the restore is a clean prefix", 10581),
        ],
    )
    criteria = _criteria(run)
    assert criteria["periodic_restore"]["status"] == "pass" and criteria["periodic_restore"]["value"] == 0
    assert criteria["replica_age"]["value"] == 0.681 and criteria["replica_age"]["threshold"] == 12
    assert criteria["idle_quiet"]["status"] == "pass" and criteria["crash_restore"]["status"] == "pass"
    pitr = criteria["pitr"]  # --pitr-samples 3 asked for it; the run never made it
    assert pitr["status"] == "na" and "--pitr-samples 3" in pitr["detail"] and "no pitr check" in pitr["detail"]


def test_a_failed_replica_check_fails_the_verdict(tmp_path: Path) -> None:
    detail = "1 of 4 periodic restores failed; cycle 2: restore holds ids up to 150 ... the replica stalled"
    run = _run(tmp_path, [_check("periodic_restore", False, detail, {"cycles": 4, "failed": 1})], status="fail")
    analysis = analyze_run(run, Thresholds())
    by_name = {c["name"]: c for c in analysis.data["criteria"]}
    assert by_name["periodic_restore"]["status"] == "fail" and by_name["periodic_restore"]["value"] == 1
    assert analysis.verdict == "fail"


def test_an_asked_for_check_never_made_keeps_the_verdict_from_pass(tmp_path: Path) -> None:
    """Even with result.json saying pass (an older soak), a replica check run.json asked for and never made is no
    PASS: the verdict is INCOMPLETE and names it."""
    made = [
        _check("periodic_restore", True, "5 periodic restores", {"cycles": 5, "failed": 0}),
        _check("replica_age", True, "replica age max 0.7s", 0.7),
        _check("idle_quiet", True, "quiet", 0),
        _check("crash_restore", True, "a clean prefix", 10),
    ]
    analysis = analyze_run(_run(tmp_path, made), Thresholds())
    assert analysis.verdict == "incomplete"
    assert "pitr" in str(analysis.data["reason"])
    made.append(_check("pitr", True, "3 points restored", {"points": 3, "failed": 0}))
    assert analyze_run(_run(tmp_path / "all", made), Thresholds()).verdict == "pass"


def test_a_run_that_asked_for_nothing_has_no_replica_criteria(tmp_path: Path) -> None:
    run = copy_rundir(tmp_path)
    names = set(_criteria(run))
    assert not names & {"periodic_restore", "replica_age", "crash_restore", "idle_quiet", "pitr"}


def test_the_replica_age_chart_draws_each_periodic_restore(tmp_path: Path) -> None:
    run = _run(tmp_path, [_check("periodic_restore", True, "2 periodic restores", {"cycles": 2, "failed": 0})])
    ticks = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    cycles = [{"n": 1, "t": ticks[2]["t"], "age_s": 0.7, "ok": True}, {"n": 2, "t": ticks[5]["t"], "age_s": 1.4}]
    (run / "replica-restores.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cycles))
    analysis = analyze_run(run, Thresholds())
    assert [v for _, v in analysis.charts["replica_age"]] == [0.7, 1.4]
    html = render_html(analysis.data, analysis.charts)
    assert re.search(r'<img alt="Replica age"', html)
    assert "<code>periodic_restore</code>" in html
    titles = [title for title, _ in render_charts(analysis.charts)]
    assert titles[-1] == "Replica age"
