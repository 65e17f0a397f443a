"""The run directory as read by the analyzer: which inputs exist, run.json/result.json, metrics.jsonl as series.

Schemas: docs/rundir.md. Unknown keys are ignored; a missing file is recorded in ``missing`` with
the sections it starves, so the report can say what it could not judge.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from common.errors import UserError
from common.units import parse_duration
from soak.logs.blocks import iter_lines
from soak.logs.line import parse_time

RUN_GLOB = "litestream-overnight-*"
_STAMP = re.compile(r"(\d{8}-\d{6})$")
MAX_POINTS = 5000

# input -> sections that have less (or no) data without it; other inputs may stand in
STARVES: dict[str, list[str]] = {
    "run.json": ["timeline", "load", "compaction"],
    "metrics.jsonl": ["database", "replication", "resources"],
    "result.json": ["validation", "load"],
    "logs/litestream.log": ["replication", "compaction", "errors", "checkpoints"],
    "logs/load.log": ["load"],
    "logs/faults.log": ["faults"],
}


def _started(path: Path) -> float:
    """When a run started: the UTC stamp in its name, else the directory's mtime. (Not mtime first:
    analyzing an old run writes into it and would make it look newest.)"""
    match = _STAMP.search(path.name)
    if match:
        with contextlib.suppress(ValueError):
            return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC).timestamp()
    return path.stat().st_mtime


def latest_run_dir(base: Path | None = None) -> Path:
    """The newest ``litestream-overnight-*`` directory in the system temp dir."""
    root = base or Path(tempfile.gettempdir())
    candidates = [p for p in root.glob(RUN_GLOB) if p.is_dir()]
    if not candidates:
        raise UserError(f"no {RUN_GLOB} directory in {root}; pass the run directory as --run-dir", code=2)
    return max(candidates, key=_started)


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
    logs = path / "logs"
    if not (logs.is_dir() and any(logs.glob("*.log"))):
        raise UserError(f"{path} has no logs/*.log; is it a soak run directory?", code=2)
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


_NUMBER = (int, float)
_OPTIONAL_TEXT = (str, type(None))
# Expected JSON types of the keys the analysis reads (docs/rundir.md); others are passed through.
SHAPES: dict[str, dict[str, Any]] = {
    "run.json": {
        "started_at": _OPTIONAL_TEXT,
        "ended_at": _OPTIONAL_TEXT,
        "params": {"duration_s": _NUMBER, "write_rate": _NUMBER, "interval_s": _NUMBER},
        "config": {
            "snapshot_interval_s": _NUMBER,
            "snapshot_retention_s": _NUMBER,
            "levels_s": [_NUMBER],
            "checkpoint_interval_s": _NUMBER,
            "log_level": str,
            "log_type": str,
        },
        "faults": (dict, type(None)),
    },
    "result.json": {
        "status": str,
        "started_at": _OPTIONAL_TEXT,
        "ended_at": _OPTIONAL_TEXT,
        "phase": _OPTIONAL_TEXT,
        "reason": _OPTIONAL_TEXT,
        "checks": [dict],
        "rows_written": int,
        "tables": {"*": dict},
        "catch_up": (dict, type(None)),
        "crash": (dict, type(None)),
    },
}


def conform(data: dict[str, Any], shape: dict[str, Any], where: str, warnings: list[str]) -> dict[str, Any]:
    """``data`` without the values whose type contradicts ``shape`` (each dropped one is a warning),
    so a hand-edited or half-written file degrades to "no data" instead of a crash."""
    out = dict(data)
    for key, want in shape.items():
        if key == "*":
            continue
        if key not in out or (out[key] is None and key not in ("faults", "crash", "catch_up")):
            continue
        value = out[key]
        ok: bool
        if isinstance(want, dict):
            ok = isinstance(value, dict)
            if ok and "*" in want:
                value = {k: v for k, v in value.items() if isinstance(v, want["*"])}
                ok = len(value) == len(out[key])
                out[key] = value
            elif ok:
                out[key] = conform(value, want, f"{where}.{key}", warnings)
        elif isinstance(want, list):
            ok = isinstance(value, list) and all(isinstance(v, want[0]) and not isinstance(v, bool) for v in value)
        else:
            ok = isinstance(value, want) and not (isinstance(value, bool) and want in (int, _NUMBER))
        if not ok:
            warnings.append(f"{where}: {key!r} has an unexpected type ({type(value).__name__}); ignored")
            out.pop(key, None)
    return out


@dataclass
class Metrics:
    """metrics.jsonl as time series (epoch seconds), decimated beyond MAX_POINTS ticks."""

    ticks: int = 0
    bad_lines: int = 0
    t: list[float] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)
    level_objects: dict[str, list[float | None]] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    dead_ticks: int = 0  # ticks where litestream was not alive

    def values(self, name: str) -> list[tuple[float, float]]:
        return [(t, v) for t, v in zip(self.t, self.series.get(name, []), strict=False) if v is not None]

    def peak(self, name: str) -> float | None:
        vals = [v for _, v in self.values(name)]
        return max(vals) if vals else None


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


_FIELDS = {
    "db_bytes": ("db_bytes",),
    "wal_bytes": ("wal_bytes",),
    "s3_objects": ("s3", "objects"),
    "s3_bytes": ("s3", "bytes"),
    "lag": ("txid", "lag"),
    "rss_bytes": ("litestream", "rss_bytes"),
    "cpu_percent": ("litestream", "cpu_percent"),
    "rows_total": ("rows_total",),
    "log_errors": ("log", "errors"),
}


def read_metrics(path: Path) -> Metrics:
    out = Metrics()
    stride = 1
    for raw in iter_lines(path):
        try:
            tick = json.loads(raw)
        except ValueError:
            out.bad_lines += 1
            continue
        if not isinstance(tick, dict):
            out.bad_lines += 1
            continue
        t = parse_time(str(tick.get("t", "")))
        if t is None:
            out.bad_lines += 1
            continue
        out.ticks += 1
        out.last = tick
        if _get(tick, "litestream", "alive") is False:
            out.dead_ticks += 1
        for event in tick.get("faults") or []:
            if isinstance(event, dict) and len(out.faults) < 1000:
                out.faults.append(event)
        if (out.ticks - 1) % stride:
            continue
        out.t.append(t)
        for name, keys in _FIELDS.items():
            value = _get(tick, *keys)
            out.series.setdefault(name, []).append(float(value) if isinstance(value, int | float) else None)
        levels = _get(tick, "s3", "levels") or {}
        for level in set(out.level_objects) | set(levels if isinstance(levels, dict) else {}):
            value = _get(levels, level, "objects")
            column = out.level_objects.setdefault(level, [None] * (len(out.t) - 1))
            column.append(float(value) if isinstance(value, int | float) else None)
        if len(out.t) >= MAX_POINTS:
            stride *= 2
            out.t = out.t[::2]
            out.series = {k: v[::2] for k, v in out.series.items()}
            out.level_objects = {k: v[::2] for k, v in out.level_objects.items()}
    return out


@dataclass
class RunInputs:
    """What the run directory holds, read; ``missing`` names the absent inputs."""

    run_dir: Path
    run: dict[str, Any] | None
    result: dict[str, Any] | None
    metrics: Metrics | None
    logs: dict[str, Path]
    missing: list[str]
    dbs: dict[str, Path]
    config: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


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


def load_inputs(run_dir: Path) -> RunInputs:
    logs = {p.name: p for p in sorted((run_dir / "logs").glob("*.log"))}
    for path in [*logs.values(), run_dir / "metrics.jsonl"]:
        if path.exists() or path.is_symlink():
            _check_readable(path)
    missing = [name for name in ("run.json", "metrics.jsonl", "result.json") if not (run_dir / name).exists()]
    missing += [f"logs/{name}" for name in ("litestream.log", "load.log") if name not in logs]
    metrics_path = run_dir / "metrics.jsonl"
    dbs = {name: run_dir / name for name in ("test.db", "restored.db") if (run_dir / name).is_file()}
    warnings: list[str] = []
    run = read_json(run_dir / "run.json")
    result = read_json(run_dir / "result.json")
    if run is not None:
        run = conform(run, SHAPES["run.json"], "run.json", warnings)
    if result is not None:
        result = conform(result, SHAPES["result.json"], "result.json", warnings)
    config = config_from_yaml(run_dir / "litestream.yml") if (run_dir / "litestream.yml").is_file() else {}
    config.update({k: v for k, v in ((run or {}).get("config") or {}).items() if v is not None})
    return RunInputs(
        run_dir=run_dir,
        run=run,
        result=result,
        metrics=read_metrics(metrics_path) if metrics_path.exists() else None,
        logs=logs,
        missing=missing,
        dbs=dbs,
        config=config,
        warnings=warnings,
    )
