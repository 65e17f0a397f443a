"""run.json, metrics.jsonl, result.json and faults.log lines have one schema; docs/rundir.md is generated from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from soak import rundir_docs
from soak.rundir_schema import MetricsTick, ResultJson, RunJson, read_tolerant, written_problems
from tests.support.analyze import RUNDIR
from tests.support.paths import PROJECT_ROOT
from tests.support.rundir import problems_in


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((RUNDIR / name).read_text())  # type: ignore[no-any-return]


def test_docs_rundir_md_is_what_the_schema_generates() -> None:
    text = rundir_docs.DOC.read_text(encoding="utf-8")
    assert text == rundir_docs.updated(text), "docs/rundir.md drifted from the schema: run python -m soak.rundir_docs"
    for model in (RunJson, MetricsTick, ResultJson):  # and every key is in it
        for path, _, _ in rundir_docs.rows(model):
            assert f"| `{path}` |" in text, path


def test_the_docs_check_fails_on_drift(tmp_path: Path) -> None:
    """A copy of docs/rundir.md that lost a key, as after a schema change nobody regenerated: --check exits 1."""
    stale = tmp_path / "rundir.md"
    stale.write_text(rundir_docs.DOC.read_text(encoding="utf-8").replace("| `rows_total` | integer or null |", "| x |"))
    check = [sys.executable, "-m", "soak.rundir_docs", "--check"]
    done = subprocess.run([*check, str(stale)], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "run `python -m soak.rundir_docs`" in done.stderr
    subprocess.run([sys.executable, "-m", "soak.rundir_docs", str(stale)], cwd=PROJECT_ROOT, check=True)
    assert stale.read_text(encoding="utf-8") == rundir_docs.DOC.read_text(encoding="utf-8"), "regenerated"
    assert subprocess.run([*check], cwd=PROJECT_ROOT, check=False).returncode == 0


def test_a_wrong_type_is_dropped_with_a_warning_and_the_rest_kept() -> None:
    data = _fixture("result.json")
    data.update(rows_written="7128", status="weird")
    data["tables"]["load_test"]["restored_rows"] = True
    result, warnings = read_tolerant(ResultJson, data, "result.json")
    assert result is not None
    assert result.rows_written is None and result.status is None
    assert result.tables is not None and result.tables["load_test"].restored_rows is None
    assert result.tables["load_test"].source_rows == 7128, "the rest of the same object stays"
    assert result.phase == "verify" and result.checks and result.checks[1].value == 0.75
    assert warnings == [
        "result.json: 'status' is not valid (Input should be 'pass', 'fail', 'incomplete' or 'interrupted'); ignored",
        "result.json: 'rows_written' has an unexpected type (a string); ignored",
        "result.json.tables.load_test: 'restored_rows' has an unexpected type (true/false); ignored",
    ]


def test_a_bad_item_drops_its_list_and_a_missing_required_key_drops_the_line() -> None:
    run, warnings = read_tolerant(RunJson, {"config": {"levels_s": [10, "30s", 60], "log_level": "DEBUG"}}, "run.json")
    assert run is not None and run.config is not None
    assert run.config.levels_s is None and run.config.log_level == "DEBUG"
    assert warnings == ["run.json.config: 'levels_s' has an unexpected type (a list); ignored"]
    tick, warnings = read_tolerant(MetricsTick, {"db_bytes": 1}, "metrics.jsonl")
    assert tick is None, "a tick without its time is no tick"
    assert read_tolerant(MetricsTick, [], "metrics.jsonl")[0] is None


def test_unknown_keys_are_ignored_and_kept() -> None:
    data = {**_fixture("run.json"), "from_the_future": {"x": 1}}
    data["params"]["new_flag"] = 3
    run, warnings = read_tolerant(RunJson, data, "run.json")
    assert warnings == [] and run is not None and run.params is not None
    assert run.params.model_dump(exclude_unset=True)["new_flag"] == 3


def test_the_captured_real_run_dir_matches_the_schema_exactly() -> None:
    assert problems_in(RUNDIR) == []


def test_a_writer_key_the_schema_lacks_or_a_wrong_type_is_a_problem() -> None:
    tick = json.loads((RUNDIR / "metrics.jsonl").read_text().splitlines()[0])
    assert written_problems(MetricsTick, tick, "metrics.jsonl") == []
    tick["s3"]["levels"]["0"]["new_gauge"] = 1
    tick["rows_total"] = 12.5
    assert written_problems(MetricsTick, tick, "metrics.jsonl") == [
        "metrics.jsonl: rows_total: Input should be a valid integer"
    ]
    tick["rows_total"] = 12
    assert written_problems(MetricsTick, tick, "metrics.jsonl") == [
        "metrics.jsonl: s3.levels.0.new_gauge is not in soak/rundir_schema.py"
    ]
