"""Real Toxiproxy in front of the real test S3 server: latency, outage and resets really happen, and go away."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from common.errors import UserError
from common.processes import free_port
from soak.faults.toxiproxy import Toxiproxy


@pytest.fixture
def toxi(toxiproxy_bin: Path, tmp_path: Path) -> Iterator[Toxiproxy]:
    server = Toxiproxy(toxiproxy_bin, tmp_path / "toxiproxy.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def proxied(toxi: Toxiproxy, s3_endpoint: str) -> str:
    upstream = urlsplit(s3_endpoint).netloc
    return f"http://127.0.0.1:{toxi.create_proxy('s3', upstream)}"


def timed_calls(s3: Any, n: int) -> float:
    took = []
    for _ in range(n):
        started = time.monotonic()
        s3.list_buckets()
        took.append(time.monotonic() - started)
    return statistics.median(took)


def failures(s3: Any, n: int) -> int:
    failed = 0
    for _ in range(n):
        try:
            s3.list_buckets()
        except (BotoCoreError, ClientError):
            failed += 1
    return failed


def test_latency_toxic_adds_measurable_latency(toxi: Toxiproxy, s3_endpoint: str, make_s3: Callable[..., Any]) -> None:
    s3 = make_s3(proxied(toxi, s3_endpoint))
    base = timed_calls(s3, 5)
    toxi.add_toxic("s3", "latency", "latency", {"latency": 300, "jitter": 0})
    slow = timed_calls(s3, 5)
    toxi.remove_toxic("s3", "latency")
    assert slow - base >= 0.28, (base, slow)
    assert timed_calls(s3, 5) < base + 0.1


def test_outage_makes_calls_fail_and_they_recover_after(
    toxi: Toxiproxy, s3_endpoint: str, make_s3: Callable[..., Any]
) -> None:
    s3 = make_s3(proxied(toxi, s3_endpoint), timeout=2)
    s3.list_buckets()
    toxi.set_enabled("s3", False)
    started = time.monotonic()
    assert failures(s3, 5) == 5
    assert time.monotonic() - started < 5, "refused at once, not a hang"
    toxi.set_enabled("s3", True)
    assert failures(s3, 5) == 0


def test_reset_peer_resets_about_its_toxicity(toxi: Toxiproxy, s3_endpoint: str, make_s3: Callable[..., Any]) -> None:
    s3 = make_s3(proxied(toxi, s3_endpoint), timeout=2)
    toxi.add_toxic("s3", "reset", "reset_peer", {"timeout": 0}, toxicity=0.5)
    failed = failures(s3, 100)
    toxi.reset()
    assert 30 <= failed <= 70, failed
    assert failures(s3, 20) == 0


def test_after_the_proxy_is_stopped_the_direct_path_works(
    toxiproxy_bin: Path, tmp_path: Path, s3_endpoint: str, make_s3: Callable[..., Any]
) -> None:
    server = Toxiproxy(toxiproxy_bin, tmp_path / "toxiproxy.log")
    server.start()
    endpoint = proxied(server, s3_endpoint)
    make_s3(endpoint).list_buckets()
    server.stop()
    assert failures(make_s3(endpoint, timeout=1), 1) == 1
    make_s3(s3_endpoint).list_buckets()


def test_a_busy_port_is_retried_and_a_dead_server_is_one_line(
    toxiproxy_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr("soak.faults.toxiproxy.free_port", lambda: next(ports))
        server = Toxiproxy(toxiproxy_bin, tmp_path / "toxiproxy.log")
        server.start()
        try:
            assert server.api != f"http://127.0.0.1:{taken}" and server.proxy  # answered on the second port
        finally:
            server.stop()
        monkeypatch.setattr("soak.faults.toxiproxy.free_port", lambda: taken)
        with pytest.raises(UserError) as caught:
            Toxiproxy(toxiproxy_bin, tmp_path / "again.log").start()
    line = caught.value.line()
    assert line.startswith("toxiproxy failed at start (listen tcp 127.0.0.1:") and "address already in use" in line
