"""Real processes for the fault-layer tests: a moto S3 server, and Toxiproxy / mitmdump installed once per session.

The installs go to ``$LITESTREAM_TOOLS_CACHE`` (default ~/.cache/litestream-release-tools), so CI pays them once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from common.processes import Child, free_port
from common.tools import tools_cache_dir
from soak.faults.http_errors import ensure_mitmdump
from soak.faults.toxiproxy import ensure_toxiproxy

FAKE_KEY = "fake-key-TESTONLY"
FAKE_SECRET = "fake-secret-TESTONLY"


@pytest.fixture(scope="session")
def tools_cache() -> Path:
    return tools_cache_dir()


@pytest.fixture(scope="session")
def toxiproxy_bin(tools_cache: Path) -> Path:
    started = time.monotonic()
    binary = ensure_toxiproxy(tools_cache)
    print(f"toxiproxy ready in {time.monotonic() - started:.1f}s: {binary}")
    return binary


@pytest.fixture(scope="session")
def mitmdump_bin(tools_cache: Path) -> Path:
    started = time.monotonic()
    binary = ensure_mitmdump(tools_cache)
    print(f"mitmdump ready in {time.monotonic() - started:.1f}s: {binary}")
    return binary


def start_moto(log: Path, env: dict[str, str] | None = None) -> tuple[Child, str]:
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = Child("moto", argv, log, env=env)

    def answers() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1).status_code < 500
        except requests.RequestException:
            return False

    proc.start().wait_ready(answers, timeout_s=30, fix="moto[server] must be installed")
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, endpoint = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield endpoint
    finally:
        proc.stop()


def s3_client(endpoint: str, *, timeout: float = 5, key: str = FAKE_KEY, secret: str = FAKE_SECRET) -> Any:
    """boto3 with retries disabled, so every injected fault shows as one failed call."""
    config = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=timeout,
        read_timeout=timeout,
        s3={"addressing_style": "path"},
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=config,
    )


@pytest.fixture
def make_s3() -> Callable[..., Any]:
    return s3_client
