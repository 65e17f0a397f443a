"""How the corrupt-object check judges the damaged restore's end, and that it deletes its copy, pass or fail.

The restore's end (exit 1 with an error, a Go panic, death by a signal) is process behaviour: a stand-in executable
plays it (``-dry-run -json`` answers with a plan of the one LTX file it finds). The real litestream's refusal is in
test_replica_checks_real.py; the S3 copy's deletion runs against the real S3 server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from soak.run.corrupt_object import SUFFIX, FileScratch, S3Scratch, check_corrupt_object
from soak.run.s3 import S3Target
from tests.support.lost_rows import write_load_test
from tests.support.s3_server import FAKE_CREDS, S3Server, s3_server

__all__ = ["s3_server"]

LTX = "0000000000000001-0000000000000001.ltx"
STAND_IN = """#!{python}
import json, os, signal, sys
if "-dry-run" in sys.argv:
    print(json.dumps({{"files": [{{"level": 0, "name": "{ltx}"}}]}}))
    sys.exit(0)
mode = os.environ["MODE"]
if mode == "error":
    print("Error: decode database: unexpected EOF", file=sys.stderr)
    sys.exit(1)
if mode == "panic":
    print("panic: runtime error: slice bounds out of range [:4096] with capacity 2048", file=sys.stderr)
    print("goroutine 1 [running]:", file=sys.stderr)
    sys.exit(2)
if mode == "signal":
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _stand_in(tmp_path: Path) -> Path:
    exe = tmp_path / "litestream"
    exe.write_text(STAND_IN.format(python=sys.executable, ltx=LTX))
    exe.chmod(0o755)
    return exe


def _replica(tmp_path: Path) -> FileScratch:
    ltx = tmp_path / "replica" / "ltx" / "0"
    ltx.mkdir(parents=True)
    (ltx / LTX).write_bytes(b"L" * 4096)
    return FileScratch(tmp_path / "replica")


def _check(tmp_path: Path, mode: str) -> tuple[bool, str, dict[str, Any], FileScratch]:
    scratch = _replica(tmp_path)
    source = write_load_test(tmp_path / "test.db", {1: 1.0e9})
    passed, detail, value = check_corrupt_object(
        scratch, _stand_in(tmp_path), source, tmp_path / "out.db", tmp_path / "restore.log", {"MODE": mode}
    )
    return passed, detail, value, scratch


def test_a_clean_error_passes_and_the_copy_is_deleted(tmp_path: Path) -> None:
    passed, detail, value, scratch = _check(tmp_path, "error")
    assert passed and "exit 1, Error: decode database: unexpected EOF" in detail, detail
    assert value["truncated_to"] == 2048
    assert not scratch.scratch.exists(), "the damaged copy is deleted"
    assert (scratch.root / "ltx" / "0" / LTX).stat().st_size == 4096, "the original is intact"


def test_a_go_panic_is_no_clean_error(tmp_path: Path) -> None:
    passed, detail, _, scratch = _check(tmp_path, "panic")
    assert not passed and "crashed (exit 2)" in detail and "panic: runtime error" in detail, detail
    assert not scratch.scratch.exists(), "deleted on failure too"


def test_death_by_a_signal_is_no_clean_error(tmp_path: Path) -> None:
    passed, detail, value, scratch = _check(tmp_path, "signal")
    assert not passed and "died by signal 9" in detail, detail
    assert value["exit_code"] == -9
    assert not scratch.scratch.exists()


def test_the_s3_copy_is_deleted_after_the_check(tmp_path: Path, s3_server: S3Server) -> None:
    client = s3_server.client()
    client.create_bucket(Bucket="corrupt-cleanup")
    target = S3Target(
        bucket="corrupt-cleanup",
        prefix="soak/run",
        region="us-east-1",
        endpoint=s3_server.endpoint,
        fixed_keys=dict(FAKE_CREDS),
    )
    for n in range(3):
        client.put_object(Bucket="corrupt-cleanup", Key=f"soak/run/0000/{n:016x}-{n:016x}.ltx", Body=b"L" * 64)
    scratch = S3Scratch(target)
    assert scratch.copy() == 3

    def keys(prefix: str) -> list[str]:
        listed = client.list_objects_v2(Bucket="corrupt-cleanup", Prefix=prefix)
        return [o["Key"] for o in listed.get("Contents", [])]

    assert len(keys(f"soak/run{SUFFIX}/")) == 3
    assert scratch.remove() == 3
    assert keys(f"soak/run{SUFFIX}/") == [] and len(keys("soak/run/")) == 3, "only the copy is gone"


def test_the_copy_is_deleted_when_the_check_raises(tmp_path: Path) -> None:
    scratch = _replica(tmp_path)
    broken = tmp_path / "no-such-litestream"
    with pytest.raises(OSError):
        check_corrupt_object(
            scratch, broken, tmp_path / "x.db", tmp_path / "o.db", tmp_path / "r.log", {"MODE": "error"}
        )
    assert not scratch.scratch.exists()
