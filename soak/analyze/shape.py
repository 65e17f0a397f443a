"""The replica's shape: five criteria that refuse what Litestream's own behaviour suite refuses, on S3 and at the
soak's own load, without its test code (issue 16).

``l0_size``, ``snapshot_cadence``, ``compaction_cadence``, ``wal_bounded`` and ``checkpoints_observed`` judge the
events of litestream.log (soak.analyze.shape_log) and the WAL peaks the monitor sampled. Every bound comes from the
litestream.yml the soak wrote (run.json ``config``) and the load's parameters (run.json ``params``), with the
tolerances of upstream's tests/integration/ltx_assertions.go (origin/main 63225f1) where it has one; no profile's
number is used. A criterion without data is ``na`` and never counts toward PASS.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.timestamps import iso_utc
from soak.analyze.criteria import CriterionStatus, criterion
from soak.analyze.shape_log import Checkpoint, ShapeEvents, SnapSync, scan_shape
from soak.run.params import bytes_per_row

SHAPE_CRITERIA = ("l0_size", "snapshot_cadence", "compaction_cadence", "wal_bounded", "checkpoints_observed")

# Litestream's defaults for what the soak's litestream.yml does not set (db.go, v0.5.16): one sync per second,
# a PASSIVE checkpoint once the WAL holds 1000 pages.
MONITOR_INTERVAL_S = 1.0
MIN_CHECKPOINT_PAGES = 1000
DEFAULT_PAGE_SIZE = 4096
# Pages one sync touches besides the rows' own: the rightmost leaf and interior pages of the table and of its
# timestamp index, and page 1 when the file grows (cmd/litestream-test/load.go's schema).
FIXED_PAGES_PER_SYNC = 10
# WAL frames one insert appends besides its rows' pages: the index leaf and page 1.
FIXED_FRAMES_PER_WRITE = 2
WAL_FRAME_HEADER = 24
# Slack on the estimates: a sync or a checkpoint that a busy machine delays covers this many intervals.
SYNC_SLACK = 3.0
WAL_SLACK = 2.0
# Upstream's tolerances (ltx_assertions.go): up to 15 % of L0 files may exceed the page bound (startup and
# checkpoint-boundary snapshots land in L0); LTX size = pages * (page + 4) + 200; snapshot intervals after the
# first no shorter than interval / 2 and at most duration / interval + 2 snapshots; compaction intervals within
# +-50 % of the level's, at most 25 % outliers, judged with >= 3 intervals; a snapshot sync within 5 s after a
# checkpoint is the snapshot-on-checkpoint bug unless its reason is an expected one.
L0_OVERSIZED_SHARE = 0.15
LTX_PAGE_OVERHEAD = 4
LTX_FIXED_OVERHEAD = 200
SNAPSHOT_WINDOW = 2.0
COMPACTION_SLACK = 0.5
COMPACTION_OUTLIERS = 0.25
COMPACTION_MIN_INTERVALS = 3
CHECKPOINT_WINDOW_S = 5.0
EXPECTED_SNAPSHOT_REASONS = ("repair snapshot", "compaction detected missing", "wal header salt reset")
CHECKPOINT_MODES = ("PASSIVE", "FULL", "RESTART", "TRUNCATE")
BOUNDARY_REASON = "checkpoint boundary snapshot"
# A load pattern's share of ticks at its peak (cmd/litestream-test/load.go calculateRate: every pattern fires every
# tick at its peak; burst's on-phase and wave's crest do).
_PEAK_DUTY = 1.0


@dataclass(frozen=True)
class ShapeBounds:
    """The bounds of one run, and how each was derived (said in the report)."""

    page_size: int
    l0_pages: int | None
    l0_bytes: int | None
    wal_bytes: int | None
    snapshot_interval_s: float | None
    levels_s: dict[int, float]
    checkpoint_interval_s: float | None
    debug_logged: bool
    derivation: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "page_size": self.page_size,
            "l0_pages": self.l0_pages,
            "l0_bytes": self.l0_bytes,
            "wal_bytes": self.wal_bytes,
            "snapshot_interval_s": self.snapshot_interval_s,
            "levels_s": {str(k): v for k, v in self.levels_s.items()},
            "checkpoint_interval_s": self.checkpoint_interval_s,
            "derivation": self.derivation,
        }


def page_size_of(db: Path | None) -> int:
    """The database's page size from its header (bytes 16-17; 1 means 65536), else SQLite's default."""
    try:
        with (db or Path("/nonexistent")).open("rb") as fh:
            head = fh.read(18)
    except OSError:
        return DEFAULT_PAGE_SIZE
    if len(head) < 18 or not head.startswith(b"SQLite format 3\x00"):
        return DEFAULT_PAGE_SIZE
    raw = int.from_bytes(head[16:18], "big")
    return 65536 if raw == 1 else raw or DEFAULT_PAGE_SIZE


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def peak_writes_per_s(params: dict[str, Any]) -> float | None:
    """Inserts per second at the load's peak: every worker's integer ticks, less the reads (load.go worker)."""
    rate, workers = _number(params.get("write_rate")), _number(params.get("workers"))
    read_ratio = params.get("read_ratio")
    if rate is None or workers is None or not isinstance(read_ratio, int | float):
        return None
    ticks = workers * (int(rate) // int(workers))
    return ticks * (1.0 - float(read_ratio)) * _PEAK_DUTY


def derive_bounds(config: dict[str, Any], params: dict[str, Any], page_size: int, debug_logged: bool) -> ShapeBounds:
    """Every bound from run.json's ``config`` (litestream.yml) and ``params`` (the load)."""
    why: dict[str, str] = {}
    writes = peak_writes_per_s(params)
    payload = _number(params.get("payload_size"))
    l0_pages = l0_bytes = wal_bytes = None
    checkpoint_s = _number(config.get("checkpoint_interval_s"))
    if writes is not None and payload is not None:
        row_bytes = bytes_per_row(int(payload), page_size)
        rows = writes * MONITOR_INTERVAL_S
        per_sync = math.ceil(rows * row_bytes / page_size) + FIXED_PAGES_PER_SYNC
        l0_pages = math.ceil(per_sync * SYNC_SLACK)
        l0_bytes = l0_pages * (page_size + LTX_PAGE_OVERHEAD) + LTX_FIXED_OVERHEAD
        why["l0_size"] = (
            f"{writes:g} inserts/s at peak x {MONITOR_INTERVAL_S:g}s sync x {row_bytes:.0f} B/row = "
            f"{math.ceil(rows * row_bytes / page_size)} pages + {FIXED_PAGES_PER_SYNC} b-tree pages = {per_sync}, "
            f"x{SYNC_SLACK:g} slack = {l0_pages} pages ({l0_bytes} B as LTX)"
        )
        if checkpoint_s is not None:
            frames_per_write = math.ceil(row_bytes / page_size) + FIXED_FRAMES_PER_WRITE
            frames = MIN_CHECKPOINT_PAGES + math.ceil(writes * checkpoint_s * frames_per_write)
            wal_bytes = math.ceil(frames * (page_size + WAL_FRAME_HEADER) * WAL_SLACK)
            why["wal_bounded"] = (
                f"{MIN_CHECKPOINT_PAGES} pages (PASSIVE checkpoint threshold) + {writes:g} inserts/s x "
                f"{checkpoint_s:g}s checkpoint interval x {frames_per_write} frames = {frames} frames of "
                f"{page_size + WAL_FRAME_HEADER} B, x{WAL_SLACK:g} slack"
            )
    levels = config.get("levels_s")
    return ShapeBounds(
        page_size=page_size,
        l0_pages=l0_pages,
        l0_bytes=l0_bytes,
        wal_bytes=wal_bytes,
        snapshot_interval_s=_number(config.get("snapshot_interval_s")),
        levels_s={i + 1: float(v) for i, v in enumerate(levels)} if isinstance(levels, list) else {},
        checkpoint_interval_s=checkpoint_s,
        debug_logged=debug_logged,
        derivation=why,
    )


# -------------------------------------------------------------------------------------------------- criteria
Span = tuple[float, float]
# Faults that stop Litestream or its S3 (a kill, an outage): an interval across one says nothing about the cadence.
STOPPING_FAULTS = ("kill", "outage")


def judge_shape(
    events: ShapeEvents | None, bounds: ShapeBounds, wal_peak: int | None, excused: list[Span] | None = None
) -> list[dict[str, Any]]:
    """The five shape criteria, in SHAPE_CRITERIA's order; intervals across an ``excused`` span are not judged."""
    if events is None:
        return [criterion(name, "na", None, None, "no litestream.log") for name in SHAPE_CRITERIA]
    spans = excused or []
    return [
        _l0_size(events, bounds),
        _snapshot_cadence(events, bounds, spans),
        _compaction_cadence(events, bounds, spans),
        _wal_bounded(wal_peak, bounds),
        _checkpoints(events, bounds),
    ]


def _status(ok: bool) -> CriterionStatus:
    return "pass" if ok else "fail"


def _l0_size(ev: ShapeEvents, b: ShapeBounds) -> dict[str, Any]:
    if b.l0_bytes is None or b.l0_pages is None:
        return criterion("l0_size", "na", None, None, "load parameters unknown (run.json params): no page bound")
    if not ev.l0_sizes:
        return criterion("l0_size", "na", None, b.l0_pages, "no 'ltx file uploaded' level=0 lines in litestream.log")
    over = sum(1 for size in ev.l0_sizes if size > b.l0_bytes)
    share = over / len(ev.l0_sizes)
    largest = ev.largest_l0[0] if ev.largest_l0 else None
    top = f"; largest {largest.size} B (~{_pages(largest.size, b)} pages)" if largest else ""
    detail = (
        f"{over}/{len(ev.l0_sizes)} L0 files ({share:.1%}) over {b.l0_pages} pages{top}; "
        f"at most {L0_OVERSIZED_SHARE:.0%} may be (startup and checkpoint-boundary snapshots)"
    )
    return criterion("l0_size", _status(share <= L0_OVERSIZED_SHARE), over, b.l0_pages, detail)


def _pages(size: int, b: ShapeBounds) -> int:
    return max(0, math.ceil((size - LTX_FIXED_OVERHEAD) / (b.page_size + LTX_PAGE_OVERHEAD)))


def _across(prev: float, cur: float, spans: list[Span]) -> bool:
    return any(start < cur and prev < end for start, end in spans)


def _snapshot_cadence(ev: ShapeEvents, b: ShapeBounds, spans: list[Span]) -> dict[str, Any]:
    interval, span = b.snapshot_interval_s, ev.span_s
    if interval is None or not span:
        return criterion("snapshot_cadence", "na", None, None, "snapshot interval or log span unknown")
    on_checkpoint, checked = snapshots_on_checkpoint(ev)
    restarts = max(0, len(ev.startup_times) - 1)
    allowed = int(span // interval) + 2 + restarts
    min_gap = interval / SNAPSHOT_WINDOW
    short = _short_gaps(ev.snapshot_times, ev.startup_times, min_gap, spans)
    count = len(ev.snapshot_times)
    problems = []
    if count > allowed:
        problems.append(f"{count} snapshots in {span:.0f}s, more than {allowed}")
    if short:
        problems.append(f"{len(short)} snapshot interval(s) under {min_gap:g}s (shortest {min(short):.1f}s)")
    problems += on_checkpoint
    cp_note = f"{checked} snapshot sync(s) checked against {len(ev.checkpoints)} checkpoints"
    if not ev.checkpoints and not ev.debug_lines:
        cp_note = "no DEBUG lines: snapshot-on-checkpoint not checked"
    if count == 0:
        return criterion("snapshot_cadence", "na", 0, allowed, f"no 'snapshot complete' lines; {cp_note}")
    detail = (
        "; ".join(problems)
        if problems
        else (
            f"{count} snapshots in {span:.0f}s at interval {interval:g}s (at most {allowed}), steady intervals >= "
            f"{min_gap:g}s; no snapshot caused by a checkpoint ({cp_note})"
        )
    )
    return criterion("snapshot_cadence", _status(not problems), count, allowed, detail)


def _short_gaps(times: list[float], startups: list[float], min_gap: float, spans: list[Span]) -> list[float]:
    """Intervals under ``min_gap``, skipping the first after each startup (its initial snapshot pair) and those
    across a stopping fault."""
    short = []
    skip_next = True
    for prev, cur in itertools.pairwise(times):
        if any(prev < s <= cur for s in startups) or _across(prev, cur, spans):
            skip_next = True
            continue
        if skip_next:
            skip_next = False
            continue
        if cur - prev < min_gap:
            short.append(cur - prev)
    return short


def snapshots_on_checkpoint(ev: ShapeEvents) -> tuple[list[str], int]:
    """Upstream's AssertNoSnapshotOnCheckpoint: (violations, snapshot syncs checked)."""
    problems = [
        f"unclassifiable checkpoint at {_clock(c.t)}: {why}" for c in ev.checkpoints if (why := _bad_checkpoint(c))
    ]
    for snap in ev.snap_syncs:
        if snap.t is None:
            problems.append(f"snapshot sync without a valid time (reason: {snap.reason or '-'})")
            continue
        cp = _preceding_checkpoint(ev.checkpoints, snap)
        if cp is None:
            if snap.reason == BOUNDARY_REASON:
                problems.append(f"checkpoint boundary snapshot at {_clock(snap.t)} without a checkpoint before it")
            continue
        if _bad_checkpoint(cp):
            continue
        if any(r in snap.reason for r in EXPECTED_SNAPSHOT_REASONS):
            continue
        if cp.mode.upper() == "TRUNCATE" and snap.reason == BOUNDARY_REASON:
            continue
        assert cp.t is not None
        problems.append(
            f"snapshot sync at {_clock(snap.t)} {snap.t - cp.t:.3f}s after a {cp.mode} checkpoint "
            f"(reason: {snap.reason or '-'})"
        )
    return problems, len(ev.snap_syncs)


def _bad_checkpoint(c: Checkpoint) -> str:
    if c.t is None:
        return "missing or malformed timestamp"
    if not c.db:
        return "missing database"
    if c.mode.upper() not in CHECKPOINT_MODES:
        return f"invalid mode {c.mode!r}"
    return ""


def _preceding_checkpoint(checkpoints: list[Checkpoint], snap: SnapSync) -> Checkpoint | None:
    """The latest checkpoint of the same database at most CHECKPOINT_WINDOW_S before the snapshot sync."""
    found = None
    for c in checkpoints:
        if c.t is None or snap.t is None or not snap.db or c.db != snap.db:
            continue
        if 0 <= snap.t - c.t <= CHECKPOINT_WINDOW_S and (found is None or found.t is None or c.t >= found.t):
            found = c
    return found


def _clock(t: float | None) -> str:
    return (iso_utc(t) or "?")[11:23] if t is not None else "?"


def _compaction_cadence(ev: ShapeEvents, b: ShapeBounds, spans: list[Span]) -> dict[str, Any]:
    if not b.levels_s:
        return criterion("compaction_cadence", "na", None, None, "configured levels unknown (run.json config)")
    judged, failed, skipped = [], [], []
    restarts = [(t, t) for t in ev.startup_times[1:]]  # a restart begins each level's schedule anew
    for level, interval in sorted(b.levels_s.items()):
        times = ev.compaction_times.get(level, [])
        gaps = [cur - prev for prev, cur in itertools.pairwise(times) if not _across(prev, cur, spans + restarts)]
        if len(gaps) < COMPACTION_MIN_INTERVALS:
            skipped.append(f"L{level} ({len(times)} compactions)")
            continue
        low, high = interval * (1 - COMPACTION_SLACK), interval * (1 + COMPACTION_SLACK)
        off = [g for g in gaps if not low <= g <= high]
        text = f"L{level} {len(gaps) - len(off)}/{len(gaps)} intervals in [{low:g}s, {high:g}s]"
        judged.append(text)
        if len(off) / len(gaps) > COMPACTION_OUTLIERS:
            failed.append(text + f" (worst {max(off, key=lambda g: abs(g - interval)):.1f}s)")
    if not judged:
        detail = f"fewer than {COMPACTION_MIN_INTERVALS + 1} compactions at every level: {', '.join(skipped)}"
        return criterion("compaction_cadence", "na", 0, len(b.levels_s), detail)
    detail = "; ".join(failed or judged) + (
        f"; at most {COMPACTION_OUTLIERS:.0%} outside"
        + (f"; too few to judge: {', '.join(skipped)}" if skipped else "")
    )
    return criterion("compaction_cadence", _status(not failed), len(judged), len(b.levels_s), detail)


def _wal_bounded(peak: int | None, b: ShapeBounds) -> dict[str, Any]:
    if b.wal_bytes is None:
        return criterion("wal_bounded", "na", peak, None, "load parameters or checkpoint interval unknown")
    if peak is None:
        return criterion("wal_bounded", "na", None, b.wal_bytes, "no WAL samples (metrics.jsonl wal_peak_bytes)")
    detail = f"WAL peak {peak} B; bound {b.wal_bytes} B ({b.derivation.get('wal_bounded', '')})"
    return criterion("wal_bounded", _status(peak <= b.wal_bytes), peak, b.wal_bytes, detail)


def _checkpoints(ev: ShapeEvents, b: ShapeBounds) -> dict[str, Any]:
    n = len(ev.checkpoints)
    if n == 0 and not ev.debug_lines:
        return criterion("checkpoints_observed", "na", 0, 1, "no DEBUG lines: checkpoints are logged at DEBUG only")
    modes: dict[str, int] = {}
    for c in ev.checkpoints:
        modes[c.mode] = modes.get(c.mode, 0) + 1
    seen = ", ".join(f"{k} {v}" for k, v in sorted(modes.items())) or "none"
    detail = f"{n} checkpoints ({seen}); at least one, or snapshot-on-checkpoint was judged on nothing"
    return criterion("checkpoints_observed", _status(n >= 1), n, 1, detail)


# -------------------------------------------------------------------------------------------------- section
def shape_section(events: ShapeEvents | None, bounds: ShapeBounds, wal_peak: int | None) -> dict[str, Any]:
    """Section 13 of the analysis: the figures behind the criteria, the bounds, and the largest L0 files."""
    if events is None:
        return {"no_data": True, "why": "no litestream.log", "bounds": bounds.to_json()}
    intervals: dict[str, Any] = {}
    for level, times in sorted(events.compaction_times.items()):
        gaps = [cur - prev for prev, cur in itertools.pairwise(times)]
        intervals[str(level)] = {
            "configured_interval_s": bounds.levels_s.get(level),
            "compactions": len(times),
            "median_interval_s": round(sorted(gaps)[len(gaps) // 2], 3) if gaps else None,
        }
    sizes = events.l0_sizes
    return {
        "l0_files": len(sizes),
        "l0_bytes_median": sorted(sizes)[len(sizes) // 2] if sizes else None,
        "l0_bound_pages": bounds.l0_pages,
        "l0_bound_bytes": bounds.l0_bytes,
        "largest_l0": [
            {
                "at": iso_utc(item.t) if item.t is not None else None,
                "min_txid": f"{item.min_txid:016x}" if item.min_txid is not None else None,
                "max_txid": f"{item.max_txid:016x}" if item.max_txid is not None else None,
                "bytes": item.size,
                "pages": _pages(item.size, bounds),
            }
            for item in events.largest_l0
        ],
        "snapshots": len(events.snapshot_times),
        "snapshot_syncs": len(events.snap_syncs),
        "snapshot_sync_reasons": _reasons(events.snap_syncs),
        "checkpoints": len(events.checkpoints),
        "startups": len(events.startup_times),
        "compaction_levels": intervals,
        "wal_peak_bytes": wal_peak,
        "wal_bound_bytes": bounds.wal_bytes,
        "page_size": bounds.page_size,
        "derivation": bounds.derivation,
    }


def _reasons(syncs: list[SnapSync]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in syncs:
        out[s.reason or "(none)"] = out.get(s.reason or "(none)", 0) + 1
    return out


def assess(
    log: Path | None,
    config: dict[str, Any],
    params: dict[str, Any],
    db: Path | None,
    wal_peak: int | None,
    excused: list[Span] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(criteria, section) of one run: what soak.analyze and the soak's own result.json both record. ``excused``:
    the spans of stopping faults (kills, outages; soak.analyze.fault_windows), where cadence is not judged."""
    events = scan_shape(log) if log is not None and log.is_file() else None
    bounds = derive_bounds(config, params, page_size_of(db), bool(events and events.debug_lines))
    section = shape_section(events, bounds, wal_peak)
    if excused:
        section["cadence_not_judged_in"] = [f"{iso_utc(a)} to {iso_utc(b)}" for a, b in excused]
    return judge_shape(events, bounds, wal_peak, excused), section


def stopping_spans(faults: list[Any], grace_s: float) -> list[Span]:
    """The spans of kills and outages among soak.analyze.fault_windows faults, each with its grace after it."""
    return [(f.start, f.end + grace_s) for f in faults if f.kind in STOPPING_FAULTS]
