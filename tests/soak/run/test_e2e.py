"""A short real soak: real Litestream, embedded moto S3, restore and digests must match."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.rundir import problems_in
from tests.support.soak import Moto, invoke_cli, moto

__all__ = ["moto"]

pytestmark = pytest.mark.litestream


def test_short_soak_passes_and_restore_matches(litestream_src: Path, tmp_path: Path) -> None:
    """Binaries from `invoke build --src` (or LITESTREAM_BIN_DIR, already built, to skip the build)."""
    run_dir = tmp_path / "run"
    prebuilt = os.environ.get("LITESTREAM_BIN_DIR")
    binaries = ["--bin", prebuilt] if prebuilt else ["--src", str(litestream_src)]
    done = invoke_cli(
        *binaries,
        "--duration", "90s", "--interval", "30s", "--initial-size", "2MB",
        "--write-rate", "20", "--workers", "2", "--payload-size", "1024",
        "--test-dir", str(run_dir),
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "pass"
    assert {c["name"] for c in result["checks"]} == {
        "no_crash", "catch_up", "restore", "integrity", "row_counts", "digests", "pitr",
    }  # fmt: skip
    load = result["tables"]["load_test"]
    assert load["source_rows"] == load["restored_rows"] == result["rows_written"] > 0
    assert load["source_sha256"] == load["restored_sha256"]
    ticks = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(ticks) == 3 and all(t["s3"]["requests"] == 1 for t in ticks)
    assert sum(t["log"]["uploads"] for t in ticks) > 0
    assert ticks[-1]["s3"]["levels"]["0"]["objects"] > 0
    run = json.loads((run_dir / "run.json").read_text())
    assert run["s3"]["embedded"] and run["ended_at"]
    assert run["binaries"]["litestream"]["version"]
    text = (run_dir / "litestream.yml").read_text() + (run_dir / "run.json").read_text()
    assert "fake-secret" not in text and "secret-access-key" not in text
    assert problems_in(run_dir) == [], "what a real run writes matches the schema exactly"


def test_configured_bucket_at_a_custom_endpoint(litestream_src: Path, moto: Moto, tmp_path: Path) -> None:
    """The non-embedded path: --bucket/--endpoint (moto standing in for MinIO), credentials from the env chain."""
    client: Any = moto.client()
    client.create_bucket(Bucket="configured-soak")
    run_dir = tmp_path / "run"
    prebuilt = os.environ.get("LITESTREAM_BIN_DIR")
    binaries = ["--bin", prebuilt] if prebuilt else ["--src", str(litestream_src)]
    done = invoke_cli(
        *binaries,
        "--bucket", "configured-soak", "--endpoint", moto.endpoint, "--prefix", "soaks/e2e",
        "--duration", "30s", "--interval", "10s", "--initial-size", "1MB",
        "--write-rate", "10", "--workers", "1", "--payload-size", "512",
        "--test-dir", str(run_dir),
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads((run_dir / "result.json").read_text())["status"] == "pass"
    run = json.loads((run_dir / "run.json").read_text())
    assert run["s3"]["embedded"] is False and run["s3"]["bucket"] == "configured-soak"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="configured-soak", Prefix="soaks/e2e/")["Contents"]]
    assert any(k.startswith("soaks/e2e/0000/") for k in keys)
    assert not any(".soak-preflight-" in k for k in keys), "the preflight probe is deleted"
