"""``litestream.yml`` for v0.5: the seed's schedule written with current keys only.

Litestream ignores unknown keys silently (yaml.v2, non-strict), so everything here is a key that
exists at v0.5.16 (cmd/litestream/main.go's Config), and the test suite loads the rendered file with the real binary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import UserError
from soak.run.s3 import S3Target


@dataclass(frozen=True)
class Schedule:
    """Snapshot/compaction/checkpoint cadence. Snapshot retention of 30m keeps 3-4 full snapshots of a growing
    database instead of every one for 30 days: still plenty to restore from, and at the default 8-hour load (~7 GB
    snapshots at the end) the embedded S3's bucket stays near 40 GB instead of the ~70 GB an hour's retention
    needs, so the default job fits a machine with ~70 GB free (README, "The embedded S3")."""

    snapshot_interval_s: int = 600
    snapshot_retention_s: int = 1800
    levels_s: tuple[int, ...] = (30, 60, 300, 900, 1800, 3600)
    checkpoint_interval_s: int = 30
    log_level: str = "DEBUG"  # checkpoint lines (msg=checkpoint) exist only at DEBUG
    log_type: str = "text"
    name: str = "default"


# litestream's l0-retention default (store.go DefaultL0Retention; litestream.yml leaves the key unset): an L0 file
# compacted into L1 is deleted once it is older than this, leaving only the compacted files' TXID boundaries.
L0_RETENTION_S = 300

# Named schedules for --schedule. "fast" is the short mode of Litestream's own LTX behaviour suite
# (tests/integration/soak_helpers.go CreateSoakConfig: snapshots every 30s, levels 15s/30s/1m), with a retention short
# enough that snapshots age out inside a 10-minute run, so point-in-time restores and the cadence criteria see
# retention and compaction boundaries in minutes instead of hours.
SCHEDULES: dict[str, Schedule] = {
    "default": Schedule(),
    "fast": Schedule(
        snapshot_interval_s=30,
        snapshot_retention_s=120,
        levels_s=(15, 30, 60),
        checkpoint_interval_s=10,
        name="fast",
    ),
}


def schedule_named(name: str) -> Schedule:
    """The schedule ``--schedule NAME`` asks for; an unknown name is one line listing the known ones."""
    try:
        return SCHEDULES[name.strip()]
    except KeyError:
        known = ", ".join(SCHEDULES)
        raise UserError(f"--schedule {name!r} is not a known schedule; use one of: {known}") from None


@dataclass(frozen=True)
class LitestreamConfig:
    db_path: Path
    metrics_addr: str
    schedule: Schedule = field(default_factory=Schedule)
    s3: S3Target | None = None
    file_replica: Path | None = None

    def replica(self) -> dict[str, Any]:
        if self.file_replica is not None:
            return {"type": "file", "path": str(self.file_replica)}
        assert self.s3 is not None
        rep: dict[str, Any] = {
            "type": "s3",
            "bucket": self.s3.bucket,
            "path": self.s3.prefix,
            "region": self.s3.region,
        }
        if self.s3.litestream_endpoint:
            rep.update({"endpoint": self.s3.litestream_endpoint, "force-path-style": True})
        return rep

    def document(self) -> dict[str, Any]:
        """The YAML document; credentials are never in it (litestream reads AWS_* from its environment)."""
        s = self.schedule
        return {
            "addr": self.metrics_addr,
            "logging": {"level": s.log_level.lower(), "type": s.log_type},
            "snapshot": {"interval": _go(s.snapshot_interval_s), "retention": _go(s.snapshot_retention_s)},
            "levels": [{"interval": _go(v)} for v in s.levels_s],
            "dbs": [
                {
                    "path": str(self.db_path),
                    "checkpoint-interval": _go(s.checkpoint_interval_s),
                    "replica": self.replica(),
                }
            ],
        }

    def render(self) -> str:
        return yaml.safe_dump(self.document(), sort_keys=False, default_flow_style=False)

    def write(self, path: Path) -> Path:
        path.write_text(self.render())
        return path

    def for_run_json(self) -> dict[str, Any]:
        s = self.schedule
        return {
            "schedule": s.name,
            "snapshot_interval_s": s.snapshot_interval_s,
            "snapshot_retention_s": s.snapshot_retention_s,
            "levels_s": list(s.levels_s),
            "checkpoint_interval_s": s.checkpoint_interval_s,
            "log_level": s.log_level,
            "log_type": s.log_type,
            "metrics_addr": self.metrics_addr,
        }


def _go(seconds: int) -> str:
    """A Go duration litestream's yaml parser accepts: 30s, 10m, 1h."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
