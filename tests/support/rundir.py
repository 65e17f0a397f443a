"""What the soak wrote, checked against the one schema (soak/rundir_schema.py): exact types, no undocumented key."""

from __future__ import annotations

import json
from pathlib import Path

from soak.rundir import RunDir
from soak.rundir_schema import FaultEvent, MetricsTick, PeriodicRestore, ResultJson, RunJson, written_problems


def problems_in(root: Path) -> list[str]:
    """Every way the JSON files of a run directory depart from the schema; [] when they match it exactly.

    A file the run did not get to write is no problem (an early interrupt leaves no result.json metrics).
    """
    dirs = RunDir(root)
    problems: list[str] = []
    for path, model in ((dirs.run_json, RunJson), (dirs.result_json, ResultJson)):
        if path.exists():
            problems += written_problems(model, json.loads(path.read_text()), path.name)
    lines = ((dirs.metrics, MetricsTick), (dirs.faults_log, FaultEvent), (dirs.replica_restores, PeriodicRestore))
    for path, line_model in lines:
        if path.exists():
            for n, line in enumerate(path.read_text().splitlines(), start=1):
                problems += written_problems(line_model, json.loads(line), f"{path.name}:{n}")
    return problems
