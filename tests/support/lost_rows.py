"""Real SQLite database pairs shaped like litestream-test's load_test, for the lost-rows tests.

``load_test`` as cmd/litestream-test/load.go creates it (id AUTOINCREMENT, data, ``text_field`` = ``load_<unixnano>``,
int_field, ``timestamp`` = unix seconds, the timestamp index), rows written at the times a piecewise-linear schedule
gives, so a test can put a range of ids exactly where a real run's README says it was written.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from common.timestamps import parse_utc
from tests.support.paths import PROJECT_ROOT

FAULTS = PROJECT_ROOT / "tests" / "fixtures" / "faults"
LOAD_TEST = (
    "CREATE TABLE load_test (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, text_field TEXT, int_field INTEGER, "
    "timestamp INTEGER)"
)


def schedule(anchors: list[tuple[int, str]]) -> dict[int, float]:
    """id -> write time (epoch), linear between the anchors ``(id, ISO time)``, first anchor's id to the last's."""
    points = [(row_id, parse_utc(text)) for row_id, text in anchors]
    out: dict[int, float] = {}
    for (a, ta), (b, tb) in itertools.pairwise(points):
        assert ta is not None and tb is not None and b > a
        for row_id in range(a, b + 1):
            out[row_id] = ta + (tb - ta) * (row_id - a) / (b - a)
    return out


def write_load_test(
    path: Path, times: dict[int, float], *, skip: Iterable[int] = (), changed: Iterable[int] = ()
) -> Path:
    """A database holding load_test rows ``times`` (less ``skip``; ``changed`` ids get other data)."""
    skipped, other = set(skip), set(changed)
    with sqlite3.connect(path) as conn:
        conn.execute(LOAD_TEST)
        conn.execute("CREATE INDEX idx_load_test_timestamp ON load_test(timestamp)")
        conn.execute("CREATE TABLE test_table_0 (id INTEGER PRIMARY KEY, data BLOB)")
        conn.executemany("INSERT INTO test_table_0 (data) VALUES (?)", [(b"populate",)] * 20)
        conn.executemany(
            "INSERT INTO load_test (id, data, text_field, int_field, timestamp) VALUES (?, ?, ?, ?, ?)",
            [
                (i, b"changed" if i in other else b"x" * 32, f"load_{round(t * 1e9)}", i * 7919, int(t))
                for i, t in sorted(times.items())
                if i not in skipped
            ],
        )
    conn.close()
    return path


def fault_fixture(run_dir: Path, scenario: str) -> None:
    """The real v0.5.16 faults.log and litestream.log of tests/fixtures/faults/<scenario> into a run dir's logs/."""
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for name in ("faults.log", "litestream.log"):
        shutil.copy(FAULTS / scenario / name, logs / name)
