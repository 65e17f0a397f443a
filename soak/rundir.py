"""The run directory of one soak, described once: where each file goes (RunDir), how the JSON is written, and
result.json as it builds up. Its JSON is defined in soak.rundir_schema; docs/rundir.md shows both.

The soak writes through RunDir and the analyzer reads through it, so no other module spells a file name.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.timestamps import parse_run_stamp, utc_now
from soak.rundir_schema import SCHEMA_VERSION

# Exit status per verdict, the same from soak.overnight (result.json status) and soak.analyze: "could not tell" is
# neither 0 nor a failure's 1.
EXIT_CODES = {"pass": 0, "fail": 1, "incomplete": 3}

NAME_PREFIX = "litestream-overnight-"
NAME_GLOB = NAME_PREFIX + "*"  # every run directory's name, the old script's included

# logs/<name>.log: what each holds.
LOGS: dict[str, str] = {
    "litestream": "litestream replicate's output (appended to when a fault restarts it)",
    "load": "litestream-test load",
    "populate": "litestream-test populate",
    "monitor": "one readable block per monitor tick",
    "restore": "litestream restore",
    "scratch-restore": "the periodic restores' litestream restore output",
    "pitr-restore": "the point-in-time restores' litestream restore output",
    "corrupt-restore": "the corrupt-object check's litestream restore output",
    "validate": "integrity check, row counts and digests of the restore",
    "s3": "the embedded S3 server (versitygw)",
    "build": "invoke build (with --src)",
}


@dataclass(frozen=True)
class RunDir:
    """Where each artifact of one soak goes."""

    root: Path

    # -- names
    @staticmethod
    def default_name(stamp: str) -> str:
        """``litestream-overnight-s3-<UTC yyyymmdd-HHMMSS>``, the name of a run directory nobody named."""
        return f"{NAME_PREFIX}s3-{stamp}"

    def started(self) -> float | None:
        """Epoch seconds of the UTC stamp that ends the directory's name, or None."""
        return parse_run_stamp(self.root.name[-15:])

    # -- the soak's files, in the order docs/rundir.md lists them
    @property
    def run_json(self) -> Path:
        """Parameters, versions, the S3 location, the schedule, the fault plan (below)."""
        return self.root / "run.json"

    @property
    def config(self) -> Path:
        """The litestream.yml litestream replicate ran with."""
        return self.root / "litestream.yml"

    @property
    def metrics(self) -> Path:
        """One JSON object per monitor tick (below)."""
        return self.root / "metrics.jsonl"

    @property
    def result_json(self) -> Path:
        """The verdict and the checks behind it (below)."""
        return self.root / "result.json"

    @property
    def logs(self) -> Path:
        """A directory: the log of each child and step (below), and faults.log."""
        return self.root / "logs"

    def log(self, name: str) -> Path:
        """``logs/<name>.log`` (LOGS says what each holds)."""
        return self.logs / f"{name}.log"

    @property
    def faults_log(self) -> Path:
        """One JSON object per fault event (below); soak.faults.events writes it and is its one reader."""
        return self.log("faults")

    @property
    def faults_dir(self) -> Path:
        """A directory: the fault proxies' own files (their logs, mitmdump's injections); with fault options only."""
        return self.root / "faults"

    @property
    def db(self) -> Path:
        """The source database: populated, then written by the load while litestream replicates it."""
        return self.root / "test.db"

    @property
    def wal(self) -> Path:
        """Its write-ahead log."""
        return self.db.with_name(self.db.name + "-wal")

    @property
    def meta_dir(self) -> Path:
        """A directory: litestream's local staging of LTX files for test.db."""
        return self.root / f".{self.db.name}-litestream"

    @property
    def restored(self) -> Path:
        """What litestream restore made from the replica."""
        return self.root / "restored.db"

    @property
    def replica_restores(self) -> Path:
        """One JSON object per periodic restore (--restore-every), below."""
        return self.root / "replica-restores.jsonl"

    @property
    def scratch_restore(self) -> Path:
        """Where periodic restores go; each one replaces the last."""
        return self.root / "scratch-restore.db"

    @property
    def pitr_restore(self) -> Path:
        """Where point-in-time restores go; each one replaces the last."""
        return self.root / "pitr-restore.db"

    @property
    def corrupt_restore(self) -> Path:
        """Where the corrupt-object check's restore goes (it must fail)."""
        return self.root / "corrupt-restore.db"

    @property
    def file_replica(self) -> Path:
        """A directory: the replica with --replica file."""
        return self.root / "replica"

    @property
    def s3_data(self) -> Path:
        """The embedded S3's directory (one subdirectory per bucket), unless --s3-dir puts it elsewhere."""
        return self.root / "s3"

    @property
    def bin(self) -> Path:
        """A directory: litestream and litestream-test built with --src."""
        return self.root / "bin"

    # -- what soak.analyze adds
    @property
    def analysis_json(self) -> Path:
        """The analysis as data: criteria, verdict, sections (below)."""
        return self.root / "analysis.json"

    @property
    def analysis_report(self) -> Path:
        """The analysis as text."""
        return self.root / "analysis-report.txt"

    @property
    def analysis_html(self) -> Path:
        """The analysis as one self-contained HTML file with charts (--format html)."""
        return self.root / "analysis.html"

    # -- writing
    def create(self) -> RunDir:
        self.logs.mkdir(parents=True, exist_ok=True)
        return self

    def write_run(self, data: dict[str, Any]) -> Path:
        """run.json (soak.rundir_schema.RunJson)."""
        return self._write_json(self.run_json, data)

    def write_result(self, data: dict[str, Any]) -> Path:
        """result.json (soak.rundir_schema.ResultJson)."""
        return self._write_json(self.result_json, data)

    def _write_json(self, path: Path, data: dict[str, Any]) -> Path:
        return write_json(path, data)

    def append_metrics(self, tick: dict[str, Any]) -> None:
        """One line of metrics.jsonl (soak.rundir_schema.MetricsTick)."""
        with self.metrics.open("a") as fh:
            fh.write(json.dumps({"schema_version": SCHEMA_VERSION, **tick}) + "\n")


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Write atomically, so a reader (or an interrupt) never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION, **data}, indent=2) + "\n")
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class RepeatDir:
    """What ``soak.overnight --repeat N`` makes of its test dir: one run directory per run, and repeat.json."""

    root: Path

    @property
    def repeat_json(self) -> Path:
        """The runs, their fault seeds and verdicts, and each check's passes and failures over them."""
        return self.root / "repeat.json"

    def run(self, number: int) -> RunDir:
        """``run-<n>/``, a run directory like any other (n counts from 1)."""
        return RunDir(self.root / f"run-{number}")

    def write(self, data: dict[str, Any]) -> Path:
        """repeat.json (soak.rundir_schema.RepeatJson)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return write_json(self.repeat_json, data)


@dataclass
class Check:
    name: str
    passed: bool | None  # None: made, but there was nothing to judge it on (never a pass)
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
    lost_rows: dict[str, Any] | None = None  # soak.run.lost_rows, when the restore differs
    final_stop: str = "term"  # --final-stop kill: no catch-up wait, crash_restore is required instead
    kill: dict[str, Any] | None = None  # the final SIGKILL: when, and the id the restore must hold
    idle: dict[str, Any] | None = None  # the idle phase and what litestream did in it
    shape: list[dict[str, Any]] | None = None  # soak.analyze.shape criteria, judged ones also in checks
    failed_in: str | None = None  # the step of the first failed check: result.json's phase then, not the last step
    # The replica checks run.json ``replica_checks`` asked for (ReplicaChecks.asked): each must be recorded to pass.
    asked_checks: list[str] = field(default_factory=list)

    def check(self, name: str, passed: bool | None, detail: str, value: Any = None) -> bool:
        """Record a check; ``passed=None`` says it could not be judged, which makes the run incomplete, not a pass."""
        self.checks.append(Check(name, passed, detail, value))
        if passed is False and self.reason is None:
            self.reason = f"{name}: {detail}"
            self.failed_in = self.phase
        return passed is True

    @property
    def status(self) -> str:
        """interrupted; fail (a check failed, or an error); incomplete (a required check missing or unjudged); pass."""
        if self.interrupted_by:
            return "interrupted"
        if self.reason is not None or any(c.passed is False for c in self.checks):
            return "fail"
        if self.missing_checks or self.unjudged_checks:
            return "incomplete"
        return "pass"

    @property
    def unjudged_checks(self) -> list[Check]:
        """Checks made without anything to judge them on (``passed: null``)."""
        return [c for c in self.checks if c.passed is None]

    @property
    def missing_checks(self) -> list[str]:
        """Required checks never recorded: the base ones, crash_restore after a kill, and every asked-for one."""
        names = {c.name for c in self.checks}
        required = {"no_crash", "catch_up", "restore", "integrity", "row_counts", "digests"}
        if self.final_stop == "kill":
            required = (required - {"catch_up"}) | {"crash_restore"}
        required |= set(self.asked_checks)
        return sorted(required - names)

    @property
    def why(self) -> str | None:
        """The one sentence result.json gives as ``reason``: the first failure, else why the run is incomplete."""
        return self.reason or self._incomplete_reason()

    def _incomplete_reason(self) -> str | None:
        """Why a run that failed nothing still is no pass: checks never recorded, or recorded but not judged."""
        if self.interrupted_by:
            return None
        missing, unjudged = self.missing_checks, self.unjudged_checks
        parts = [f"required check(s) never recorded: {', '.join(missing)}"] if missing else []
        parts += [f"{c.name} not judged: {c.detail}" for c in unjudged]
        return "; ".join(parts) or None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": utc_now(),
            "phase": self.failed_in or self.phase,
            "reason": self.why,
            "checks": [c.to_json() for c in self.checks],
            "rows_written": self.rows_written,
            "tables": self.tables,
            "catch_up": self.catch_up,
            "crash": self.crash,
            "lost_rows": self.lost_rows,
            "final_stop": self.final_stop,
            "kill": self.kill,
            "idle": self.idle,
            "shape": self.shape,
        }


# Paths relative to any run directory, as messages and docs/rundir.md name them (LAYOUT.faults_log: logs/faults.log).
LAYOUT = RunDir(Path())
