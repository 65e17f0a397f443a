"""A short real soak: real Litestream, embedded moto S3, restore and digests must match."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.soak_support import invoke_cli

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
        "no_crash", "catch_up", "restore", "integrity", "row_counts", "digests"
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
