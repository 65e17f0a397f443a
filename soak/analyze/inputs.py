"""The run directory as read by the analyzer: which inputs exist, run.json/result.json, metrics.jsonl as series.

Paths come from soak.rundir.RunDir, shapes from soak.rundir_schema (docs/rundir.md). A value of the wrong type
is dropped with a warning and unknown keys are ignored; a missing file is recorded in ``missing`` with the
sections it starves, so the report can say what it could not judge.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from common.errors import UserError
from common.timestamps import parse_utc
from common.units import parse_duration
from soak.faults.events import FaultEvent
from soak.logs.blocks import iter_lines
from soak.rundir import LAYOUT, NAME_GLOB, RepeatDir, RunDir
from soak.rundir_schema import MetricsTick, ResultJson, RunJson, read_tolerant, summarize

MAX_POINTS = 5000
_M = TypeVar("_M", RunJson, ResultJson)

# input -> sections that have less (or no) data without it; other inputs may stand in
STARVES: dict[str, list[str]] = {
    LAYOUT.run_json.as_posix(): ["timeline", "load", "compaction"],
    LAYOUT.metrics.as_posix(): ["database", "replication", "resources"],
    LAYOUT.result_json.as_posix(): ["validation", "load"],
    LAYOUT.log("litestream").as_posix(): ["replication", "compaction", "errors", "checkpoints"],
    LAYOUT.log("load").as_posix(): ["load"],
    LAYOUT.faults_log.as_posix(): ["faults"],
}


def _started(path: Path) -> float:
    """When a run started: the UTC stamp in its name, else the directory's mtime. (Not mtime first:
    analyzing an old run writes into it and would make it look newest.)"""
    started = RunDir(path).started()
    return started if started is not None else path.stat().st_mtime


def latest_run_dir(base: Path | None = None) -> Path:
    """The newest FINISHED ``litestream-overnight-*`` directory in the system temp dir (one with result.json).

    A run still going (or killed before its result) is no run to judge by default; name it to see its INCOMPLETE
    report."""
    root = base or Path(tempfile.gettempdir())
    candidates = [p for p in root.glob(NAME_GLOB) if p.is_dir()]
    if not candidates:
        raise UserError(
            f"no {NAME_GLOB} directory in {root}; pass the run directory, e.g. invoke soak.analyze DIR", code=2
        )
    finished = [p for p in candidates if RunDir(p).result_json.is_file()]
    if not finished:
        newest = max(candidates, key=_started)
        raise UserError(
            f"no finished {NAME_GLOB} run in {root} (none has result.json; the newest, {newest.name}, may still be "
            f"running); pass it explicitly to see its INCOMPLETE report: invoke soak.analyze {newest}",
            code=2,
        )
    return max(finished, key=_started)


def resolve_run_dir(text: str) -> Path:
    """RUN_DIR checked: a readable directory with logs (exit 2 otherwise)."""
    path = latest_run_dir() if text in ("", "latest") else Path(text).expanduser()
    if not path.exists():
        raise UserError(f"run directory {path} does not exist; pass an existing soak run directory", code=2)
    if not path.is_dir():
        raise UserError(f"{path} is not a directory; pass a soak run directory", code=2)
    if not os.access(path, os.R_OK | os.X_OK):
        raise UserError(f"run directory {path} is not readable; check its permissions", code=2)
    try:
        entries = list(path.iterdir())
    except OSError as exc:
        raise UserError(f"cannot list {path}: {exc.strerror}", code=2) from None
    if not entries:
        raise UserError(f"run directory {path} is empty; nothing to analyze", code=2)
    logs = RunDir(path).logs
    if RepeatDir(path).repeat_json.is_file() and not logs.is_dir():
        raise UserError(
            f"{path} holds the runs of soak.overnight --repeat (repeat.json has each check over them); analyze one "
            f"run, e.g. invoke soak.analyze {RepeatDir(path).run(1).root}",
            code=2,
        )
    if not (logs.is_dir() and any(logs.glob("*.log"))):
        raise UserError(f"{path} has no {LAYOUT.logs.as_posix()}/*.log; is it a soak run directory?", code=2)
    return path.resolve()


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file, None when absent; unreadable or not an object is exit 2."""
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}; check its permissions", code=2) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not valid JSON ({exc}); rerun the soak or remove the file", code=2) from None
    if not isinstance(value, dict):
        raise UserError(f"{path} does not hold a JSON object; see docs/rundir.md", code=2)
    return value


@dataclass
class Metrics:
    """metrics.jsonl as time series (epoch seconds), decimated beyond MAX_POINTS ticks."""

    ticks: int = 0
    bad_lines: int = 0
    t: list[float] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)
    level_objects: dict[str, list[float | None]] = field(default_factory=dict)
    last: MetricsTick | None = None
    faults: list[FaultEvent] = field(default_factory=list)
    dead_ticks: int = 0  # ticks where litestream was not alive
    wal_peak: int | None = None  # largest WAL of any tick (wal_peak_bytes, else wal_bytes), never decimated
    warnings: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[tuple[float, float]]:
        return [(t, v) for t, v in zip(self.t, self.series.get(name, []), strict=False) if v is not None]

    def peak(self, name: str) -> float | None:
        vals = [v for _, v in self.values(name)]
        return max(vals) if vals else None


def _figures(tick: MetricsTick) -> dict[str, float | None]:
    """The series the analysis draws and judges, from one tick."""
    s3, txid, log, litestream = tick.s3, tick.txid, tick.log, tick.litestream
    values: dict[str, int | float | None] = {
        "db_bytes": tick.db_bytes,
        "wal_bytes": tick.wal_bytes,
        "s3_objects": s3.objects if s3 else None,
        "s3_bytes": s3.bytes if s3 else None,
        "lag": txid.lag if txid else None,
        "rss_bytes": litestream.rss_bytes if litestream else None,
        "cpu_percent": litestream.cpu_percent if litestream else None,
        "rows_total": tick.rows_total,
        "log_errors": log.errors if log else None,
    }
    return {name: None if value is None else float(value) for name, value in values.items()}


def _tick(raw: bytes, warnings: list[str]) -> tuple[MetricsTick, float] | None:
    """One line as a tick and its time, or None when it is none (not JSON, no valid ``t``)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    tick, problems = read_tolerant(MetricsTick, data, LAYOUT.metrics.as_posix())
    warnings += problems
    t = parse_utc(tick.t) if tick is not None else None
    return None if tick is None or t is None else (tick, t)


def read_metrics(path: Path) -> Metrics:
    out = Metrics()
    warnings: list[str] = []
    stride = 1
    for raw in iter_lines(path):
        found = _tick(raw, warnings)
        if found is None:
            out.bad_lines += 1
            continue
        tick, t = found
        out.ticks += 1
        out.last = tick
        if tick.litestream is not None and tick.litestream.alive is False:
            out.dead_ticks += 1
        out.faults += (tick.faults or [])[: max(0, 1000 - len(out.faults))]
        for wal in (tick.wal_peak_bytes, tick.wal_bytes):
            if wal is not None and (out.wal_peak is None or wal > out.wal_peak):
                out.wal_peak = wal
        if (out.ticks - 1) % stride:
            continue
        out.t.append(t)
        for name, value in _figures(tick).items():
            out.series.setdefault(name, []).append(value)
        levels = (tick.s3.levels if tick.s3 else None) or {}
        for level in set(out.level_objects) | set(levels):
            objects = levels[level].objects if level in levels else None
            column = out.level_objects.setdefault(level, [None] * (len(out.t) - 1))
            column.append(None if objects is None else float(objects))
        if len(out.t) >= MAX_POINTS:
            stride *= 2
            out.t = out.t[::2]
            out.series = {k: v[::2] for k, v in out.series.items()}
            out.level_objects = {k: v[::2] for k, v in out.level_objects.items()}
    out.warnings = summarize(warnings)
    if out.bad_lines:
        out.warnings.append(
            f"{LAYOUT.metrics.as_posix()}: {out.bad_lines} line(s) are not a metrics object with a valid t "
            "(a torn last line, or hand-edited); skipped"
        )
    return out


@dataclass
class RunInputs:
    """What the run directory holds, read; ``missing`` names the absent inputs (as docs/rundir.md names them)."""

    dirs: RunDir
    run: RunJson | None
    result: ResultJson | None
    metrics: Metrics | None
    logs: dict[str, Path]  # by file name: litestream.log, load.log, ...
    missing: list[str]
    dbs: dict[str, Path]  # by role: source (test.db), restored (restored.db); only those that exist
    config: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def run_dir(self) -> Path:
        return self.dirs.root

    def log(self, name: str) -> Path | None:
        """``logs/<name>.log`` when the run has it."""
        return self.logs.get(self.dirs.log(name).name)


def config_from_yaml(path: Path) -> dict[str, Any]:
    """run.json-style ``config`` from the litestream.yml of the run (old bash runs have only that)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    snapshot = _mapping(raw.get("snapshot"))
    out["snapshot_interval_s"] = _seconds(snapshot.get("interval"))
    out["snapshot_retention_s"] = _seconds(snapshot.get("retention"))
    levels = raw.get("levels") if isinstance(raw.get("levels"), list) else []
    assert isinstance(levels, list)
    out["levels_s"] = [_seconds(lv.get("interval")) for lv in levels if isinstance(lv, dict)] or None
    dbs = raw.get("dbs")
    if isinstance(dbs, list) and dbs:
        out["checkpoint_interval_s"] = _seconds(_mapping(dbs[0]).get("checkpoint-interval"))
    logging = _mapping(raw.get("logging"))
    out["log_level"] = logging.get("level")
    out["log_type"] = logging.get("type")
    return {k: v for k, v in out.items() if v is not None and None not in (v if isinstance(v, list) else [v])}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return parse_duration(str(value))
    except UserError:
        return None


def _check_readable(path: Path) -> None:
    """Open the file once, so an unreadable input is one clear line (exit 2), not a traceback later."""
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}; check that it is a readable file", code=2) from None


def _read_model(path: Path, model: type[_M], warnings: list[str]) -> _M | None:
    """run.json or result.json, its wrong-typed values dropped (each a warning); None when absent."""
    data = read_json(path)
    if data is None:
        return None
    parsed, problems = read_tolerant(model, data, path.name)
    warnings += problems
    return parsed


def load_inputs(run_dir: Path) -> RunInputs:
    dirs = RunDir(run_dir)
    logs = {p.name: p for p in sorted(dirs.logs.glob("*.log"))}
    for path in [*logs.values(), dirs.metrics]:
        if path.exists() or path.is_symlink():
            _check_readable(path)
    required = (dirs.run_json, dirs.metrics, dirs.result_json, dirs.log("litestream"), dirs.log("load"))
    missing = [path.relative_to(run_dir).as_posix() for path in required if not path.exists()]
    dbs = {role: path for role, path in (("source", dirs.db), ("restored", dirs.restored)) if path.is_file()}
    warnings: list[str] = []
    run = _read_model(dirs.run_json, RunJson, warnings)
    result = _read_model(dirs.result_json, ResultJson, warnings)
    metrics = read_metrics(dirs.metrics) if dirs.metrics.exists() else None
    warnings += metrics.warnings if metrics else []
    config = config_from_yaml(dirs.config) if dirs.config.is_file() else {}
    if run is not None and run.config is not None:
        config.update(run.config.model_dump(exclude_none=True))
    return RunInputs(
        dirs=dirs,
        run=run,
        result=result,
        metrics=metrics,
        logs=logs,
        missing=missing,
        dbs=dbs,
        config=config,
        warnings=warnings,
    )
