"""The analysis of one run directory: read every input once, build sections 1-11, judge, conclude.

The job, in order:
  1. inputs    - which files exist; run.json, result.json, metrics.jsonl read
  2. faults    - logs/faults.log windows (soak.faults.events reads it), so errors inside them count as expected
  3. logs      - one streaming pass over litestream.log; load/populate/restore/validate logs
  4. databases - read-only row counts and pages of test.db / restored.db (old bash runs rely on them)
  5. sections  - timeline ... summary (+ faults, + lost rows when the restore differs)
  6. criteria  - the eight pass criteria and the verdict (fail closed: soak.analyze.criteria.verdict)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soak.analyze import criteria as crit
from soak.analyze import fault_windows as faultmod
from soak.analyze import sections as section
from soak.analyze import shape
from soak.analyze.databases import inspect_db
from soak.analyze.inputs import STARVES, RunInputs, load_inputs
from soak.analyze.litestream_log import FaultWindows, LogStats, scan_litestream_log
from soak.analyze.lost_rows_section import lost_rows_section, reproduce
from soak.analyze.replica_criteria import replica_age_points, replica_criteria
from soak.analyze.run_state import run_state
from soak.analyze.side_logs import LoadStats, read_load_log, read_message_log
from soak.faults.events import read_fault_events
from soak.rundir import LAYOUT
from soak.rundir_schema import SCHEMA_VERSION


@dataclass
class Analysis:
    """analysis.json as a dict plus the series the charts draw (not part of the JSON)."""

    data: dict[str, Any]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return str(self.data["verdict"])


def analyze_run(run_dir: Path, thresholds: crit.Thresholds, *, fault_grace_s: float = 30.0) -> Analysis:
    inputs = load_inputs(run_dir)
    run_end = section.run_bounds(inputs)[1]
    faults: list[faultmod.Fault] = []
    fault_log = read_fault_events(inputs.dirs.faults_log)
    has_fault_log = inputs.dirs.faults_log.exists()
    if has_fault_log:
        faults = faultmod.pair_events(fault_log.events, run_end=run_end)
        inputs.warnings += fault_log.warnings
    elif inputs.metrics and inputs.metrics.faults:
        faults = faultmod.pair_events(inputs.metrics.faults, run_end=run_end)
    elif inputs.run and inputs.run.faults:
        inputs.missing.append(LAYOUT.faults_log.as_posix())
    fault_windows = faultmod.windows(faults, fault_grace_s)
    windows = FaultWindows(fault_windows)
    log = _scan_log(inputs, windows, [f.end for f in faults])
    load_log = inputs.log("load")
    load = read_load_log(load_log) if load_log else None
    side = {
        name: read_message_log(path, keep=_KEEP)
        for name in ("populate", "restore", "validate", "monitor")
        if (path := inputs.log(name)) is not None
    }
    dbs = {role: inspect_db(path) for role, path in inputs.dbs.items()}

    sections: dict[str, Any] = {}
    sections["timeline"] = section.timeline(inputs, log, load, faults)
    sections["database"] = section.database(inputs, dbs, load)
    sections["replication"] = section.replication(inputs, log)
    sections["compaction"] = section.compaction(inputs, log, sections["timeline"])
    sections["load"] = section.load_section(inputs, load, dbs, sections["timeline"])
    sections["errors"] = section.errors(inputs, log, load)
    sections["checkpoints"] = section.checkpoints(inputs, log)
    sections["validation"] = section.validation(inputs, side, dbs)
    sections["resources"] = section.resources(inputs, dbs, thresholds)
    if faults or has_fault_log:
        # sections["faults"] lists each window; errors inside it were counted as expected by the scan
        sections["faults"] = faultmod.fault_section(
            fault_windows, log.recovery_after if log else {}, fault_log.bad_lines, fault_grace_s
        )
    lost = lost_rows_section(inputs, fault_log.events if has_fault_log else [], inputs.log("litestream"))
    if lost is not None:
        sections["lost_rows"] = lost
        if sections["validation"].get("rows_ok") is False and lost.get("summary"):
            sections["validation"]["rows_detail"] += f"; load_test row by row: {lost['summary']}"
    checklist = crit.judge(sections, thresholds) + replica_criteria(inputs)
    shape_criteria, sections["shape"] = _shape(inputs, shape.stopping_spans(faults, fault_grace_s))
    checklist += shape_criteria
    verdict, headline, reason = crit.verdict(checklist, run_outcome(inputs))
    sections["summary"] = section.summary(sections, verdict, headline)
    sections["summary"]["reason"] = reason
    starves = {name: STARVES.get(name, []) for name in inputs.missing}
    data = {
        "schema_version": SCHEMA_VERSION,
        "run_dir": str(run_dir),
        "verdict": verdict,
        "headline": headline,
        "reason": reason,
        "criteria": checklist,
        "sections": {k: sections[k] for k in _ORDER if k in sections},
        "missing": list(inputs.missing),
        "missing_starves": starves,
        "no_data": [k for k in _ORDER if k in sections and sections[k].get("no_data")],
        "input_warnings": inputs.warnings,
        "reproduce": reproduce(inputs),
    }
    return Analysis(data=data, charts=_chart_series(inputs, log, load, faults, fault_grace_s))


_ORDER = (
    "timeline",
    "database",
    "replication",
    "compaction",
    "load",
    "errors",
    "checkpoints",
    "validation",
    "resources",
    "summary",
    "faults",
    "lost_rows",
    "shape",
)
_KEEP = (
    "Population complete",
    "Restore completed",
    "All validation checks passed",
    "Validation failed",
    "Data validation completed",
    "Integrity check completed",
    "Quick check completed",
)


def run_outcome(inputs: RunInputs) -> crit.RunOutcome:
    """Finished or not, and what result.json says: the run's side of the verdict."""
    state = run_state(inputs.run_dir)
    result = inputs.result
    return crit.RunOutcome(
        finished=state.finished,
        in_progress=state.in_progress,
        why_unfinished=state.reason,
        status=result.status if result else None,
        phase=result.phase if result else None,
        reason=result.reason if result else None,
    )


def _shape(inputs: RunInputs, excused: list[shape.Span]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The replica's shape criteria (soak.analyze.shape) and section 13, from litestream.log, run.json and the
    monitor's WAL peaks; cadence is not judged across kills and outages (``excused``)."""
    params = inputs.run.params.model_dump(exclude_unset=True) if inputs.run and inputs.run.params else {}
    wal_peak = inputs.metrics.wal_peak if inputs.metrics else None
    return shape.assess(inputs.log("litestream"), inputs.config, params, inputs.dbs.get("source"), wal_peak, excused)


def _scan_log(inputs: RunInputs, windows: FaultWindows, fault_ends: list[float]) -> LogStats | None:
    path = inputs.log("litestream")
    return None if path is None else scan_litestream_log(path, windows, fault_ends)


# -- chart series ----------------------------------------------------------------------------------
def _chart_series(
    inputs: RunInputs, log: LogStats | None, load: LoadStats | None, faults: list[faultmod.Fault], grace: float
) -> dict[str, Any]:
    m = inputs.metrics
    charts: dict[str, Any] = {
        "errors": list(log.error_times) if log else [],
        "faults": [(f.start, f.end, f.kind) for f in faults],
    }
    if m and m.ticks:
        charts["db_bytes"] = m.values("db_bytes")
        charts["wal_bytes"] = m.values("wal_bytes")
        charts["levels"] = {
            lvl: [(t, v) for t, v in zip(m.t, col, strict=False) if v is not None]
            for lvl, col in sorted(m.level_objects.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 99)
        }
        charts["lag"] = m.values("lag")
        charts["rss_bytes"] = m.values("rss_bytes")
        charts["cpu_percent"] = m.values("cpu_percent")
        rows = m.values("rows_total")
        charts["write_rate"] = [
            (b[0], (b[1] - a[1]) / (b[0] - a[0])) for a, b in itertools.pairwise(rows) if b[0] > a[0]
        ]
    if load:
        charts["load_write_rate"] = load.write_rate_points
    charts["replica_age"] = replica_age_points(inputs)
    if log:
        charts["log_lag"] = [(t, float(v)) for t, v in log.lag_per_min.points()]
    if log:
        charts["uploads_per_min"] = [(t, float(v)) for t, v in log.uploads_per_min.points()]
    return charts
