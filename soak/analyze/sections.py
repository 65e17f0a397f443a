"""What each report section says: sections 1-10 of the analysis, built from the parsed inputs.

One function per section, named after it; each returns a JSON-ready dict, or one with
``"no_data": true`` and ``why`` when its inputs were absent.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from pydantic import BaseModel

from common.timestamps import iso_utc, parse_utc
from soak.analyze import criteria as crit
from soak.analyze import fault_windows as faultmod
from soak.analyze.inputs import Metrics, RunInputs
from soak.analyze.litestream_log import LogStats
from soak.analyze.side_logs import LoadStats, MessageLog
from soak.rundir_schema import Check, ResultJson


def _dump(model: BaseModel | None) -> dict[str, Any] | None:
    """A part of run.json/result.json as it was written (less the values dropped as wrong-typed)."""
    return None if model is None else model.model_dump(exclude_unset=True)


def _time(*texts: str | None) -> float | None:
    """The first of ``texts`` that is given, as epoch seconds."""
    given = next((text for text in texts if text), None)
    return None if given is None else parse_utc(given)


def run_bounds(inputs: RunInputs) -> tuple[float | None, float | None]:
    run, result = inputs.run, inputs.result
    start = _time(run.started_at if run else None, result.started_at if result else None)
    end = _time(run.ended_at if run else None, result.ended_at if result else None)
    if inputs.metrics and inputs.metrics.t:
        start = start if start is not None else inputs.metrics.t[0]
        end = end if end is not None else inputs.metrics.t[-1]
    return start, end


def _no_data(why: str, **extra: Any) -> dict[str, Any]:
    return {"no_data": True, "why": why, **extra}


# -- 1 timeline ------------------------------------------------------------------------------------
def timeline(
    inputs: RunInputs, log: LogStats | None, load: LoadStats | None, faults: list[faultmod.Fault]
) -> dict[str, Any]:
    start, end = run_bounds(inputs)
    span = None
    if log and log.first_t is not None and log.last_t is not None:
        span = log.last_t - log.first_t
        start = start if start is not None else log.first_t
        end = end if end is not None else log.last_t
    if start is None or end is None:
        return _no_data("no run.json, metrics.jsonl or timed log line", duration_s=None)
    result = inputs.result or ResultJson()
    return {
        "started_at": iso_utc(start),
        "ended_at": iso_utc(end),
        "duration_s": round(end - start, 3),
        "status": result.status,
        "phase": result.phase,
        "reason": result.reason,
        "litestream_first_log": iso_utc(log.first_t) if log else None,
        "litestream_last_log": iso_utc(log.last_t) if log else None,
        "litestream_span_s": None if span is None else round(span, 3),
        "litestream_version": log.version if log else None,
        "litestream_startups": log.startups if log else None,
        "shutdown_signal_at": iso_utc(log.shutdown_signal_t) if log else None,
        "clean_shutdown": bool(log and log.shutdown_done_t is not None),
        "load_started_at": iso_utc(load.started_t) if load else None,
        "load_ended_at": iso_utc(load.ended_t) if load else None,
        "metrics_ticks": inputs.metrics.ticks if inputs.metrics else None,
        "faults": len(faults),
    }


# -- 2 database ------------------------------------------------------------------------------------
def database(inputs: RunInputs, dbs: dict[str, dict[str, Any]], load: LoadStats | None) -> dict[str, Any]:
    m = inputs.metrics
    out: dict[str, Any] = {}
    if "source" in dbs:
        out["source"] = dbs["source"]
    if m and m.ticks:
        out["db_bytes_first"] = _first(m.values("db_bytes"))
        out["db_bytes_last"] = _last(m.values("db_bytes"))
        out["db_bytes_peak"] = m.peak("db_bytes")
        out["wal_bytes_peak"] = m.peak("wal_bytes")
        out["rows_first"] = _first(m.values("rows_total"))
        out["rows_last"] = _last(m.values("rows_total"))
        if m.last is not None and m.last.rows is not None:
            out["rows_per_table"] = m.last.rows
    if inputs.result and inputs.result.tables:
        out["tables"] = {k: v.source_rows for k, v in inputs.result.tables.items()}
    out["growth"] = _growth(inputs, load)
    if not out.get("source") and not (m and m.ticks):
        out.update(_no_data("no metrics.jsonl and no test.db"))
    return out


def _growth(inputs: RunInputs, load: LoadStats | None) -> dict[str, Any]:
    """How many of up to ten consecutive stretches of samples saw the database grow.

    Source: metrics rows_total, else db_bytes, else the load generator's 5-s statistics; a source
    with at least ten samples wins in that order, otherwise the densest one. The ticks of an --idle phase are left
    out: nothing writes then by design.
    """
    idle = inputs.result.idle if inputs.result else None
    idle_start = parse_utc(idle.start) if idle is not None and idle.start else None
    candidates: list[tuple[str, list[tuple[float, float]]]] = []
    if inputs.metrics:
        for name in ("rows_total", "db_bytes"):
            series = inputs.metrics.values(name)
            candidates.append((name, [p for p in series if idle_start is None or p[0] < idle_start]))
    if load and load.write_rate_points:
        total, prev, points = 0.0, load.started_t or load.write_rate_points[0][0], []
        for t, rate in load.write_rate_points:
            total += rate * max(0.0, t - prev)
            prev = t
            points.append((t, total))
        candidates.append(("load.log writes", points))
    dense = [c for c in candidates if len(c[1]) >= 10]
    source, points = dense[0] if dense else max(candidates, key=lambda c: len(c[1]), default=("", []))
    if len(points) < 3:
        return {"windows": 0, "detail": "fewer than 3 samples of rows, database size or load statistics"}
    n = min(10, len(points) - 1)
    cuts = [round(i * (len(points) - 1) / n) for i in range(n + 1)]
    values = [points[i][1] for i in cuts]
    growing = sum(1 for a, b in itertools.pairwise(values) if b > a)
    return {
        "source": source,
        "samples": len(points),
        "windows": n,
        "growing": growing,
        "start": points[0][1],
        "end": points[-1][1],
    }


# -- 3 replication ---------------------------------------------------------------------------------
def replication(inputs: RunInputs, log: LogStats | None) -> dict[str, Any]:
    cfg = inputs.config
    out: dict[str, Any] = {"snapshot_interval_s": cfg.get("snapshot_interval_s")}
    if log:
        out["snapshot_interval_s"] = out["snapshot_interval_s"] or log.configured_intervals.get(9)
        out.update(
            {
                "l0_uploads": log.uploads.count,
                "l0_upload_bytes": log.uploads.bytes,
                "l0_max_txid": log.uploads.max_txid,
                "snapshots": log.snapshots.count,
                "snapshot_bytes": log.snapshots.bytes,
                "last_snapshot_at": iso_utc(log.snapshots.times[-1]) if log.snapshots.times else None,
                "replica_sync_lines": log.replica_syncs,
                "max_lag_txids_log": log.max_lag,
                "replica": log.replica,
            }
        )
    m = inputs.metrics
    if m and m.ticks:
        s3 = m.last.s3 if m.last else None
        out["s3_objects"] = s3.objects if s3 else None
        out["s3_bytes"] = s3.bytes if s3 else None
        out["s3_levels"] = None if s3 is None or s3.levels is None else {k: _dump(v) for k, v in s3.levels.items()}
        out["max_lag_txids_metrics"] = m.peak("lag")
        out["final_lag_txids"] = _last(m.values("lag"))
    if not log and not (m and m.ticks):
        out.update(_no_data("no litestream.log and no metrics.jsonl"))
    return out


# -- 4 compaction ----------------------------------------------------------------------------------
def compaction(inputs: RunInputs, log: LogStats | None, timeline: dict[str, Any]) -> dict[str, Any]:
    cfg = inputs.config
    intervals: dict[int, float] = {}
    if cfg.get("levels_s"):
        intervals = {i + 1: float(v) for i, v in enumerate(cfg["levels_s"])}
    elif log:
        intervals = {k: v for k, v in log.configured_intervals.items() if k != 9}
    if log is None:
        return _no_data("no litestream.log", levels={}, required_levels=None)
    span = timeline.get("litestream_span_s") or timeline.get("duration_s") or 0.0
    levels: dict[str, Any] = {}
    for level in sorted(set(intervals) | set(log.compactions)):
        stats = log.compactions.get(level)
        gaps = _gaps(stats.times if stats else [])
        levels[str(level)] = {
            "configured_interval_s": intervals.get(level),
            "count": stats.count if stats else 0,
            "bytes": stats.bytes if stats else 0,
            "observed_interval_s": _gap_summary(gaps),
        }
    snap_gaps = _gaps(log.snapshots.times)
    levels["9"] = {
        "configured_interval_s": cfg.get("snapshot_interval_s") or log.configured_intervals.get(9),
        "count": log.snapshots.count,
        "bytes": log.snapshots.bytes,
        "observed_interval_s": _gap_summary(snap_gaps),
        "snapshots": True,
    }
    if not intervals:
        return {"levels": levels, "required_levels": None, "detail": "configured levels unknown"}
    required = [lvl for lvl, iv in sorted(intervals.items()) if span >= 2 * iv]
    return {
        "levels": levels,
        "required_levels": required,
        "not_required": [lvl for lvl in sorted(intervals) if lvl not in required],
        "span_s": span,
    }


def _gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in itertools.pairwise(ordered)]


def _gap_summary(gaps: list[float]) -> dict[str, float] | None:
    if not gaps:
        return None
    return {"median": round(statistics.median(gaps), 3), "min": round(min(gaps), 3), "max": round(max(gaps), 3)}


# -- 5 load ----------------------------------------------------------------------------------------
def load_section(
    inputs: RunInputs, load: LoadStats | None, dbs: dict[str, dict[str, Any]], timeline: dict[str, Any]
) -> dict[str, Any]:
    params = (_dump(inputs.run.params) if inputs.run else None) or {}
    out: dict[str, Any] = {"params": params}
    rows: float | None = None
    rows_source: str | None = None
    if inputs.result and inputs.result.rows_written is not None:
        rows, rows_source = inputs.result.rows_written, "result.json rows_written"
    elif "source" in dbs and "load_test" in (dbs["source"].get("tables") or {}):
        rows, rows_source = dbs["source"]["tables"]["load_test"], "test.db load_test"
    elif inputs.metrics and inputs.metrics.ticks:
        rows, rows_source = _last(inputs.metrics.values("rows_total")), "metrics rows_total"
    duration = None
    if load and load.started_t is not None and load.ended_t is not None:
        duration = load.ended_t - load.started_t
    elif params.get("duration_s"):
        duration = float(params["duration_s"])
    out.update({"rows_written": rows, "rows_source": rows_source, "load_duration_s": duration})
    if rows is not None and duration:
        out["actual_write_rate"] = round(rows / duration, 2)
    if load:
        rates = [r for _, r in load.write_rate_points]
        out.update(
            {
                "log_params": load.params,
                "reported_write_rate_mean": round(statistics.fmean(rates), 2) if rates else None,
                "reported_errors": load.reported_errors,
                "error_lines": dict(load.error_lines),
                "transient_errors": load.transient_errors,
                "error_examples": load.error_examples,
                "complete": load.complete,
                "interrupted": load.interrupted,
            }
        )
    if not load and rows is None:
        out.update(_no_data("no load.log and no row counts"))
    return out


# -- 6 errors --------------------------------------------------------------------------------------
def errors(inputs: RunInputs, log: LogStats | None, load: LoadStats | None) -> dict[str, Any]:
    crash_indicators = 0
    details = []
    if log and log.crash_lines:
        crash_indicators += len(log.crash_lines)
        details.append(f"{len(log.crash_lines)} Go runtime panic/fatal line(s) in litestream.log")
    c = inputs.result.crash if inputs.result else None
    if c is not None:
        crash_indicators += 1
        details.append(f"result.json crash: {c.process} exit {c.exit_code}")
    judged_crash = inputs.result is not None or bool(log and (log.events or log.startups or log.crash_lines))
    crash = {
        "judged": judged_crash,
        "indicators": crash_indicators,
        "lines": log.crash_lines if log else [],
        "detail": "; ".join(details)
        or ("no panic or fatal line, no crash in result.json" if judged_crash else "no Litestream lines recognised"),
    }
    if log is None:
        return {"judged": False, "crash": crash, **_no_data("no litestream.log")}
    errors = {cls: _class_row(c) for cls, c in sorted(log.errors.items(), key=lambda kv: -kv[1].count)}
    warnings = {cls: _class_row(c) for cls, c in sorted(log.warnings.items(), key=lambda kv: -kv[1].count)}
    critical = log.error_total(kind="persistent") + len(log.crash_lines)
    return {
        "judged": log.events > 0 or log.error_total() > 0 or log.startups > 0,
        "error_total": log.error_total(),
        "warning_total": sum(c.count for c in log.warnings.values()),
        "transient": log.error_total(kind="transient"),
        "expected": log.error_total(kind="expected"),
        "critical": critical,
        "errors_by_class": errors,
        "warnings_by_class": warnings,
        "load_errors_by_class": dict(load.error_lines) if load else {},
        "crash": crash,
        "log": {
            "path": log.path,
            "bytes": log.size_bytes,
            "lines": log.lines,
            "formats": sorted(log.formats),
            "dropped_bytes": log.dropped_bytes,
            "truncated_last_line": log.truncated_last_line,
        },
    }


def _class_row(c: Any) -> dict[str, Any]:
    return {
        "count": c.count,
        "transient": c.transient,
        "expected": c.expected,
        "persistent": c.persistent,
        "operations": dict(c.ops),
        "first_at": iso_utc(c.first_t),
        "last_at": iso_utc(c.last_t),
        "examples": c.examples,
    }


# -- 7 checkpoints ---------------------------------------------------------------------------------
def checkpoints(inputs: RunInputs, log: LogStats | None) -> dict[str, Any]:
    cfg = inputs.config
    if log is None:
        return _no_data("no litestream.log")
    total = sum(log.checkpoints.values())
    out: dict[str, Any] = {
        "total": total,
        "modes": dict(log.checkpoints),
        "notes": dict(log.checkpoint_notes),
        "configured_interval_s": cfg.get("checkpoint_interval_s"),
        "observed_interval_s": _gap_summary(_gaps(log.checkpoint_times)),
    }
    if total == 0:
        out["detail"] = "no 'checkpoint' lines: they are logged at DEBUG only (logging.level: debug)"
    return out


# -- 8 validation ----------------------------------------------------------------------------------
def validation(inputs: RunInputs, side: dict[str, MessageLog], dbs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    result = inputs.result
    out: dict[str, Any] = {}
    if result is not None:
        checks: dict[str | None, Check] = {c.name: c for c in result.checks or []}
        out["status"] = result.status
        out["checks"] = [_dump(c) for c in checks.values()]
        out["tables"] = None if result.tables is None else {k: _dump(v) for k, v in result.tables.items()}
        out["catch_up"] = _dump(result.catch_up)
        if "restore" in checks:
            out["restore_ok"] = bool(checks["restore"].passed)
            out["restore_detail"] = str(checks["restore"].detail or "")
        tables = result.tables or {}
        if tables:
            bad = [
                name
                for name, t in tables.items()
                if t.source_rows != t.restored_rows or (t.source_sha256 and t.source_sha256 != t.restored_sha256)
            ]
            out["rows_ok"] = not bad
            out["rows_detail"] = f"{len(tables) - len(bad)}/{len(tables)} tables match in rows and sha256" + (
                f"; mismatched: {', '.join(bad)}" if bad else ""
            )
        else:
            for name in ("row_counts", "digests"):
                if name in checks:
                    out["rows_ok"] = out.get("rows_ok", True) and bool(checks[name].passed)
            if "rows_ok" in out:
                out["rows_detail"] = "from result.json checks row_counts/digests"
    if "restore_ok" not in out:
        _validation_from_files(out, side, dbs)
    if "restore_ok" not in out and result is not None:
        ended = result.phase or "an early step"
        out["restore_detail"] = f"result.json has no restore check (the soak ended in {ended})"
    if not out:
        out.update(_no_data("no result.json, validate.log, restore.log or restored.db"))
    return out


def _validation_from_files(out: dict[str, Any], side: dict[str, MessageLog], dbs: dict[str, dict[str, Any]]) -> None:
    """Old bash runs: validate.log / restore.log and the two database files."""
    validate = side.get("validate")
    if validate:
        out["validate_log"] = {"messages": dict(validate.messages), "errors": validate.errors}
        if validate.messages.get("All validation checks passed"):
            out["restore_ok"], out["restore_detail"] = True, "validate.log: All validation checks passed"
        elif validate.messages.get("Validation failed") or validate.errors:
            out["restore_ok"], out["restore_detail"] = False, "validate.log: " + "; ".join(validate.errors[:2])
    restored = dbs.get("restored")
    if restored is not None and "restore_ok" not in out:
        ok = "error" not in restored
        out["restore_ok"] = ok
        out["restore_detail"] = "restored.db opens" if ok else f"restored.db: {restored['error']}"
    source = dbs.get("source")
    if restored and source and "tables" in restored and "tables" in source:
        src, dst = source["tables"], restored["tables"]
        bad = sorted(name for name in set(src) | set(dst) if src.get(name) != dst.get(name))
        out["rows_ok"] = not bad
        out["rows_detail"] = f"row counts of test.db vs restored.db: {len(src) - len(bad)}/{len(src)} tables equal" + (
            f"; differ: {', '.join(bad)}" if bad else ""
        )
        out["rows_detail"] += " (no content digests: no result.json)"


# -- 9 resources -----------------------------------------------------------------------------------
def resources(inputs: RunInputs, dbs: dict[str, dict[str, Any]], th: crit.Thresholds) -> dict[str, Any]:
    m = inputs.metrics
    if not m or not m.ticks:
        out = _no_data("no metrics.jsonl: no RSS/CPU samples")
        if "source" in dbs:
            out["db_bytes_final"] = dbs["source"]["size_bytes"]
            out["wal_bytes_final"] = dbs["source"]["wal_bytes"]
        return out
    return _resources_from_metrics(m)


def _resources_from_metrics(m: Metrics) -> dict[str, Any]:
    rss = m.values("rss_bytes")
    cpu = [v for _, v in m.values("cpu_percent")]
    out: dict[str, Any] = {
        "db_bytes_peak": m.peak("db_bytes"),
        "wal_bytes_peak": m.peak("wal_bytes"),
        "rss_samples": len(rss),
        "rss_bytes_peak": max((v for _, v in rss), default=None),
        "rss_bytes_median": statistics.median([v for _, v in rss]) if rss else None,
        "rss_bytes_first": _first(rss),
        "rss_bytes_last": _last(rss),
        "cpu_percent_mean": round(statistics.fmean(cpu), 2) if cpu else None,
        "cpu_percent_max": max(cpu) if cpu else None,
    }
    slope = rss_slope(rss)
    if slope is not None:
        out["rss_slope_pct_per_h"], out["rss_second_half_s"] = slope
    return out


def rss_slope(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares slope of RSS over the second half, in % of its median per hour, and that span."""
    if len(points) < 3:
        return None
    mid = points[0][0] + (points[-1][0] - points[0][0]) / 2
    half = [(t, v) for t, v in points if t >= mid]
    if len(half) < 2:
        return None
    ts = [t for t, _ in half]
    vs = [v for _, v in half]
    median = statistics.median(vs)
    if median <= 0 or max(ts) == min(ts):
        return None
    slope = statistics.linear_regression(ts, vs).slope
    return round(slope * 3600 / median * 100, 4), round(max(ts) - min(ts), 3)


# -- 10 summary ------------------------------------------------------------------------------------
def summary(s: dict[str, Any], verdict: str, headline: str) -> dict[str, Any]:
    rep, comp, load, err, res = s["replication"], s["compaction"], s["load"], s["errors"], s["resources"]
    return {
        "verdict": verdict,
        "headline": headline,
        "duration_s": s["timeline"].get("duration_s"),
        "rows_written": load.get("rows_written"),
        "write_rate": load.get("actual_write_rate"),
        "l0_uploads": rep.get("l0_uploads"),
        "compactions": {k: v.get("count") for k, v in (comp.get("levels") or {}).items() if k != "9"},
        "snapshots": rep.get("snapshots"),
        "errors_by_class": {k: v["count"] for k, v in (err.get("errors_by_class") or {}).items()},
        "critical_errors": err.get("critical"),
        "rss_bytes_peak": res.get("rss_bytes_peak"),
        "rss_slope_pct_per_h": res.get("rss_slope_pct_per_h"),
        "s3_bytes": rep.get("s3_bytes"),
        "no_data_sections": [k for k, v in s.items() if isinstance(v, dict) and v.get("no_data")],
    }


def _first(points: list[tuple[float, float]]) -> float | None:
    return points[0][1] if points else None


def _last(points: list[tuple[float, float]]) -> float | None:
    return points[-1][1] if points else None
