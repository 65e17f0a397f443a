"""The run directory's files (docs/rundir.md): paths, JSON writers and the result object."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds and a Z, the only time format of the run directory."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RunDir:
    """Where each artifact of one soak goes."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    @property
    def db(self) -> Path:
        return self.root / "test.db"

    @property
    def restored(self) -> Path:
        return self.root / "restored.db"

    @property
    def meta_dir(self) -> Path:
        return self.root / f".{self.db.name}-litestream"

    @property
    def config(self) -> Path:
        return self.root / "litestream.yml"

    @property
    def file_replica(self) -> Path:
        return self.root / "replica"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    def create(self) -> RunDir:
        self.logs.mkdir(parents=True, exist_ok=True)
        return self

    def write_json(self, name: str, data: dict[str, Any]) -> Path:
        """Write atomically, so a reader (or an interrupt) never sees half a file."""
        path = self.root / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION, **data}, indent=2) + "\n")
        os.replace(tmp, path)
        return path

    def append_metrics(self, tick: dict[str, Any]) -> None:
        with self.metrics.open("a") as fh:
            fh.write(json.dumps({"schema_version": SCHEMA_VERSION, **tick}) + "\n")


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail, "value": self.value}


@dataclass
class Result:
    """result.json as it builds up; ``status`` is decided at the end."""

    started_at: str
    phase: str = "params"
    reason: str | None = None
    interrupted_by: str | None = None
    checks: list[Check] = field(default_factory=list)
    rows_written: int | None = None
    tables: dict[str, Any] = field(default_factory=dict)
    catch_up: dict[str, Any] | None = None
    crash: dict[str, Any] | None = None

    def check(self, name: str, passed: bool, detail: str, value: Any = None) -> bool:
        self.checks.append(Check(name, passed, detail, value))
        if not passed and self.reason is None:
            self.reason = f"{name}: {detail}"
        return passed

    @property
    def status(self) -> str:
        if self.interrupted_by:
            return "interrupted"
        names = {c.name for c in self.checks}
        complete = {"no_crash", "catch_up", "restore", "integrity", "row_counts", "digests"} <= names
        return "pass" if complete and self.reason is None and all(c.passed for c in self.checks) else "fail"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": utc_now(),
            "phase": self.phase,
            "reason": self.reason,
            "checks": [c.to_json() for c in self.checks],
            "rows_written": self.rows_written,
            "tables": self.tables,
            "catch_up": self.catch_up,
            "crash": self.crash,
        }
