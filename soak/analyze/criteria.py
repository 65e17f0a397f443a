"""The eight pass criteria of the overnight soak, each with the number behind it, and the verdict over them.

Thresholds scale with the run's duration (the seed's figures are for 8 h) and every one can be
overridden. A criterion without data is ``na`` and never counts as passed: the verdict fails closed
(``verdict``): PASS needs a finished run whose result.json says ``pass`` and the REQUIRED criteria judged
and passed; a run that did not finish, or whose decisive evidence is missing, is INCOMPLETE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

CRITERIA = (
    "no_crash",
    "critical_errors",
    "steady_growth",
    "snapshots",
    "compaction_levels",
    "restore",
    "rows_and_digests",
    "memory_stable",
)
CriterionStatus = Literal["pass", "fail", "na"]  # na: no data to judge, never a pass
Verdict = Literal["pass", "fail", "incomplete"]
# Without these judged there is no verdict on the replica at all: the restore and the row-by-row comparison.
REQUIRED = ("restore", "rows_and_digests")
# The independent replica checks (soak.analyze.replica_criteria): one is a criterion only when run.json asked for it,
# so an ``na`` one was asked for and never made: no PASS without it.
REPLICA_CHECKS = ("periodic_restore", "replica_age", "crash_restore", "idle_quiet", "pitr", "corrupt_object")
SEED_DURATION_S = 8 * 3600.0
SEED_MAX_CRITICAL = 10


@dataclass(frozen=True)
class Thresholds:
    """Overrides from the command line; None means "derive from the run's duration"."""

    max_critical: int | None = None
    snapshot_ratio: float = 0.8
    min_snapshots: int | None = None
    growth_ratio: float = 0.8
    rss_slope_pct_per_h: float = 5.0
    memory_window_s: float = 600.0

    def critical_limit(self, duration_s: float) -> int:
        """Critical errors must stay BELOW this: 10 for 8 h, scaled down, at least 1."""
        if self.max_critical is not None:
            return self.max_critical
        return max(1, math.ceil(SEED_MAX_CRITICAL * duration_s / SEED_DURATION_S))


def criterion(name: str, status: CriterionStatus, value: Any, threshold: Any, detail: str) -> dict[str, Any]:
    return {"name": name, "status": status, "value": value, "threshold": threshold, "detail": detail}


def _pass(ok: bool) -> CriterionStatus:
    return "pass" if ok else "fail"


def judge(sections: dict[str, Any], th: Thresholds) -> list[dict[str, Any]]:
    """All eight criteria, in the seed's order, from the analysis sections."""
    duration = sections["timeline"].get("duration_s") or 0.0
    return [
        _no_crash(sections),
        _critical(sections, th, duration),
        _growth(sections, th),
        _snapshots(sections, th),
        _compaction(sections),
        _restore(sections),
        _rows(sections),
        _memory(sections, th),
    ]


def _no_crash(s: dict[str, Any]) -> dict[str, Any]:
    crash = s["errors"].get("crash") or {}
    if not crash.get("judged"):
        return criterion("no_crash", "na", None, 0, "no litestream.log and no result.json: nothing to judge")
    n = crash.get("indicators", 0)
    return criterion("no_crash", _pass(n == 0), n, 0, crash.get("detail", ""))


def _critical(s: dict[str, Any], th: Thresholds, duration: float) -> dict[str, Any]:
    err = s["errors"]
    limit = th.critical_limit(duration)
    if not err.get("judged"):
        return criterion("critical_errors", "na", None, limit, "no Litestream events in litestream.log")
    n = err["critical"]
    detail = (
        f"{n} critical (ERROR, not transient, not expected) of {err['error_total']} ERROR lines; "
        f"{err['transient']} transient, {err['expected']} inside fault windows; must be < {limit}"
    )
    return criterion("critical_errors", _pass(n < limit), n, limit, detail)


def _growth(s: dict[str, Any], th: Thresholds) -> dict[str, Any]:
    growth = s["database"].get("growth") or {}
    if not growth.get("windows"):
        return criterion("steady_growth", "na", None, th.growth_ratio, growth.get("detail", "no growth series"))
    ratio = growth["growing"] / growth["windows"]
    ok = ratio >= th.growth_ratio and growth["end"] > growth["start"]
    detail = (
        f"{growth['source']} grew in {growth['growing']}/{growth['windows']} windows "
        f"({growth['start']:g} -> {growth['end']:g}); need >= {th.growth_ratio:.0%}"
    )
    return criterion("steady_growth", _pass(ok), round(ratio, 3), th.growth_ratio, detail)


def _snapshots(s: dict[str, Any], th: Thresholds) -> dict[str, Any]:
    rep = s["replication"]
    interval = rep.get("snapshot_interval_s")
    duration = s["timeline"].get("litestream_span_s") or s["timeline"].get("duration_s")
    count = rep.get("snapshots")
    if count is None or not duration:
        return criterion("snapshots", "na", count, None, "no snapshot lines or no duration")
    if th.min_snapshots is not None:
        need = th.min_snapshots
    elif interval:
        need = max(1, math.floor(th.snapshot_ratio * duration / interval))
    else:
        return criterion("snapshots", "na", count, None, "snapshot interval unknown (run.json / startup line)")
    detail = f"{count} snapshots in {duration:.0f}s at interval {interval or 0:g}s; need >= {need}"
    return criterion("snapshots", _pass(count >= need), count, need, detail)


def _compaction(s: dict[str, Any]) -> dict[str, Any]:
    comp = s["compaction"]
    required = comp.get("required_levels")
    if required is None:
        return criterion("compaction_levels", "na", None, None, comp.get("detail", "no compaction data"))
    seen = [lvl for lvl in required if comp["levels"].get(str(lvl), {}).get("count", 0) > 0]
    missing = [lvl for lvl in required if lvl not in seen]
    detail = f"compaction seen at {len(seen)}/{len(required)} required levels {required}" + (
        f"; none at L{', L'.join(map(str, missing))}" if missing else ""
    )
    if comp.get("not_required"):
        detail += f"; not required (run < 2x interval): L{', L'.join(map(str, comp['not_required']))}"
    return criterion("compaction_levels", _pass(not missing), len(seen), len(required), detail)


def _restore(s: dict[str, Any]) -> dict[str, Any]:
    val = s["validation"]
    ok = val.get("restore_ok")
    if ok is None:
        return criterion("restore", "na", None, True, val.get("restore_detail", "no restore evidence"))
    return criterion("restore", _pass(bool(ok)), bool(ok), True, val.get("restore_detail", ""))


def _rows(s: dict[str, Any]) -> dict[str, Any]:
    val = s["validation"]
    ok = val.get("rows_ok")
    if ok is None:
        return criterion("rows_and_digests", "na", None, True, val.get("rows_detail", "no row counts to compare"))
    return criterion("rows_and_digests", _pass(bool(ok)), bool(ok), True, val.get("rows_detail", ""))


def _memory(s: dict[str, Any], th: Thresholds) -> dict[str, Any]:
    res = s["resources"]
    slope = res.get("rss_slope_pct_per_h")
    window = res.get("rss_second_half_s") or 0.0
    limit = th.rss_slope_pct_per_h
    if slope is None:
        samples = res.get("rss_samples") or 0
        why = (
            f"only {samples} litestream RSS samples: too few for a slope"
            if samples
            else "no RSS samples (metrics.jsonl)"
        )
        return criterion("memory_stable", "na", None, limit, why)
    if window < th.memory_window_s:
        detail = (
            f"second half only {window:.0f}s (< {th.memory_window_s:.0f}s): too short to judge; "
            f"slope seen {slope:+.2f}%/h of median RSS"
        )
        return criterion("memory_stable", "na", round(slope, 3), limit, detail)
    detail = f"RSS slope over the second half {slope:+.2f}%/h of its median; must be < {limit:g}%/h"
    return criterion("memory_stable", _pass(slope < limit), round(slope, 3), limit, detail)


@dataclass(frozen=True)
class RunOutcome:
    """What the run itself says: finished or not (soak.analyze.run_state), and result.json's status and reason."""

    finished: bool = True
    in_progress: bool = False
    why_unfinished: str | None = None
    status: str | None = "pass"
    phase: str | None = None
    reason: str | None = None


def headline(criteria: list[dict[str, Any]]) -> str:
    """``7/8 criteria passed; failed: ...; not judged: memory_stable``."""
    passed = [c["name"] for c in criteria if c["status"] == "pass"]
    failed = [c["name"] for c in criteria if c["status"] == "fail"]
    na = [c["name"] for c in criteria if c["status"] == "na"]
    text = f"{len(passed)}/{len(criteria)} criteria passed"
    if failed:
        text += f"; failed: {', '.join(failed)}"
    if na:
        text += f"; not judged: {', '.join(na)}"
    return text


def verdict(criteria: list[dict[str, Any]], run: RunOutcome | None = None) -> tuple[Verdict, str, str | None]:
    """(verdict, headline, reason): fail closed. ``reason`` is one line, None only for a pass.

    In order: a run still in progress is INCOMPLETE (its figures are partial); a failed criterion or a result.json
    that says ``fail`` is FAIL; a run that did not finish, was interrupted, or left a REQUIRED criterion (or a replica
    check run.json asked for) unjudged is INCOMPLETE; PASS needs none of these, result.json ``status: pass``, and the
    REQUIRED criteria passed. Other ``na`` criteria are listed as not judged and never count toward PASS.
    """
    run = run or RunOutcome()
    line = headline(criteria)
    status = {c["name"]: c for c in criteria}
    failed = [c for c in criteria if c["status"] == "fail"]
    if run.in_progress:
        return "incomplete", line, run.why_unfinished or "in progress"
    if run.status == "fail":
        where = f" in step {run.phase}" if run.phase else ""
        return "fail", line, f"the soak failed{where}: {run.reason or 'result.json gives no reason'}"
    if failed:
        names = ", ".join(c["name"] for c in failed)
        return "fail", line, f"failed criteria: {names} ({failed[0]['name']}: {failed[0].get('detail') or 'no detail'})"
    if not run.finished:
        return "incomplete", line, run.why_unfinished or "the soak did not finish"
    if run.status == "interrupted":
        return "incomplete", line, f"the soak was interrupted: {run.reason or 'result.json gives no reason'}"
    unjudged = [status[name] for name in REQUIRED if status.get(name, {}).get("status") != "pass"]
    unjudged += [status[name] for name in REPLICA_CHECKS if status.get(name, {}).get("status") == "na"]
    if unjudged:
        first = unjudged[0]
        detail = first.get("detail") or "no evidence"
        return "incomplete", line, f"not judged: {', '.join(c['name'] for c in unjudged)} ({first['name']}: {detail})"
    if run.status != "pass":
        return "incomplete", line, f"result.json status is {run.status!r}, not 'pass'"
    return "pass", line, None
