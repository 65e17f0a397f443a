"""The run directory is described once, by RunDir: the soak writes through it, the analyzer reads through it."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from common.timestamps import parse_utc
from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from soak.analyze.inputs import latest_run_dir
from soak.faults.events import FaultEventLog
from soak.rundir import RunDir
from tests.support.analyze import RUNDIR
from tests.support.paths import PROJECT_ROOT
from tests.support.rundir import problems_in

# The names of the run directory's files; only soak/rundir.py may spell them as a whole string.
NAMES = {
    "logs", "run.json", "result.json", "metrics.jsonl", "litestream.yml", "test.db", "test.db-wal", "restored.db",
    "faults.log", "analysis.json", "analysis.html", "analysis-report.txt",
}  # fmt: skip


def _without_version(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k != "schema_version"}


def test_the_analyzer_reads_a_run_dir_laid_out_by_rundir(tmp_path: Path) -> None:
    """Every file written through RunDir's writers and paths, none named here; the analysis finds them all."""
    dirs = RunDir(tmp_path / RunDir.default_name("20261201-065921")).create()
    dirs.write_run(_without_version(json.loads((RUNDIR / "run.json").read_text())))
    for line in (RUNDIR / "metrics.jsonl").read_text().splitlines():
        dirs.append_metrics({**_without_version(json.loads(line)), "faults": []})
    dirs.write_result(_without_version(json.loads((RUNDIR / "result.json").read_text())))
    shutil.copy(RUNDIR / "litestream.yml", dirs.config)
    for name in ("litestream", "load", "populate", "restore"):
        shutil.copy(RUNDIR / "logs" / f"{name}.log", dirs.log(name))
    events = FaultEventLog(dirs.faults_log, run_started=0.0)
    for line in (RUNDIR / "logs" / "faults.log").read_text().splitlines():
        event = json.loads(line)
        events.record(event["kind"], event["event"], at=parse_utc(event["t"]), **event["detail"])

    data = analyze_run(dirs.root, Thresholds()).data
    assert data["missing"] == [] and data["input_warnings"] == []
    sections = data["sections"]
    assert sections["timeline"]["metrics_ticks"] == 28
    assert sections["faults"]["count"] == 1 and sections["faults"]["faults"][0]["closed"]
    assert sections["validation"]["rows_ok"] and sections["load"]["params"]["write_rate"] == 50
    assert sections["compaction"]["required_levels"] == [1, 2, 3], "litestream.log and run.json's config were read"
    assert data["verdict"] == "pass"
    assert latest_run_dir(tmp_path) == dirs.root, "the default name is what 'latest' looks for"
    assert problems_in(dirs.root) == []


def test_no_other_module_spells_a_run_dir_file_name() -> None:
    spelled = []
    for path in sorted((PROJECT_ROOT / "soak").rglob("*.py")):
        if path.name == "rundir.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value in NAMES or node.value.startswith("logs/"):
                spelled.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.value!r}")
    assert spelled == [], "take the path from soak.rundir.RunDir (or LAYOUT for a name in a message)"
