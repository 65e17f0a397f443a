"""The gate's ``--baseline vX.Y.Z``: the same soak against a released Litestream, compared with the candidate's run.

The comparison is ``soak.compare``'s own (``soak.analyze.compare``: A = the baseline release, B = the candidate).
A figure regresses when the candidate's value exceeds ``baseline x ratio + slack``: the ratio catches a real
slowdown or growth, the slack keeps the noise of short runs on a shared machine (a restore of 0.4 s against 0.3 s)
from failing the gate. The limits are settings (``baseline.*`` in invoke.yaml; README, "The release gate").
A figure either run lacks cannot be judged, and fails the gate: a comparison that did not happen is no pass.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from common.errors import UserError
from common.settings import Settings
from common.units import format_bytes
from soak.analyze import compare as comparemod

MIB = 1024 * 1024
EVIDENCE = "baseline.json"


@dataclass(frozen=True)
class Threshold:
    """One compared figure (a ``soak.compare`` row) and how much worse than the baseline it may be."""

    figure: str
    label: str
    ratio: float  # the candidate may reach baseline x ratio ...
    slack: float  # ... + slack, in the figure's own unit
    unit: Literal["s", "bytes", "count", "bytes/row"]

    def limit(self, baseline: float) -> float:
        return baseline * self.ratio + self.slack

    def show(self, value: float | None) -> str:
        if value is None:
            return "-"
        if self.unit == "s":
            return f"{value:.1f}s"
        if self.unit == "bytes":
            return format_bytes(value)
        if self.unit == "bytes/row":
            return f"{format_bytes(value)}/row"
        return f"{value:g}"


def _number(settings: Settings, key: str) -> float:
    resolved = settings.resolve(key)
    try:
        value = float(resolved.value)
    except ValueError:
        raise UserError(
            f"{key} {resolved.value!r} (from {resolved.source}) is not a number; set it in ~/.invoke.yaml, "
            "e.g. baseline: {restore_ratio: 1.5}"
        ) from None
    if value < 0 or value != value:
        raise UserError(f"{key} {resolved.value!r} (from {resolved.source}) must be zero or more")
    return value


def thresholds(settings: Settings) -> list[Threshold]:
    """The regression limits, in the one settings order (flag > environment > user config > invoke.yaml > default)."""

    def get(key: str) -> float:
        return _number(settings, f"baseline.{key}")

    return [
        Threshold("restore_s", "restore time", get("restore_ratio"), get("restore_slack_s"), "s"),
        Threshold("replica_age_s", "replica age", get("replica_age_ratio"), get("replica_age_slack_s"), "s"),
        Threshold("rss_bytes_peak", "litestream peak RSS", get("rss_ratio"), get("rss_slack_mib") * MIB, "bytes"),
        Threshold(
            "l0_upload_bytes_per_row",
            "L0 upload bytes per row written",
            get("l0_bytes_per_row_ratio"),
            0.0,
            "bytes/row",
        ),
        Threshold("critical_errors", "critical errors", 1.0, get("critical_errors_increase"), "count"),
    ]


@dataclass
class Judged:
    """One threshold applied to one pair of runs."""

    figure: str
    label: str
    baseline: float | None
    candidate: float | None
    limit: float | None
    status: Literal["pass", "fail", "na"]
    detail: str


def _value(row: dict[str, Any] | None, side: str) -> float | None:
    value = (row or {}).get(side)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def judge(rows: list[dict[str, Any]], limits: list[Threshold]) -> list[Judged]:
    """Each threshold against ``soak.compare`` rows (a = baseline, b = candidate)."""
    by_figure = {row["figure"]: row for row in rows}
    out = []
    for threshold in limits:
        row = by_figure.get(threshold.figure)
        base, cand = _value(row, "a"), _value(row, "b")
        if base is None or cand is None:
            missing = " and ".join(side for side, v in (("baseline", base), ("candidate", cand)) if v is None)
            out.append(Judged(threshold.figure, threshold.label, base, cand, None, "na", f"no value in the {missing}"))
            continue
        limit = threshold.limit(base)
        ok = cand <= limit
        detail = (
            f"{threshold.label} {threshold.show(cand)} vs {threshold.show(base)} "
            f"({'within' if ok else 'over'} the limit {threshold.show(limit)})"
        )
        out.append(Judged(threshold.figure, threshold.label, base, cand, limit, "pass" if ok else "fail", detail))
    return out


def read_analysis(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((run_dir / "analysis.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class Comparison:
    """The baseline release's run against the candidate's: soak.compare's rows and the thresholds judged."""

    baseline_version: str
    baseline_run: Path
    candidate_run: Path
    rows: list[dict[str, Any]]
    judged: list[Judged]

    @property
    def regressions(self) -> list[Judged]:
        return [j for j in self.judged if j.status == "fail"]

    @property
    def unjudged(self) -> list[Judged]:
        return [j for j in self.judged if j.status == "na"]

    def key_figure(self) -> str:
        parts = []
        for j in self.judged:
            threshold = next(t for t in _SHOWN if t.figure == j.figure)
            parts.append(f"{j.label} {threshold.show(j.candidate)} vs {threshold.show(j.baseline)}")
        return f"vs {self.baseline_version}: " + "; ".join(parts)

    def reason(self) -> str | None:
        problems = [f"regression: {j.detail}" for j in self.regressions]
        problems += [f"not judged: {j.label} ({j.detail})" for j in self.unjudged]
        return "; ".join(problems) or None

    def write(self, out: Path) -> Path:
        """baseline.json (the judgement) and compare.md (soak.compare's table, baseline = A)."""
        data = {
            "schema_version": 1,
            "baseline_version": self.baseline_version,
            "baseline_run": str(self.baseline_run),
            "candidate_run": str(self.candidate_run),
            "status": "fail" if self.regressions or self.unjudged else "pass",
            "thresholds": [asdict(j) for j in self.judged],
            "compare": self.rows,
        }
        (out / EVIDENCE).write_text(json.dumps(data, indent=2) + "\n")
        table = comparemod.render(self.rows, str(self.baseline_run), str(self.candidate_run), "markdown")
        (out / "compare.md").write_text(f"A = baseline {self.baseline_version}, B = candidate\n\n{table}")
        return out / EVIDENCE


# Display units per figure, independent of the configured limits.
_SHOWN = [
    Threshold("restore_s", "", 1, 0, "s"),
    Threshold("replica_age_s", "", 1, 0, "s"),
    Threshold("rss_bytes_peak", "", 1, 0, "bytes"),
    Threshold("l0_upload_bytes_per_row", "", 1, 0, "bytes/row"),
    Threshold("critical_errors", "", 1, 0, "count"),
]


def compare_runs(
    baseline_version: str, baseline_run: Path, candidate_run: Path, limits: list[Threshold]
) -> Comparison | str:
    """Compare two analyzed runs (analysis.json in each); a missing analysis is the reason it could not be done."""
    base, cand = read_analysis(baseline_run), read_analysis(candidate_run)
    if base is None or cand is None:
        which = baseline_run if base is None else candidate_run
        return f"no readable analysis.json in {which}"
    rows = comparemod.compare(base, cand)
    return Comparison(baseline_version, baseline_run, candidate_run, rows, judge(rows, limits))
