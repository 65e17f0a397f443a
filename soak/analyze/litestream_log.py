"""One streaming pass over litestream.log: the events the analysis needs, in constant memory.

Per block, a few C-speed substring searches find the only lines worth parsing (INFO messages,
ERROR/WARN lines, DEBUG ``checkpoint`` lines, Go runtime panics); everything else (the bulk of a DEBUG
log: ``s3 request``, ``sync``, ``verify``...) is never parsed. Text and JSON handlers may be mixed.
Counters and per-minute series grow with the run's duration, never with the file's size.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import UserError
from common.units import parse_duration
from soak.analyze.fault_windows import Window
from soak.logs import error_classes as errclass
from soak.logs.blocks import BlockReader, line_around
from soak.logs.line import (
    attr,
    int_value,
    json_fields,
    line_time,
    message,
    parse_time,
    severity,
    text_value,
    time_token,
    txid_value,
)

# Markers per handler format: (substring, kind). Only lines holding one of them are parsed.
_TEXT_MARKERS = (
    (b" level=INFO msg=", "info"),
    (b" level=ERROR msg=", "error"),
    (b" level=WARN msg=", "warn"),
    (b" msg=checkpoint ", "checkpoint"),
)
_JSON_MARKERS = (
    (b'"level":"INFO","msg":"', "info"),
    (b'"level":"ERROR"', "error"),
    (b'"level":"WARN"', "warn"),
    (b'"msg":"checkpoint"', "checkpoint"),
)
_CRASH_MARKERS = (b"panic: ", b"fatal error: ")


@dataclass(frozen=True)
class _FastFormat:
    """Where one handler format puts what the hot loop reads: INFO marker, time, upload size, TXIDs."""

    marker: bytes
    time_at: int  # offset of the time value from the line start
    upload: bytes  # the upload message right after the marker
    size: bytes  # the size attribute (the last one on upload lines)
    sync: bytes  # the "replica sync" message right after the marker
    txid_scope: bytes  # where the TXID pair starts (JSON group), b"" for text
    replica: bytes
    db: bytes


_TEXT_FAST = _FastFormat(
    _TEXT_MARKERS[0][0], 5, b'"ltx file uploaded" ', b" size=", b'"replica sync" ', b"", b" txid.replica=", b" txid.db="
)
_JSON_FAST = _FastFormat(
    _JSON_MARKERS[0][0], 9, b'ltx file uploaded"', b'"size":', b'replica sync"', b'"txid":{', b'"replica":"', b'"db":"'
)
EXAMPLES_PER_CLASS = 3
MAX_MARKERS = 2000  # error times kept for chart markers


@dataclass
class ErrorClass:
    """Errors (or warnings) of one class: how many, of which kind, and a few example lines."""

    count: int = 0
    transient: int = 0
    expected: int = 0
    persistent: int = 0
    ops: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    first_t: float | None = None
    last_t: float | None = None


@dataclass
class Pending:
    t: float
    cls: str
    severity: str


@dataclass
class Series:
    """Counts or maxima per minute since the epoch: bounded by the run's duration."""

    counts: Counter[int] = field(default_factory=Counter)

    def add(self, t: float, value: int = 1) -> None:
        self.counts[int(t // 60)] += value

    def maximum(self, t: float, value: int) -> None:
        key = int(t // 60)
        if value > self.counts.get(key, -1):
            self.counts[key] = value

    def points(self) -> list[tuple[float, int]]:
        return [(minute * 60.0, value) for minute, value in sorted(self.counts.items())]


@dataclass
class LevelStats:
    count: int = 0
    bytes: int = 0
    times: list[float] = field(default_factory=list)
    max_txid: int = 0


class FaultWindows:
    """The fault windows (soak.analyze.fault_windows.Window) an error may fall in; empty when no fault was injected."""

    def __init__(self, windows: list[Window] | None = None) -> None:
        self.windows = sorted(windows or [], key=lambda w: w.start)
        # A whole-run fault's recovery pairs its errors with later uploads; the scan meets lines of
        # different severities out of order within a block, so upload times are kept and paired at the end.
        self._upload_times: list[float] | None = [] if any(w.explains for w in self.windows) else None

    def contains(self, t: float, cls: str, *, error: bool = False) -> bool:
        """Whether a fault explains an error of class ``cls`` at ``t``; ERROR lines are counted per window."""
        hit = False
        for window in self.windows:
            if window.excuses(t, cls):
                hit = True
                if error:
                    window.errors += 1
                    if window.explains is not None:
                        window.pending.append(t)
        return hit

    def uploaded(self, t: float) -> None:
        if self._upload_times is not None:
            self._upload_times.append(t)

    def settle(self) -> None:
        """After the scan: each whole-run fault's longest time from an error to the next L0 upload."""
        if self._upload_times is None:
            return
        self._upload_times.sort()
        for window in self.windows:
            window.settle(self._upload_times)


@dataclass
class LogStats:
    """Everything litestream.log told us. ``None`` times mean the log had no timed line."""

    path: str
    size_bytes: int = 0
    lines: int | None = None  # counted only on request (a full extra pass)
    dropped_bytes: int = 0
    truncated_last_line: bool = False
    formats: set[str] = field(default_factory=set)
    first_t: float | None = None
    last_t: float | None = None
    version: str | None = None
    startups: int = 0
    configured_intervals: dict[int, float] = field(default_factory=dict)
    replica: dict[str, str] = field(default_factory=dict)
    uploads: LevelStats = field(default_factory=LevelStats)
    compactions: dict[int, LevelStats] = field(default_factory=dict)
    snapshots: LevelStats = field(default_factory=LevelStats)
    checkpoints: Counter[str] = field(default_factory=Counter)
    checkpoint_times: list[float] = field(default_factory=list)
    checkpoint_notes: Counter[str] = field(default_factory=Counter)
    replica_syncs: int = 0
    max_lag: int | None = None
    uploads_per_min: Series = field(default_factory=Series)
    lag_per_min: Series = field(default_factory=Series)
    errors: dict[str, ErrorClass] = field(default_factory=dict)
    warnings: dict[str, ErrorClass] = field(default_factory=dict)
    error_times: list[float] = field(default_factory=list)
    crash_lines: list[str] = field(default_factory=list)
    shutdown_signal_t: float | None = None
    shutdown_done_t: float | None = None
    last_success: dict[str, float] = field(default_factory=dict)
    recovery_after: dict[float, float] = field(default_factory=dict)  # fault end -> first L0 upload after it

    @property
    def events(self) -> int:
        return self.uploads.count + sum(s.count for s in self.compactions.values()) + self.snapshots.count

    def error_total(self, *, kind: str = "count") -> int:
        return sum(getattr(c, kind) for c in self.errors.values())


class LitestreamLogScanner:
    """Fills a LogStats from one pass over a log file; errors are reconciled block by block."""

    def __init__(
        self,
        path: Path,
        faults: FaultWindows | None = None,
        fault_ends: list[float] | None = None,
        *,
        count_lines: bool = False,
    ) -> None:
        self.count_lines = count_lines
        self.stats = LogStats(path=str(path))
        self.path = path
        self.faults = faults or FaultWindows()
        self._fault_ends = deque(sorted(fault_ends or []))
        self._pending: dict[str, deque[Pending]] = {}
        self._upload_minutes: Counter[bytes] = Counter()  # "2026-12-01T07:00" -> uploads (text fast path)
        self._lag_minutes: dict[bytes, int] = {}
        self._zone: bytes | None = None
        self._info: dict[str, Callable[[bytes, float | None], None]] = {
            "ltx file uploaded": self._upload,
            "compaction complete": self._compaction,
            "snapshot complete": self._snapshot,
            "replica sync": self._replica_sync,
            "litestream": self._startup,
            "starting compaction monitor": self._monitor_started,
            "replicating to": self._replicating_to,
            "signal received, litestream shutting down": self._shutdown_signal,
            "subprocess exited, litestream shutting down": self._shutdown_signal,
            "litestream shut down": self._shutdown_done,
            "replica sync recovered": lambda line, t: self._success("replicate", t),
            "sync recovered": lambda line, t: self._success("sync", t),
            "shutdown sync succeeded after retry": lambda line, t: self._success("shutdown_sync", t),
            "l0 retention enforced": lambda line, t: self._success("retention", t),
            "forcing truncate checkpoint": lambda line, t: self._checkpoint_note("forced truncate", t),
            "checkpoint skipped, snapshot in progress": lambda line, t: self._checkpoint_note("skipped", t),
            "wal restarted by passive checkpoint, skipping truncate checkpoint": lambda line, t: self._checkpoint_note(
                "wal restarted", t
            ),
        }

    # -- the pass ---------------------------------------------------------------------------------
    def scan(self) -> LogStats:
        reader = BlockReader(self.path, count_lines=self.count_lines)
        for block in reader.blocks():
            self._block(block)
            self._reconcile()
        self._finish()
        stats = self.stats
        stats.size_bytes = reader.bytes_read
        stats.lines = reader.lines if self.count_lines else None
        stats.dropped_bytes = reader.dropped_bytes
        stats.truncated_last_line = reader.truncated_last_line
        return stats

    def _block(self, block: bytes) -> None:
        markers: list[tuple[bytes, str]] = []
        self._edges(block)
        if b"time=" in block:
            self.stats.formats.add("text")
            self._fast_info(block, _TEXT_FAST)  # the first marker, with fast paths
            markers.extend(_TEXT_MARKERS[1:])
        if b'{"time":"' in block:
            self.stats.formats.add("json")
            self._fast_info(block, _JSON_FAST)
            markers.extend(_JSON_MARKERS[1:])
        for marker, kind in markers:
            find = block.find
            pos = find(marker)
            while pos >= 0:
                nxt, line = line_around(block, pos)
                self._line(kind, line, pos - (block.rfind(b"\n", 0, pos) + 1), marker)
                pos = find(marker, nxt)
        for marker in _CRASH_MARKERS:
            pos = block.find(marker)
            while pos >= 0:
                nxt, line = line_around(block, pos)
                if pos == 0 or block[pos - 1 : pos] == b"\n":
                    self._crash(line)
                pos = block.find(marker, nxt)

    def _fast_info(self, block: bytes, fmt: _FastFormat) -> None:
        """The hot loop: every INFO line of one handler format. Uploads and ``replica sync`` (most of
        them) are read inline at known offsets; their precise times are parsed only where needed (the
        last upload of the block, fault recovery). Other messages go to their handlers."""
        find, rfind = block.find, block.rfind
        marker, skip, at_time = fmt.marker, len(fmt.marker), fmt.time_at
        upload_minutes = self._upload_minutes
        lag_minutes = self._lag_minutes
        up = self.stats.uploads
        last_upload = -1
        syncs = uploads = upload_bytes = 0
        upload, size_key, sync = fmt.upload, fmt.size, fmt.sync
        size_skip = len(size_key)
        scope_key, replica_key, db_key = fmt.txid_scope, fmt.replica, fmt.db
        r_skip, d_skip = len(replica_key), len(db_key)
        pos = find(marker)
        while pos >= 0:
            ms = pos + skip
            if block.startswith(upload, ms):
                start = rfind(b"\n", 0, pos) + 1
                end = find(b"\n", ms)
                if end < 0:
                    end = len(block)
                uploads += 1
                upload_minutes[block[start + at_time : start + at_time + 16]] += 1
                at = rfind(size_key, ms, end)
                if at > 0:
                    try:  # noqa: SIM105 - contextlib.suppress costs too much in this loop
                        upload_bytes += int(block[at + size_skip : end].rstrip(b"}\r"))
                    except ValueError:
                        pass
                last_upload = start
                if self._fault_ends or self.faults.windows:
                    self._upload(block[start:end], line_time(block[start:end]), counted=True)
                pos = find(marker, end)
            elif block.startswith(sync, ms):
                syncs += 1
                end = find(b"\n", ms)
                if end < 0:
                    end = len(block)
                scope = find(scope_key, ms, end) if scope_key else ms
                at_r = find(replica_key, scope, end)
                at_d = find(db_key, scope, end)
                if scope >= 0 and at_r > 0 and at_d > 0:
                    try:
                        lag = int(block[at_d + d_skip : at_d + d_skip + 16], 16) - int(
                            block[at_r + r_skip : at_r + r_skip + 16], 16
                        )
                    except ValueError:
                        lag = -1
                    start = rfind(b"\n", 0, pos) + 1
                    key = block[start + at_time : start + at_time + 16]
                    if lag > lag_minutes.get(key, -1):
                        lag_minutes[key] = lag
                pos = find(marker, end)
            else:
                start = rfind(b"\n", 0, pos) + 1
                end = find(b"\n", ms)
                if end < 0:
                    end = len(block)
                self._line("info", block[start:end], pos - start, marker)
                pos = find(marker, end)
        self.stats.replica_syncs += syncs
        up.count += uploads
        up.bytes += upload_bytes
        if last_upload >= 0:
            end = find(b"\n", last_upload)
            line = block[last_upload : end if end >= 0 else len(block)]
            t = line_time(line)
            self._success("replicate", t)
            txid = txid_value(attr(line, b"maxTXID"))
            if txid and txid > up.max_txid:
                up.max_txid = txid
            if self._zone is None and t is not None:
                self._zone = _zone_of(line)

    def _edges(self, block: bytes) -> None:
        """First and last timed line of the log (checked on every block: blocks come in order)."""
        if self.stats.first_t is None:
            for line in block[:65536].splitlines():
                t = line_time(line)
                if t is not None:
                    self.stats.first_t = t
                    break
        end = len(block)
        for _ in range(50):
            start = block.rfind(b"\n", 0, end - 1) + 1
            t = line_time(block[start:end])
            if t is not None:
                self.stats.last_t = t
                return
            if start == 0:
                return
            end = start

    def _line(self, kind: str, line: bytes, offset: int, marker: bytes) -> None:
        t = line_time(line)
        if kind == "info":
            start = offset + len(marker)
            if marker.endswith(b'"'):  # JSON: msg value starts here
                end = line.find(b'"', start)
            elif line[start : start + 1] == b'"':
                start += 1
                end = line.find(b'"', start)
            else:
                end = line.find(b" ", start)
            msg = line[start : end if end >= 0 else len(line)].decode("utf-8", "replace")
            handler = self._info.get(msg)
            if handler is not None:
                handler(line, t)
        elif kind == "checkpoint":
            mode = text_value(attr(line, b"mode")) or "unknown"
            self.stats.checkpoints[mode] += 1
            if t is not None:
                self.stats.checkpoint_times.append(t)
        else:
            self._problem("ERROR" if kind == "error" else "WARN", line, t)

    # -- INFO handlers ----------------------------------------------------------------------------
    def _upload(self, line: bytes, t: float | None, *, counted: bool = False) -> None:
        up = self.stats.uploads
        if not counted:
            up.count += 1
            up.bytes += int_value(attr(line, b"size", after_msg=True)) or 0
            txid = txid_value(attr(line, b"maxTXID"))
            if txid and txid > up.max_txid:
                up.max_txid = txid
            if t is not None:
                self.stats.uploads_per_min.add(t)
        if t is not None:
            self._success("replicate", t)
            while self._fault_ends and self._fault_ends[0] <= t:
                self.stats.recovery_after[self._fault_ends.popleft()] = t
            self.faults.uploaded(t)

    def _compaction(self, line: bytes, t: float | None) -> None:
        level = int_value(attr(line, b"level", after_msg=True))
        if level is None:
            return
        stats = self.stats.compactions.setdefault(level, LevelStats())
        self._level_event(stats, line, t, txid_value(attr(line, b"txid.max") or attr(line, b"max")))
        if t is not None:
            self._success(f"compact_l{level}", t)

    def _snapshot(self, line: bytes, t: float | None) -> None:
        self._level_event(self.stats.snapshots, line, t, txid_value(attr(line, b"txid", after_msg=True)))
        if t is not None:
            self._success("compact_l9", t)

    @staticmethod
    def _level_event(stats: LevelStats, line: bytes, t: float | None, txid: int | None) -> None:
        stats.count += 1
        stats.bytes += int_value(attr(line, b"size", after_msg=True)) or 0
        if t is not None:
            stats.times.append(t)
        if txid and txid > stats.max_txid:
            stats.max_txid = txid

    def _replica_sync(self, line: bytes, t: float | None) -> None:
        self.stats.replica_syncs += 1
        local = txid_value(attr(line, b"txid.db"))
        remote = txid_value(attr(line, b"txid.replica"))
        if local is None or remote is None:
            fields = json_fields(line) if line.startswith(b"{") else None
            txid = fields.get("txid") if fields else None
            if isinstance(txid, dict):
                local, remote = (
                    int_value(str(txid.get("db", "")).encode(), 16),
                    int_value(str(txid.get("replica", "")).encode(), 16),
                )
        if local is None or remote is None:
            return
        lag = max(0, local - remote)
        if self.stats.max_lag is None or lag > self.stats.max_lag:
            self.stats.max_lag = lag
        if t is not None:
            self.stats.lag_per_min.maximum(t, lag)

    def _startup(self, line: bytes, t: float | None) -> None:
        self.stats.startups += 1
        self.stats.version = text_value(attr(line, b"version")) or self.stats.version

    def _monitor_started(self, line: bytes, t: float | None) -> None:
        level = int_value(attr(line, b"level", after_msg=True))
        interval = go_duration(text_value(attr(line, b"interval", after_msg=True)))
        if level is not None and interval:
            self.stats.configured_intervals[level] = interval

    def _replicating_to(self, line: bytes, t: float | None) -> None:
        for key in ("type", "bucket", "path", "region", "endpoint"):
            value = text_value(attr(line, key.encode(), after_msg=True))
            if value:
                self.stats.replica[key] = value

    def _shutdown_signal(self, line: bytes, t: float | None) -> None:
        self.stats.shutdown_signal_t = t

    def _shutdown_done(self, line: bytes, t: float | None) -> None:
        self.stats.shutdown_done_t = t

    def _checkpoint_note(self, note: str, t: float | None) -> None:
        self.stats.checkpoint_notes[note] += 1

    # -- errors, warnings, crashes ----------------------------------------------------------------
    def _problem(self, level: str, line: bytes, t: float | None) -> None:
        if line.startswith(b"{"):
            fields = json_fields(line) or {}
            msg = str(fields.get("msg", "")) or None
            error = fields.get("error")
            error_text = str(error) if error is not None else None
            ltx_level = fields.get("level") if isinstance(fields.get("level"), int) else None
        else:
            msg = message(line)
            error_text = text_value(attr(line, b"error", after_msg=True))
            ltx_level = int_value(attr(line, b"level", after_msg=True))
        cls = errclass.classify(error_text, msg).cls
        op = errclass.operation(msg, ltx_level)
        table = self.stats.errors if (severity(line) or level) == "ERROR" else self.stats.warnings
        bucket = table.setdefault(cls, ErrorClass())
        bucket.count += 1
        bucket.ops[op] += 1
        if len(bucket.examples) < EXAMPLES_PER_CLASS:
            bucket.examples.append(line[:600].decode("utf-8", "replace"))
        if t is not None:
            bucket.first_t = t if bucket.first_t is None else min(bucket.first_t, t)
            bucket.last_t = t if bucket.last_t is None else max(bucket.last_t, t)
            if table is self.stats.errors and len(self.stats.error_times) < MAX_MARKERS:
                self.stats.error_times.append(t)
        kind = "ERROR" if table is self.stats.errors else "WARN"
        if t is not None and cls != "corruption" and self.faults.contains(t, cls, error=kind == "ERROR"):
            bucket.expected += 1
        elif t is None or op == "other":
            bucket.persistent += 1
        else:
            self._pending.setdefault(op, deque()).append(Pending(t, cls, kind))

    def _crash(self, line: bytes) -> None:
        if len(self.stats.crash_lines) < 20:
            self.stats.crash_lines.append(line[:300].decode("utf-8", "replace"))

    def _success(self, op: str, t: float | None) -> None:
        if t is not None and t > self.stats.last_success.get(op, float("-inf")):
            self.stats.last_success[op] = t

    def _reconcile(self) -> None:
        """Errors followed by a success of the same operation are transient."""
        for op, queue in self._pending.items():
            done = self.stats.last_success.get(op)
            while queue and done is not None and queue[0].t < done:
                item = queue.popleft()
                self._table(item)[item.cls].transient += 1

    def _table(self, item: Pending) -> dict[str, ErrorClass]:
        return self.stats.errors if item.severity == "ERROR" else self.stats.warnings

    def _finish(self) -> None:
        zone = self._zone or b"Z"
        for key, count in self._upload_minutes.items():
            t = parse_time(key + b":00" + zone)
            if t is not None:
                self.stats.uploads_per_min.add(t, count)
        for key, lag in self._lag_minutes.items():
            t = parse_time(key + b":00" + zone)
            if t is not None:
                self.stats.lag_per_min.maximum(t, lag)
                if self.stats.max_lag is None or lag > self.stats.max_lag:
                    self.stats.max_lag = lag
        self._reconcile()
        for queue in self._pending.values():
            for item in queue:
                self._table(item)[item.cls].persistent += 1
            queue.clear()


def _int(raw: bytes, base: int = 10) -> int:
    try:
        return int(raw, base)
    except ValueError:
        return 0


def _zone_of(line: bytes) -> bytes:
    """``Z`` or ``+hh:mm`` of a line's time, for turning minute keys back into epochs."""
    token = time_token(line) or b""
    at = max(token.rfind(b"+"), token.rfind(b"-"), token.rfind(b"Z"))
    return token[at:] if at > 16 else b"Z"


def go_duration(text: str | None) -> float | None:
    """Seconds in a Go duration as slog prints it (``1m0s``, ``30s``) or JSON nanoseconds."""
    if not text:
        return None
    if text.isdigit():
        return int(text) / 1e9
    try:
        return parse_duration(text)
    except UserError:
        return None


COUNT_LINES_BELOW = 64 * 1024 * 1024


def scan_litestream_log(
    path: Path,
    faults: FaultWindows | None = None,
    fault_ends: list[float] | None = None,
    *,
    count_lines: bool | None = None,
) -> LogStats:
    """Scan one log; lines are counted (one extra pass) by default only below COUNT_LINES_BELOW."""
    if count_lines is None:
        try:
            count_lines = path.stat().st_size < COUNT_LINES_BELOW
        except OSError:
            count_lines = False
    stats = LitestreamLogScanner(path, faults, fault_ends, count_lines=count_lines).scan()
    if faults is not None:
        faults.settle()
    return stats
