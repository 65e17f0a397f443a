"""The soak's parameters: parsed and checked before anything slow starts, plus the disk they will need."""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.settings import SETTINGS
from common.timestamps import run_stamp
from common.units import format_bytes, parse_duration, parse_size
from soak.run.litestream_config import L0_RETENTION_S, Schedule
from soak.rundir import RunDir

PATTERNS = ("constant", "burst", "random", "wave")
REPLICAS = ("s3", "file")
# Share of load ticks that fire, per pattern (calculateRate in Litestream's cmd/litestream-test/load.go):
# burst is 3 s on / 7 s off, random fires ~75 %, wave 60-100 % (mean ~0.87); any other pattern runs as constant.
_PATTERN_DUTY = {"constant": 1.0, "burst": 0.3, "random": 0.75, "wave": 0.87}
_PAGE = 4096
# A load_test row besides its payload: text_field "load_<unixnano>", two integers, record header, cell header.
_ROW_OVERHEAD = 50
_INDEX_ENTRY = 24


@dataclass(frozen=True)
class SoakParams:
    """Validated flags of ``soak.overnight``; durations in seconds, sizes in bytes."""

    duration_s: float
    initial_size_bytes: int
    write_rate: int
    pattern: str
    payload_size: int
    workers: int
    read_ratio: float
    interval_s: float
    replica: str
    bucket: str
    region: str
    endpoint: str
    prefix: str
    test_dir: Path
    bin_dir: Path | None
    src_dir: Path | None
    stamp: str
    s3_dir: Path | None = None  # --s3-dir: where the embedded S3 keeps the bucket; None: <run dir>/s3
    release: str | None = None  # --litestream: ``latest`` or vX.Y.Z, resolved to vX.Y.Z by the task before the run

    @property
    def embedded(self) -> bool:
        """No bucket configured: the soak brings its own S3 (versitygw on loopback, soak.run.s3_server)."""
        return self.replica == "s3" and not self.bucket

    @property
    def embedded_dir(self) -> Path:
        """The directory the embedded S3 serves: ``--s3-dir``, else ``<run dir>/s3``."""
        return self.s3_dir if self.s3_dir is not None else RunDir(self.test_dir).s3_data

    def for_run_json(self) -> dict[str, Any]:
        """The ``params`` object of run.json (docs/rundir.md)."""
        keys = ("duration_s", "initial_size_bytes", "write_rate", "pattern", "payload_size", "workers")
        data = {k: v for k, v in asdict(self).items() if k in keys}
        data.update(read_ratio=self.read_ratio, interval_s=self.interval_s, replica=self.replica)
        return data


def _positive_int(text: object, flag: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise UserError(f"--{flag} {text!r} is not a whole number; give a positive integer") from None
    if value <= 0:
        raise UserError(f"--{flag} must be greater than zero (got {value})")
    return value


def _ratio(text: object) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise UserError(f"--read-ratio {text!r} is not a number; give a fraction between 0 and 1") from None
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise UserError(f"--read-ratio must be between 0 and 1 (got {value}); it is the share of ticks that read")
    return value


def _positive_duration(text: str, flag: str) -> float:
    value = parse_duration(text, name=flag)
    if value <= 0:
        raise UserError(f"--{flag} must be longer than zero (got {text!r})")
    return value


def _region(region: str | None) -> str:
    """None: not given anywhere, so the default; given but empty is a mistake worth one line."""
    if region is None:
        return SETTINGS["s3.region"].default
    if not region.strip():
        raise UserError("the S3 region is empty; pass --region, or set AWS_REGION or s3.region to e.g. us-east-1")
    return region.strip()


def _empty_or_absent(path: Path) -> Path:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"--test-dir {path} is not empty; give a new or empty directory so no earlier run is mixed in")
    return path


def parse_params(
    *,
    duration: str,
    initial_size: str,
    write_rate: object,
    pattern: str,
    payload_size: object,
    workers: object,
    read_ratio: object,
    interval: str,
    replica: str,
    bucket: str | None,
    region: str | None,
    endpoint: str | None,
    prefix: str | None,
    test_dir: str | None,
    bin_dir: str | None,
    src_dir: str | None,
    s3_dir: str | None = None,
    release: str | None = None,
    now: datetime | None = None,
) -> SoakParams:
    """Check every flag; any bad one is a UserError naming the flag and the fix."""
    stamp = run_stamp(now)
    size = parse_size(initial_size, name="initial-size")
    if size <= 0:
        raise UserError(f"--initial-size must be larger than zero (got {initial_size!r})")
    rate = _positive_int(write_rate, "write-rate")
    nworkers = _positive_int(workers, "workers")
    if nworkers > rate:
        raise UserError(
            f"--workers {nworkers} is greater than --write-rate {rate}; litestream-test gives each worker "
            "write-rate/workers ticks per second (integer division) and crashes on zero: lower --workers"
        )
    if pattern not in PATTERNS:
        raise UserError(
            f"--pattern {pattern!r} is unknown (litestream-test would silently run it as constant); "
            f"choose one of {', '.join(PATTERNS)}"
        )
    if replica not in REPLICAS:
        raise UserError(f"--replica {replica!r} is unknown; choose s3 or file")
    given = [flag for flag, value in (("--src", src_dir), ("--bin", bin_dir), ("--litestream", release)) if value]
    if len(given) > 1:
        raise UserError(
            f"{' and '.join(given)} were given together; give exactly one of --src DIR (build a checkout), --bin DIR "
            "(existing binaries) or --litestream vX.Y.Z|latest (a release from the Go module proxy)"
        )
    chosen_bucket = (bucket or "").strip()
    if endpoint and not chosen_bucket and replica == "s3":
        raise UserError(
            "--endpoint needs a bucket there: pass --bucket or set S3_BUCKET (without both, the "
            "soak uses its embedded local S3)"
        )
    if s3_dir and not (replica == "s3" and not chosen_bucket):
        raise UserError(
            "--s3-dir is where the embedded S3 keeps its bucket; it does not apply with --bucket or --replica file: "
            "drop one of them"
        )
    default_dir = Path(tempfile.gettempdir()) / RunDir.default_name(stamp)
    return SoakParams(
        duration_s=_positive_duration(duration, "duration"),
        initial_size_bytes=size,
        write_rate=rate,
        pattern=pattern,
        payload_size=_positive_int(payload_size, "payload-size"),
        workers=nworkers,
        read_ratio=_ratio(read_ratio),
        interval_s=_positive_duration(interval, "interval"),
        replica=replica,
        bucket=chosen_bucket,
        region=_region(region),
        endpoint=(endpoint or "").strip().rstrip("/"),
        prefix=(prefix or f"litestream-overnight-{stamp}").strip("/"),
        test_dir=_empty_or_absent(Path(test_dir).expanduser().resolve() if test_dir else default_dir),
        bin_dir=Path(bin_dir).expanduser().resolve() if bin_dir else None,
        src_dir=Path(src_dir).expanduser().resolve() if src_dir else None,
        stamp=stamp,
        s3_dir=_s3_dir(s3_dir) if s3_dir else None,
        release=release.strip() if release else None,
    )


def _s3_dir(text: str) -> Path:
    path = Path(text).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UserError(f"--s3-dir {path} is not a directory; give a directory (created if missing)")
    return path


def writes_per_second(p: SoakParams) -> float:
    """Expected inserts/s: integer ticks per worker, minus reads, times the pattern's duty.

    litestream-test load gives each worker ``write_rate // workers`` ticks per second (integer division), and a tick
    reads instead of writing with probability ``read_ratio`` (cmd/litestream-test/load.go)."""
    ticks = p.workers * (p.write_rate // p.workers)
    return ticks * (1.0 - p.read_ratio) * _PATTERN_DUTY[p.pattern]


def bytes_per_row(payload: int, page: int = _PAGE) -> float:
    """Disk bytes one load_test row takes, with SQLite's overflow-page rule for big payloads."""
    usable = page
    record = payload + _ROW_OVERHEAD
    max_local = usable - 35
    min_local = (usable - 12) * 32 // 255 - 23
    if record <= max_local:
        return record + 4 + _INDEX_ENTRY
    local = min_local + (record - min_local) % (usable - 4)
    if local > max_local:
        local = min_local
    overflow_pages = math.ceil((record - local) / (usable - 4))
    return overflow_pages * page + local + 4 + _INDEX_ENTRY


@dataclass(frozen=True)
class DiskEstimate:
    """What the run will put on local disks: the growing source, its restore, WAL and staging; and, with the
    embedded S3, the bucket (``replica_bytes`` under ``replica_dir``)."""

    growth_bytes: int
    needed_bytes: int  # database side, under the run directory
    replica_bytes: int = 0  # the embedded S3's bucket; 0 for a remote bucket or a file replica
    replica_dir: Path | None = None

    def describe(self) -> str:
        text = f"database grows by ~{human_bytes(self.growth_bytes)}; needs ~{human_bytes(self.needed_bytes)} free disk"
        if self.replica_dir is not None:
            text += f", plus ~{human_bytes(self.replica_bytes)} for the embedded S3's bucket in {self.replica_dir}"
        return text


# Compacted level files rewrite the b-tree pages each insert touches (leaf, index, interior) besides the new ones.
_LEVEL_PAGE_FACTOR = 1.5
_L0_PAGE_FACTOR = 4.0  # each L0 file (one transaction) carries every page it touched, ~4 per inserted row


def replica_bytes(p: SoakParams, schedule: Schedule) -> int:
    """What the bucket will hold at its fullest, by litestream's retention rules (EnforceSnapshotRetention).

    Snapshots: one per snapshot interval, each the whole database at that moment, kept for the retention (plus the
    one just taken before retention runs, plus one being assembled from its multipart parts). Levels L1..Ln: each
    holds the changes since the last expired snapshot (retention plus one interval), compacted. L0: the last
    l0-retention of transactions.
    """
    rate = writes_per_second(p) * bytes_per_row(p.payload_size)  # database growth, bytes per second
    final = p.initial_size_bytes + rate * p.duration_s
    interval, retention = schedule.snapshot_interval_s, schedule.snapshot_retention_s
    taken = int(p.duration_s // interval) + 1  # the first snapshot comes right after the start
    kept = min(taken, retention // interval + 2)
    snapshots = sum(max(p.initial_size_bytes, final - k * interval * rate) for k in range(kept)) + final
    window = min(p.duration_s, retention + interval)
    levels = len(schedule.levels_s) * rate * window * _LEVEL_PAGE_FACTOR
    l0 = rate * min(p.duration_s, L0_RETENTION_S) * _L0_PAGE_FACTOR
    return int(snapshots + levels + l0)


def estimate_disk(p: SoakParams, schedule: Schedule | None = None) -> DiskEstimate:
    """Growth from the load, then twice the final database (source + restored) plus WAL and L0 staging room;
    with the embedded S3, what its bucket will hold."""
    growth = int(writes_per_second(p) * p.duration_s * bytes_per_row(p.payload_size))
    final = p.initial_size_bytes + growth
    wal_and_staging = 2 * 64 * 1024**2
    needed = 2 * final + wal_and_staging
    if not p.embedded:
        return DiskEstimate(growth_bytes=growth, needed_bytes=needed)
    bucket = replica_bytes(p, schedule or Schedule())
    return DiskEstimate(growth_bytes=growth, needed_bytes=needed, replica_bytes=bucket, replica_dir=p.embedded_dir)


def _existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def check_free_disk(p: SoakParams, estimate: DiskEstimate) -> int:
    """Free bytes where the run directory goes; too few (counting the bucket when it is on the same disk) is a
    UserError before anything starts. A bucket elsewhere (``--s3-dir``) is checked against its own disk."""
    probe = _existing(p.test_dir)
    free = shutil.disk_usage(probe).free
    need = estimate.needed_bytes
    replica_probe = _existing(estimate.replica_dir) if estimate.replica_dir is not None else None
    same_disk = replica_probe is not None and replica_probe.stat().st_dev == probe.stat().st_dev
    if same_disk:
        need += estimate.replica_bytes
    if free < need:
        with_bucket = " with the embedded S3's bucket on the same disk" if same_disk else ""
        way_out = "pass --s3-dir DIR on another disk for the bucket, " if same_disk else ""
        raise UserError(
            f"the soak needs ~{human_bytes(need)} free under {probe}{with_bucket} ({estimate.describe()}), "
            f"but only {human_bytes(free)} is free; {way_out}free some space, pass --test-dir on a bigger disk, "
            "or shorten --duration"
        )
    if replica_probe is not None and not same_disk:
        replica_free = shutil.disk_usage(replica_probe).free
        if replica_free < estimate.replica_bytes:
            raise UserError(
                f"the embedded S3's bucket needs ~{human_bytes(estimate.replica_bytes)} free under {replica_probe} "
                f"(--s3-dir), but only {human_bytes(replica_free)} is free; pass --s3-dir on a bigger disk, "
                "or shorten --duration"
            )
    return free


human_bytes = format_bytes  # the one formatter of sizes, in common.units
