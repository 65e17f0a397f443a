"""litestream.yml for v0.5: current keys only, no secrets, and the real binary honours every one."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import yaml

from common.processes import Child, free_port
from soak.run.litestream_config import SCHEDULES, LitestreamConfig, schedule_named
from soak.run.s3 import S3Target
from tests.support.litestream import RealLitestream
from tests.support.s3_server import FAKE_CREDS, S3Server, s3_server

__all__ = ["s3_server"]


def s3_config(db: Path, endpoint: str = "http://127.0.0.1:9000", bucket: str = "soak-bucket") -> LitestreamConfig:
    target = S3Target(bucket, "soak/prefix", "us-east-1", endpoint=endpoint, fixed_keys=FAKE_CREDS)
    return LitestreamConfig(db_path=db, metrics_addr="127.0.0.1:9999", s3=target)


def test_rendered_document_uses_current_keys(tmp_path: Path) -> None:
    doc = yaml.safe_load(s3_config(tmp_path / "test.db").render())
    assert doc["snapshot"] == {"interval": "10m", "retention": "30m"}
    assert [lvl["interval"] for lvl in doc["levels"]] == ["30s", "1m", "5m", "15m", "30m", "1h"]
    assert doc["logging"] == {"level": "debug", "type": "text"}
    assert doc["addr"] == "127.0.0.1:9999"
    (db,) = doc["dbs"]
    assert db["checkpoint-interval"] == "30s" and "replicas" not in db
    assert db["replica"] == {
        "type": "s3",
        "bucket": "soak-bucket",
        "path": "soak/prefix",
        "region": "us-east-1",
        "endpoint": "http://127.0.0.1:9000",
        "force-path-style": True,
    }


def test_fast_schedule_is_the_suites_short_mode_with_retention_inside_ten_minutes(tmp_path: Path) -> None:
    base = s3_config(tmp_path / "test.db")
    fast = LitestreamConfig(
        db_path=base.db_path, metrics_addr=base.metrics_addr, s3=base.s3, schedule=SCHEDULES["fast"]
    )
    doc = yaml.safe_load(fast.render())
    assert doc["snapshot"] == {"interval": "30s", "retention": "2m"}
    assert [lvl["interval"] for lvl in doc["levels"]] == ["15s", "30s", "1m"]
    assert doc["dbs"][0]["checkpoint-interval"] == "10s"
    assert fast.for_run_json()["schedule"] == "fast" and base.for_run_json()["schedule"] == "default"
    assert schedule_named(" fast ") is SCHEDULES["fast"]


def test_no_obsolete_keys_and_no_credentials(tmp_path: Path) -> None:
    text = s3_config(tmp_path / "test.db").render()
    for obsolete in ("replicas:", "retention-check-interval", "max-checkpoint-page-count", "sse:", "access-key-id"):
        assert obsolete not in text
    for secret in FAKE_CREDS.values():
        assert secret not in text


def test_aws_without_endpoint_has_no_path_style(tmp_path: Path) -> None:
    target = S3Target("soak-bucket", "p", "eu-west-1")
    rep = LitestreamConfig(db_path=tmp_path / "t.db", metrics_addr="127.0.0.1:1", s3=target).replica()
    assert "endpoint" not in rep and "force-path-style" not in rep


def test_file_replica(tmp_path: Path) -> None:
    cfg = LitestreamConfig(db_path=tmp_path / "t.db", metrics_addr="127.0.0.1:1", file_replica=tmp_path / "replica")
    assert cfg.replica() == {"type": "file", "path": str(tmp_path / "replica")}


def _wait_for(log: Path, pattern: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} not in {log}:\n{text[-3000:]}")


def test_real_litestream_honours_every_key(litestream: RealLitestream, s3_server: S3Server, tmp_path: Path) -> None:
    """Unknown keys are silently ignored by litestream, so look for each setting's effect in its log."""
    client: Any = s3_server.client()
    client.create_bucket(Bucket="config-check")
    db = tmp_path / "test.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    port = free_port()
    cfg = s3_config(db, endpoint=s3_server.endpoint, bucket="config-check")
    cfg = LitestreamConfig(db_path=db, metrics_addr=f"127.0.0.1:{port}", s3=cfg.s3)
    cfg.write(tmp_path / "litestream.yml")
    env, _ = cfg.s3.child_env() if cfg.s3 else ({}, [])
    log = tmp_path / "litestream.log"
    child = Child(
        "litestream",
        [str(litestream.litestream), "replicate", "-config", str(tmp_path / "litestream.yml")],
        log,
        env=env,
    ).start()
    try:
        text = _wait_for(log, r"enforcing snapshot retention.*timestamp=")
        text = _wait_for(log, r'msg="ltx file uploaded"')
        assert "level=DEBUG" in text, "logging.level: debug not applied"
        intervals = re.findall(r'msg="starting compaction monitor" system=store level=(\d) interval=(\S+)', text)
        assert sorted(intervals) == [
            ("1", "30s"),
            ("2", "1m0s"),
            ("3", "5m0s"),
            ("4", "15m0s"),
            ("5", "30m0s"),
            ("6", "1h0m0s"),
            ("9", "10m0s"),
        ]
        assert re.search(rf"replicating to.*bucket=config-check path=soak/prefix.*endpoint={s3_server.endpoint}", text)
        # snapshot.retention: the retention cut-off is 30 minutes before now.
        stamp = re.search(r"enforcing snapshot retention\".*?timestamp=(\S+)", text).group(1)  # type: ignore[union-attr]
        cut = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - cut).total_seconds() - 1800) < 60
        assert "level=ERROR" not in text
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "litestream_txid" in metrics
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="config-check")["Contents"]]
        assert any(k.startswith("soak/prefix/0000/") and k.endswith(".ltx") for k in keys), keys
    finally:
        child.stop(grace_s=40)
    assert "litestream shut down" in log.read_text()
