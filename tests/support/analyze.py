"""Helpers for the soak.analyze tests: fixture paths, run-dir copies, independent line counts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support import cli
from tests.support.paths import PROJECT_ROOT

LOGS = PROJECT_ROOT / "tests" / "fixtures" / "logs"
RUNDIR = PROJECT_ROOT / "tests" / "fixtures" / "rundir"


def count_lines(path: Path, *needles: str) -> int:
    """Lines containing any needle: plain line-by-line ``in`` checks, independent of the scanner."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        return sum(1 for line in handle if any(n in line for n in needles))


def count_compactions(path: Path, level: int) -> int:
    """``compaction complete`` lines of one LTX level (the level after msg, text or JSON)."""
    n = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if "compaction complete" not in line:
                continue
            after = line.split("compaction complete", 1)[1]
            match = re.search(r'(?:level=|"level":)(\d+)', after)
            n += bool(match and int(match.group(1)) == level)
    return n


def copy_rundir(tmp: Path, name: str = "litestream-overnight-s3-20261201-065921") -> Path:
    target = tmp / name
    shutil.copytree(RUNDIR, target)
    return target


def edit_json(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def old_bash_rundir(tmp: Path) -> Path:
    """What the old bash script left: logs and databases only (no JSON); dbs made with sqlite3."""
    import sqlite3

    target = tmp / "litestream-overnight-20251101-010203"
    (target / "logs").mkdir(parents=True)
    shutil.copy(LOGS / "text-debug.log", target / "logs" / "litestream.log")
    shutil.copy(LOGS / "load.log", target / "logs" / "load.log")
    shutil.copy(LOGS / "populate.log", target / "logs" / "populate.log")
    for name in ("test.db", "restored.db"):
        with sqlite3.connect(target / name) as conn:
            conn.execute("CREATE TABLE load_test (id INTEGER PRIMARY KEY, data BLOB)")
            conn.executemany("INSERT INTO load_test (data) VALUES (?)", [(b"x",)] * 50)
    return target


def run_invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI: ``invoke soak.analyze ...`` from the repository root."""
    return cli.run_invoke(*args, timeout=120)
