"""One look at a running soak per ``--interval``: a metrics.jsonl object and a block in monitor.log.

Each tick costs one paginated S3 listing (the old script listed the bucket four times a minute).
Hooks run after the measurements and may add fault events (a later fault layer uses them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import botocore.exceptions

from common.processes import Child
from common.timestamps import utc_now
from common.units import format_duration
from soak.logs.live_counts import LogCounts, LogTail
from soak.run.db_compare import count_rows
from soak.run.params import human_bytes
from soak.run.s3 import Listing, local_txid
from soak.rundir import RunDir

TickHook = Callable[[dict[str, Any]], list[dict[str, Any]] | None]


class Lister(Protocol):
    def listing(self, level: int | None = None) -> Listing: ...


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass
class Totals:
    """Running sums for the status line."""

    uploads: int = 0
    errors: int = 0
    warnings: int = 0
    rows: int | None = None
    objects: int | None = None
    lag: int | None = None


@dataclass
class Monitor:
    dirs: RunDir
    lister: Lister
    litestream: Child
    load: Child
    duration_s: float
    hooks: list[TickHook] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    ticks: int = 0
    s3_requests: int = 0
    wal_peak_bytes: int = 0  # the largest WAL seen by sample() since the last tick
    wal_peak_run: int = 0  # and over the whole run
    _tail: LogTail | None = None

    def __post_init__(self) -> None:
        self.litestream.usage()  # psutil's CPU baseline, so the first tick has a real percentage

    @property
    def log_tail(self) -> LogTail:
        if self._tail is None:
            self._tail = LogTail(self.litestream.log)
        return self._tail

    def skip_existing_log(self) -> None:
        """Start counting after whatever the log already holds (e.g. an earlier run appended to it)."""
        self.log_tail.offset = _size(self.litestream.log)

    def sample(self) -> int:
        """One look at the WAL's size, between ticks (the soak's loop calls it every second): its peak is what
        shape criterion wal_bounded judges, and a tick alone would miss a WAL that grows and is truncated."""
        size = _size(self.dirs.wal)
        self.wal_peak_bytes = max(self.wal_peak_bytes, size)
        self.wal_peak_run = max(self.wal_peak_run, size)
        return size

    def tick(self, elapsed_s: float) -> dict[str, Any]:
        """Measure everything once, write it down, and return the metrics object."""
        listing, s3_error = self._list()
        counts = self.log_tail.read_new()
        local = local_txid(self.dirs.meta_dir)
        replica = listing.l0_max_txid if listing else None
        rows, rows_error = self._rows()
        ls_rss, ls_cpu = self.litestream.usage()
        s3: dict[str, Any] = listing.to_json() if listing else {"objects": None, "bytes": None, "requests": 0}
        if s3_error:
            s3["error"] = s3_error
        metrics: dict[str, Any] = {
            "t": utc_now(),
            "elapsed_s": round(elapsed_s, 3),
            "db_bytes": _size(self.dirs.db),
            "wal_bytes": self.sample(),
            "wal_peak_bytes": self.wal_peak_bytes,
            "s3": s3,
            "txid": {
                "local": local,
                "replica": replica,
                "lag": local - replica if local is not None and replica is not None else None,
            },
            "log": counts.to_json(),
            "litestream": {
                "alive": self.litestream.alive(),
                "pid": self.litestream.pid,
                "rss_bytes": ls_rss,
                "cpu_percent": ls_cpu,
            },
            "load": {"alive": self.load.alive(), "pid": self.load.pid},
            "rows": rows,
            "rows_total": sum(rows.values()) if rows else None,
            "faults": [],
        }
        if rows_error:
            metrics["rows_error"] = rows_error
        for hook in self.hooks:
            metrics["faults"].extend(hook(metrics) or [])
        self._remember(metrics, counts)
        self.wal_peak_bytes = 0
        self.dirs.append_metrics(metrics)
        with self.dirs.log("monitor").open("a") as fh:
            fh.write(render_block(metrics, self.duration_s))
        return metrics

    def _list(self) -> tuple[Listing | None, str | None]:
        try:
            listing = self.lister.listing()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as exc:
            return None, str(exc)[:300]
        self.s3_requests += listing.requests
        return listing, None

    def _rows(self) -> tuple[dict[str, int] | None, str | None]:
        try:
            return count_rows(self.dirs.db), None
        except Exception as exc:  # sqlite3.Error and "database is locked": a busy tick is not a failure
            return None, str(exc)

    def _remember(self, m: dict[str, Any], counts: LogCounts) -> None:
        self.ticks += 1
        t = self.totals
        t.uploads += counts.uploads
        t.errors += counts.errors
        t.warnings += counts.warnings
        t.rows = m["rows_total"] if m["rows_total"] is not None else t.rows
        t.objects = m["s3"]["objects"] if m["s3"]["objects"] is not None else t.objects
        t.lag = m["txid"]["lag"]


def render_block(m: dict[str, Any], duration_s: float) -> str:
    """The human view of one tick for logs/monitor.log."""
    s3 = m["s3"]
    levels = "  ".join(
        f"L{k}={v['objects']}/{human_bytes(v['bytes'])}/max {v['max_txid']:x}" for k, v in s3.get("levels", {}).items()
    )
    log = m["log"]
    comps = ",".join(f"L{k}={v}" for k, v in log["compactions"].items()) or "0"
    ls, load = m["litestream"], m["load"]
    rss = human_bytes(ls["rss_bytes"]) if ls["rss_bytes"] is not None else "-"
    s3_line = (
        f"s3 error: {s3['error']}"
        if "error" in s3
        else f"s3 {s3['objects']} objects {human_bytes(s3['bytes'])} (requests {s3['requests']})  {levels}"
    )
    return (
        f"[{m['t']}] elapsed {format_duration(m['elapsed_s'])} of {format_duration(duration_s)}\n"
        f"  db {human_bytes(m['db_bytes'])}  wal {human_bytes(m['wal_bytes'])}  rows {m['rows_total']} {m['rows']}\n"
        f"  {s3_line}\n"
        f"  txid local {m['txid']['local']} replica {m['txid']['replica']} lag {m['txid']['lag']}\n"
        f"  log: uploads {log['uploads']} compactions {comps} snapshots {log['snapshots']} "
        f"checkpoints {log['checkpoints']} errors {log['errors']} warnings {log['warnings']}\n"
        f"  litestream pid {ls['pid']} {'alive' if ls['alive'] else 'DEAD'} rss {rss} cpu {ls['cpu_percent']}%"
        f"  load pid {load['pid']} {'alive' if load['alive'] else 'DEAD'}\n"
    )
