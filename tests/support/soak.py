"""Shared pieces of the soak tests: a real moto server process, the invoke CLI, stand-in binaries."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from common.processes import Child, free_port
from tests.support.cli import run_invoke
from tests.support.paths import PROJECT_ROOT

STANDINS = PROJECT_ROOT / "tests" / "fixtures" / "soak_standins"
FAKE_CREDS = {"AWS_ACCESS_KEY_ID": "fake-key-TESTONLY", "AWS_SECRET_ACCESS_KEY": "fake-secret-TESTONLY"}


class Moto:
    """A moto server process on a free loopback port (optionally enforcing IAM auth)."""

    def __init__(self, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.child = Child("moto", argv, log, env={**os.environ, **(env or {})}).start()
        for _ in range(150):
            try:
                requests.get(self.endpoint, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.child.stop(grace_s=5)
        raise RuntimeError("moto did not start")

    def client(self, service: str = "s3", **creds: str) -> object:
        keys = {"aws_access_key_id": FAKE_CREDS["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": "x", **creds}
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1", **keys)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    server = Moto(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.child.stop(grace_s=5)


def clean_environ() -> dict[str, str]:
    """The environment without a maintainer's S3 settings, so tests stay on the loopback moto."""
    return {k: v for k, v in os.environ.items() if k not in ("S3_BUCKET", "AWS_REGION", "AWS_PROFILE")}


def invoke_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``invoke soak.overnight ...`` as a maintainer types it, on the loopback moto's fake credentials."""
    return run_invoke("soak.overnight", *args, base=clean_environ(), env={**FAKE_CREDS, **(env or {})}, timeout=timeout)
