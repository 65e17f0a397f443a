"""One monitor tick against a replica on the test S3 server and a real SQLite database: the metrics.jsonl object."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.processes import Child
from soak.run.monitor import Monitor
from soak.run.s3 import S3Lister, S3Target
from soak.rundir import RunDir
from tests.support.log_lines import CHECKPOINT, COMPACT_L1, ERROR, UPLOAD
from tests.support.rundir import problems_in
from tests.support.s3_server import FAKE_CREDS, S3Server, s3_server

__all__ = ["s3_server"]


@pytest.fixture
def sleepers(tmp_path: Path) -> Iterator[tuple[Child, Child]]:
    ls = Child("litestream", ["sleep", "60"], tmp_path / "run" / "logs" / "litestream.log")
    load = Child("litestream-test load", ["sleep", "60"], tmp_path / "run" / "logs" / "load.log")
    try:
        yield ls.start(), load.start()
    finally:
        ls.stop(grace_s=1)
        load.stop(grace_s=1)


def test_tick_measures_everything_once(s3_server: S3Server, tmp_path: Path, sleepers: tuple[Child, Child]) -> None:
    dirs = RunDir(tmp_path / "run").create()
    with sqlite3.connect(dirs.db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE load_test (id INTEGER PRIMARY KEY, data BLOB)")
        conn.executemany("INSERT INTO load_test (data) VALUES (?)", [(b"x",)] * 7)
    (dirs.meta_dir / "ltx" / "0").mkdir(parents=True)
    (dirs.meta_dir / "ltx" / "0" / "0000000000000001-000000000000000c.ltx").write_bytes(b"")
    client: Any = s3_server.client()
    client.create_bucket(Bucket="monitor-tick")
    for key in ("0000/0000000000000001-000000000000000a.ltx", "0009/0000000000000001-0000000000000009.ltx"):
        client.put_object(Bucket="monitor-tick", Key=f"pre/{key}", Body=b"abc")
    target = S3Target("monitor-tick", "pre", "us-east-1", endpoint=s3_server.endpoint, fixed_keys=FAKE_CREDS)
    ls, load = sleepers
    ls.log.write_text(f"{UPLOAD}\n{ERROR}\n")
    seen: list[float] = []
    monitor = Monitor(dirs, S3Lister(target), ls, load, duration_s=120, hooks=[lambda m: seen.append(m["elapsed_s"])])

    first = monitor.tick(60.0)
    assert first["s3"]["requests"] == 1, "one paginated listing per tick"
    assert first["s3"]["levels"]["0"] == {"objects": 1, "bytes": 3, "max_txid": 10}
    assert first["s3"]["levels"]["9"]["objects"] == 1
    assert first["txid"] == {"local": 12, "replica": 10, "lag": 2}
    assert first["rows"] == {"load_test": 7} and first["rows_total"] == 7
    assert first["log"]["uploads"] == 1 and first["log"]["errors"] == 1
    assert first["litestream"]["alive"] and first["litestream"]["rss_bytes"] > 0
    assert first["load"] == {"alive": True, "pid": load.pid}
    assert first["db_bytes"] > 0 and first["wal_bytes"] >= 0
    assert seen == [60.0], "the per-tick hooks ran"

    with ls.log.open("a") as fh:
        fh.write(f"{COMPACT_L1}\n{CHECKPOINT}\n")
    second = monitor.tick(120.0)
    assert second["log"] == {
        "uploads": 0,
        "compactions": {"1": 1},
        "snapshots": 0,
        "checkpoints": 1,
        "errors": 0,
        "warnings": 0,
    }, "only the lines added since the first tick"

    lines = [json.loads(line) for line in dirs.metrics.read_text().splitlines()]
    assert [m["elapsed_s"] for m in lines] == [60.0, 120.0]
    assert all(m["schema_version"] == 1 and m["t"].endswith("Z") for m in lines)
    block = dirs.log("monitor").read_text()
    assert block.count("elapsed ") == 2 and "lag 2" in block
    assert monitor.totals.errors == 1 and monitor.s3_requests == 2
    assert problems_in(dirs.root) == [], "every key the monitor writes is in the schema, with its type"


def test_tick_survives_an_unreachable_s3(tmp_path: Path, sleepers: tuple[Child, Child]) -> None:
    from common.processes import free_port

    dirs = RunDir(tmp_path / "run").create()
    target = S3Target(
        "gone-bucket", "pre", "us-east-1", endpoint=f"http://127.0.0.1:{free_port()}", fixed_keys=FAKE_CREDS
    )
    ls, load = sleepers
    tick = Monitor(dirs, S3Lister(target), ls, load, duration_s=60).tick(1.0)
    assert tick["s3"]["objects"] is None and "error" in tick["s3"]
    assert tick["rows"] is None and "rows_error" in tick
    assert problems_in(dirs.root) == []


def test_the_wal_peak_between_ticks_is_kept(tmp_path: Path, sleepers: tuple[Child, Child]) -> None:
    """A WAL that grows and is truncated between two ticks: wal_bytes misses it, wal_peak_bytes (sampled) keeps it."""
    from common.processes import free_port

    dirs = RunDir(tmp_path / "run").create()
    target = S3Target("gone", "pre", "us-east-1", endpoint=f"http://127.0.0.1:{free_port()}", fixed_keys=FAKE_CREDS)
    ls, load = sleepers
    monitor = Monitor(dirs, S3Lister(target), ls, load, duration_s=60)
    dirs.wal.write_bytes(b"\0" * 300_000)
    monitor.sample()
    dirs.wal.write_bytes(b"\0" * 1000)  # a TRUNCATE checkpoint shrank it before the tick
    first = monitor.tick(10.0)
    assert (first["wal_bytes"], first["wal_peak_bytes"]) == (1000, 300_000)
    second = monitor.tick(20.0)
    assert second["wal_peak_bytes"] == 1000, "the peak is per tick: reset after each"
    assert monitor.wal_peak_run == 300_000
    assert problems_in(dirs.root) == []
