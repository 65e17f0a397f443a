"""Real processes for the fault-layer tests: the test S3 server, and Toxiproxy / mitmdump installed once per session.

The installs go to ``$LITESTREAM_TOOLS_CACHE`` (default ~/.cache/litestream-release-tools), so CI pays them once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from common.tools import tools_cache_dir
from soak.faults.http_errors import ensure_mitmdump
from soak.faults.toxiproxy import ensure_toxiproxy
from tests.support.s3_server import FAKE_CREDS, S3Server

FAKE_KEY = FAKE_CREDS["AWS_ACCESS_KEY_ID"]  # the test S3 server's root keys
FAKE_SECRET = FAKE_CREDS["AWS_SECRET_ACCESS_KEY"]


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


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test S3 server (versitygw, signatures checked), one per module so bucket names never collide."""
    server = S3Server(tmp_path_factory.mktemp("s3-server"))
    try:
        yield server.endpoint
    finally:
        server.stop()


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
