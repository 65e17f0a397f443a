"""Criteria from the soak's independent looks at the replica: periodic restores, replica age, the crash restore,
the idle phase and point-in-time restores.

The soak judged these itself (result.json ``checks``, soak.run.replica_steps); the analysis carries each into
analysis.json as a criterion with its number and threshold. A check the run asked for (run.json ``replica_checks``)
but never made, because the run ended first, is ``na``: never a pass; so is one made with nothing to judge it on
(``passed: null``, e.g. replica_age when every periodic restore fell next to a kill). A check not asked for is no
criterion at all.
"""

from __future__ import annotations

import json
from typing import Any

from common.timestamps import parse_utc
from soak.analyze.criteria import REPLICA_CHECKS, CriterionStatus, criterion
from soak.analyze.inputs import RunInputs
from soak.run.periodic_restore import age_threshold_s
from soak.run.replica_options import asked_checks
from soak.rundir_schema import Check

# The replica checks, in the order the soak makes them.
ORDER = REPLICA_CHECKS


def _asked(inputs: RunInputs) -> dict[str, str]:
    """Check name -> the flag that asked for it, from run.json ``replica_checks``."""
    rc = inputs.run.replica_checks if inputs.run is not None else None
    if rc is None:
        return {}
    duration = inputs.run.params.duration_s if inputs.run and inputs.run.params else None
    return asked_checks(
        float(rc.restore_every_s or 0),
        rc.final_stop or "term",
        float(rc.idle_s or 0),
        int(rc.pitr_samples or 0),
        bool(rc.corrupt_object),
        float(duration) if duration is not None else None,
    )


_THRESHOLDS: dict[str, Any] = {
    "periodic_restore": "every restore a clean prefix, not stalled, never backwards",
    "replica_age": age_threshold_s(),
    "crash_restore": "rows committed 1 sync interval + 5s before the SIGKILL",
    "idle_quiet": "<= 1 L0 upload and <= 1 checkpoint",
    "pitr": "each restore a clean prefix between the point's bounds",
    "corrupt_object": "restore of a replica with a truncated LTX object fails with an error",
}


def _value(name: str, value: Any) -> Any:
    """The number the table shows: failed cycles/restores for the composite checks, the figure otherwise."""
    if name == "corrupt_object" and isinstance(value, dict):
        return value.get("exit_code")
    if isinstance(value, dict):
        return value.get("failed")
    return value if isinstance(value, int | float | str | bool) or value is None else json.dumps(value)[:100]


def replica_criteria(inputs: RunInputs) -> list[dict[str, Any]]:
    """One criterion per replica check made or asked for, in ORDER."""
    checks = (inputs.result.checks or []) if inputs.result is not None else []
    made: dict[str, Check] = {str(c.name): c for c in checks if c.name}
    asked = _asked(inputs)
    out: list[dict[str, Any]] = []
    for name in ORDER:
        check = made.get(name)
        if check is not None:
            status: CriterionStatus = "na" if check.passed is None else "pass" if check.passed else "fail"
            out.append(criterion(name, status, _value(name, check.value), _THRESHOLDS[name], check.detail or ""))
        elif name in asked:
            why = f"asked for by {asked[name]}, but result.json has no {name} check: the run ended before it"
            out.append(criterion(name, "na", None, _THRESHOLDS[name], why))
    return out


def replica_age_points(inputs: RunInputs) -> list[tuple[float, float]]:
    """(epoch, age seconds) of each periodic restore, from replica-restores.jsonl, for the chart."""
    points: list[tuple[float, float]] = []
    try:
        lines = inputs.dirs.replica_restores.read_text().splitlines()
    except OSError:
        return points
    for line in lines:
        try:
            cycle = json.loads(line)
        except json.JSONDecodeError:
            continue
        t = parse_utc(str(cycle.get("t") or ""))
        age = cycle.get("age_s")
        if t is not None and isinstance(age, int | float):
            points.append((t, float(age)))
    return points
