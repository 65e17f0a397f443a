"""A short real soak: real Litestream (the pinned release from the Go module proxy unless LITESTREAM_SRC or
LITESTREAM_BIN_DIR says otherwise), the embedded S3 (versitygw), restore and digests must match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from soak.analyze.shape import SHAPE_CRITERIA
from tests.support.litestream import RealLitestream
from tests.support.rundir import problems_in
from tests.support.s3_server import S3Server, s3_server
from tests.support.soak import invoke_cli

__all__ = ["s3_server"]


def test_short_soak_passes_and_restore_matches(litestream: RealLitestream, tmp_path: Path) -> None:
    """The release through `--litestream v0.5.16` (cached), or the LITESTREAM_SRC / LITESTREAM_BIN_DIR binaries."""
    run_dir = tmp_path / "run"
    done = invoke_cli(
        *litestream.soak_args(),
        "--duration", "60s", "--interval", "20s", "--initial-size", "2MB",
        "--write-rate", "20", "--workers", "2", "--payload-size", "1024",
        "--test-dir", str(run_dir),
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "pass"
    names = {c["name"] for c in result["checks"]}
    required = {"no_crash", "catch_up", "restore", "integrity", "row_counts", "digests", "pitr"}
    assert required <= names and names - required <= set(SHAPE_CRITERIA), names  # and the shape judged
    load = result["tables"]["load_test"]
    assert load["source_rows"] == load["restored_rows"] == result["rows_written"] > 0
    assert load["source_sha256"] == load["restored_sha256"]
    ticks = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(ticks) == 3 and all(t["s3"]["requests"] == 1 for t in ticks)
    assert sum(t["log"]["uploads"] for t in ticks) > 0
    assert ticks[-1]["s3"]["levels"]["0"]["objects"] > 0
    run = json.loads((run_dir / "run.json").read_text())
    assert run["s3"]["embedded"] and run["ended_at"]
    assert run["s3"]["server_dir"] == str(run_dir / "s3") and run["s3"]["server"].startswith("versitygw v")
    bucket_dir = run_dir / "s3" / run["s3"]["bucket"] / run["s3"]["prefix"]
    assert list((bucket_dir / "0000").glob("*.ltx")), "the replica is plain files under <run dir>/s3"
    assert list((bucket_dir / "0009").glob("*.ltx")), "with its snapshot"
    assert "versitygw" in done.stdout
    assert run["binaries"]["litestream"]["version"] == litestream.version
    # The release goes through --litestream; a LITESTREAM_SRC build or LITESTREAM_BIN_DIR through --bin.
    assert run["source"]["kind"] == ("release" if litestream.origin == "release" else "bin")
    if litestream.origin == "release":
        assert run["source"]["version"] == litestream.version
        assert Path(run["binaries"]["litestream"]["path"]).parent == litestream.bin_dir
    text = (run_dir / "litestream.yml").read_text() + (run_dir / "run.json").read_text()
    assert "fake-secret" not in text and "secret-access-key" not in text
    assert problems_in(run_dir) == [], "what a real run writes matches the schema exactly"


def test_configured_bucket_at_a_custom_endpoint(
    litestream: RealLitestream, s3_server: S3Server, tmp_path: Path
) -> None:
    """The non-embedded path: --bucket/--endpoint (the test S3 server standing in for MinIO), credentials from the
    env chain."""
    client: Any = s3_server.client()
    client.create_bucket(Bucket="configured-soak")
    run_dir = tmp_path / "run"
    done = invoke_cli(
        *litestream.soak_args(),
        "--bucket", "configured-soak", "--endpoint", s3_server.endpoint, "--prefix", "soaks/e2e",
        "--duration", "30s", "--interval", "10s", "--initial-size", "1MB",
        "--write-rate", "10", "--workers", "1", "--payload-size", "512",
        "--test-dir", str(run_dir),
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads((run_dir / "result.json").read_text())["status"] == "pass"
    run = json.loads((run_dir / "run.json").read_text())
    assert run["s3"]["embedded"] is False and run["s3"]["bucket"] == "configured-soak"
    assert not (run_dir / "s3").exists(), "no embedded server with a configured bucket"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="configured-soak", Prefix="soaks/e2e/")["Contents"]]
    assert any(k.startswith("soaks/e2e/0000/") for k in keys)
    assert not any(".soak-preflight-" in k for k in keys), "the preflight probe is deleted"
