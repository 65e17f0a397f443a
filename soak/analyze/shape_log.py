"""The lines of litestream.log that say what shape the replica has: L0 uploads, snapshot syncs, checkpoints,
snapshots, compactions and startups, each with its time (one pass, per-block substring search).

The messages are Litestream v0.5's own (read at v0.5.16): ``replica.go`` logs ``ltx file uploaded`` (INFO, with
``level minTXID maxTXID size``) for every L0 file; ``db.go`` logs ``sync`` (DEBUG) with ``snap=true`` and a
``reason`` when a sync writes a full snapshot into L0, and ``checkpoint`` (DEBUG) with ``mode``; ``store.go`` logs
``snapshot complete`` and ``compaction complete`` (INFO, with ``level``). Upstream's behaviour suite
(tests/integration/ltx_assertions.go) reads the same lines. Text and JSON handlers are both read.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path

from soak.logs.blocks import BlockReader, line_around
from soak.logs.line import attr, int_value, line_time, text_value, txid_value

# (substring, kind) per handler format; a line is parsed only when it holds one of them.
_MARKERS = (
    (b'ltx file uploaded"', "upload"),
    (b" snap=true", "snap_sync"),
    (b'"snap":"true"', "snap_sync"),
    (b" msg=checkpoint ", "checkpoint"),
    (b'"msg":"checkpoint"', "checkpoint"),
    (b'snapshot complete"', "snapshot"),
    (b'compaction complete"', "compaction"),
    (b" msg=litestream ", "startup"),
    (b'"msg":"litestream"', "startup"),
)
LARGEST_KEPT = 5


@dataclass(frozen=True, order=True)
class L0File:
    """One uploaded L0 file as its log line says."""

    size: int
    t: float | None
    min_txid: int | None
    max_txid: int | None


@dataclass(frozen=True)
class SnapSync:
    """A sync that wrote a snapshot into L0 (``snap=true``), with the reason Litestream gave."""

    t: float | None
    db: str
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    t: float | None
    db: str
    mode: str


@dataclass
class ShapeEvents:
    """What the pass found. Sizes of every L0 file are kept (one int each) to count them against a bound later;
    only the LARGEST_KEPT largest keep their time and TXID range."""

    l0_sizes: list[int] = field(default_factory=list)
    largest_l0: list[L0File] = field(default_factory=list)  # a min-heap while scanning, sorted after
    snap_syncs: list[SnapSync] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    snapshot_times: list[float] = field(default_factory=list)
    compaction_times: dict[int, list[float]] = field(default_factory=dict)
    startup_times: list[float] = field(default_factory=list)
    first_t: float | None = None
    last_t: float | None = None
    debug_lines: bool = False  # any DEBUG line at all: checkpoints and snapshot syncs are logged at DEBUG only

    @property
    def span_s(self) -> float | None:
        if self.first_t is None or self.last_t is None:
            return None
        return self.last_t - self.first_t

    def add_l0(self, item: L0File) -> None:
        self.l0_sizes.append(item.size)
        if len(self.largest_l0) < LARGEST_KEPT:
            heapq.heappush(self.largest_l0, item)
        elif item.size > self.largest_l0[0].size:
            heapq.heapreplace(self.largest_l0, item)


def scan_shape(path: Path) -> ShapeEvents:
    """One pass over ``path``; lines without a marker are never parsed."""
    events = ShapeEvents()
    for block in BlockReader(path, count_lines=False).blocks():
        if not events.debug_lines and (b" level=DEBUG " in block or b'"level":"DEBUG"' in block):
            events.debug_lines = True
        hits: list[tuple[int, str, bytes]] = []
        for marker, kind in _MARKERS:
            pos = block.find(marker)
            while pos >= 0:
                nxt, line = line_around(block, pos)
                hits.append((nxt, kind, line))
                pos = block.find(marker, nxt)
        for _, kind, line in sorted(hits, key=lambda hit: hit[0]):  # in log order
            _event(events, kind, line)
        _edges(events, block)
    events.largest_l0.sort(reverse=True)
    for times in (events.snapshot_times, events.startup_times, *events.compaction_times.values()):
        times.sort()
    return events


def _event(events: ShapeEvents, kind: str, line: bytes) -> None:
    t = line_time(line)
    if kind == "upload":
        level = int_value(attr(line, b"level", after_msg=True))
        size = int_value(attr(line, b"size", after_msg=True))
        if level == 0 and size is not None:
            events.add_l0(L0File(size, t, txid_value(attr(line, b"minTXID")), txid_value(attr(line, b"maxTXID"))))
    elif kind == "snap_sync":
        if text_value(attr(line, b"msg")) == "sync":
            db = text_value(attr(line, b"db")) or ""
            events.snap_syncs.append(SnapSync(t, db, text_value(attr(line, b"reason", after_msg=True)) or ""))
    elif kind == "checkpoint":
        db = text_value(attr(line, b"db")) or ""
        events.checkpoints.append(Checkpoint(t, db, text_value(attr(line, b"mode", after_msg=True)) or ""))
    elif t is None:
        return
    elif kind == "snapshot":
        events.snapshot_times.append(t)
    elif kind == "compaction":
        level = int_value(attr(line, b"level", after_msg=True))
        if level is not None:
            events.compaction_times.setdefault(level, []).append(t)
    elif kind == "startup":
        events.startup_times.append(t)


def _edges(events: ShapeEvents, block: bytes) -> None:
    """The first and last timed line of the log (blocks come in order; only a block's ends are looked at)."""
    if events.first_t is None:
        events.first_t = next((t for line in block[:65536].splitlines() if (t := line_time(line)) is not None), None)
    end = len(block)
    for _ in range(200):
        start = block.rfind(b"\n", 0, end - 1) + 1
        t = line_time(block[start:end])
        if t is not None:
            events.last_t = t
            return
        if start == 0:
            return
        end = start
