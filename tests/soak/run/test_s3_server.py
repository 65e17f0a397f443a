"""The embedded S3 server (soak.run.s3_server): the real versitygw serving a directory, keys only in its
environment, one-line failures when it cannot be installed or its directory cannot hold it, and the disk check
that counts its bucket."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest
from botocore.exceptions import ClientError

from common.errors import UserError
from soak.run.s3_server import VERSITYGW_VERSION, EmbeddedS3, check_xattrs, ensure_versitygw
from tests.support.cli import assert_one_error_line
from tests.support.soak import STANDINS, invoke_cli, start_soak, wait_for_phase

NO_XATTRS = Path("/sys/kernel")  # sysfs: a directory whose filesystem has no user extended attributes


def _client(server: EmbeddedS3, secret: str | None = None) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=secret or server.secret_key,
    )


def test_objects_are_files_in_its_directory_and_its_keys_stay_out_of_argv(tmp_path: Path) -> None:
    server = EmbeddedS3(ensure_versitygw(), tmp_path / "data", tmp_path / "s3.log").start()
    try:
        client = _client(server)
        client.create_bucket(Bucket="files")
        client.put_object(Bucket="files", Key="pre/0000/a.ltx", Body=b"x" * 1000)
        assert (tmp_path / "data" / "files" / "pre" / "0000" / "a.ltx").read_bytes() == b"x" * 1000
        assert server.child.pid is not None
        argv = " ".join(psutil.Process(server.child.pid).cmdline())
        assert server.access_key not in argv and server.secret_key not in argv
        with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
            _client(server, secret="fake-wrong-TESTONLY").list_objects_v2(Bucket="files")
        pid = server.child.pid
    finally:
        server.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_each_server_makes_up_its_own_keys(tmp_path: Path) -> None:
    one = EmbeddedS3(Path("versitygw"), tmp_path / "a", tmp_path / "a.log")
    two = EmbeddedS3(Path("versitygw"), tmp_path / "b", tmp_path / "b.log")
    assert one.keys != two.keys and len(one.secret_key) >= 30


def test_a_directory_without_xattrs_is_one_line_before_the_server_starts(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"without user extended attributes.*--s3-dir DIR.*--endpoint"):
        check_xattrs(NO_XATTRS)
    server = EmbeddedS3(ensure_versitygw(), NO_XATTRS, tmp_path / "s3.log")
    with pytest.raises(UserError, match="--s3-dir"):
        server.start()
    assert server.child.proc is None, "nothing started"


def _install_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path]:
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    return {"LITESTREAM_TOOLS_CACHE": str(cache), **extra}, cache


def _nothing_started(run_dir: Path, cache: Path) -> None:
    assert not run_dir.exists(), "no run directory"
    assert not (cache / "versitygw" / VERSITYGW_VERSION).exists(), "nothing that looks installed"
    assert not list(cache.glob("versitygw/*.partial-*")), "no half-built staging directory"


def test_install_without_go_is_one_line_naming_endpoint(tmp_path: Path) -> None:
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"  # python for the stand-ins; Go lives elsewhere
    env, cache = _install_env(tmp_path, PATH=path)
    run_dir = tmp_path / "run"
    done = invoke_cli("--bin", str(STANDINS), "--test-dir", str(run_dir), "--duration", "1m", env=env)
    assert_one_error_line(done, f"versitygw {VERSITYGW_VERSION}", "`go` is not on PATH", "--endpoint URL --bucket")
    _nothing_started(run_dir, cache)


def test_install_with_the_module_proxy_unreachable_is_one_line_naming_endpoint(tmp_path: Path) -> None:
    """GOPROXY=off and an empty module cache: Go cannot fetch versitygw, as on a machine without network."""
    modcache = tmp_path / "modcache"
    modcache.mkdir()
    env, cache = _install_env(tmp_path, GOPROXY="off", GOMODCACHE=str(modcache), GOFLAGS="-modcacherw")
    run_dir = tmp_path / "run"
    done = invoke_cli("--bin", str(STANDINS), "--test-dir", str(run_dir), "--duration", "1m", env=env, timeout=300)
    assert_one_error_line(done, "installing the embedded S3", "GOPROXY", "--endpoint URL --bucket")
    _nothing_started(run_dir, cache)


def test_disk_check_refuses_a_bucket_that_cannot_fit(tmp_path: Path) -> None:
    """At 1000 hours the bucket alone (snapshots kept by retention, levels) outgrows any test machine's disk."""
    run_dir = tmp_path / "run"
    done = invoke_cli("--bin", str(STANDINS), "--test-dir", str(run_dir), "--duration", "1000h")
    line = assert_one_error_line(done, "needs ~", "is free", "embedded S3's bucket", "--s3-dir")
    assert str(run_dir / "s3") in line, "the line says where the bucket would go"
    assert not run_dir.exists(), "refused before anything starts"
    assert "versitygw" not in done.stdout.split("disk:")[-1], "the server never started"


def test_s3_dir_is_refused_with_a_configured_bucket(tmp_path: Path) -> None:
    done = invoke_cli(
        "--bin", str(STANDINS), "--test-dir", str(tmp_path / "run"), "--bucket", "b-bucket",
        "--s3-dir", str(tmp_path / "s3"),
    )  # fmt: skip
    assert_one_error_line(done, "--s3-dir", "does not apply with --bucket")


def test_s3_dir_holds_the_bucket_and_the_banner_says_so(tmp_path: Path) -> None:
    """A stand-in soak with --s3-dir: the bucket is created there, and the banner shows where and how big."""
    run_dir, s3_dir = tmp_path / "run", tmp_path / "elsewhere"
    proc = start_soak(run_dir, "--s3-dir", str(s3_dir), "--duration", "5m")
    wait_for_phase(proc, run_dir)
    os.killpg(proc.pid, signal.SIGINT)  # the stand-in never replicates, so catch-up would only wait
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    assert f"replica   embedded local S3 (versitygw on 127.0.0.1) in {s3_dir}, expected ~" in out, out
    assert f"for the embedded S3's bucket in {s3_dir}" in out
    assert [p.name for p in s3_dir.iterdir() if p.name.startswith("litestream-soak-")], "the bucket is a directory"
    assert not (run_dir / "s3").exists()
