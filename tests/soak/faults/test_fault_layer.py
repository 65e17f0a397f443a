"""FaultLayer end to end over real processes: litestream's side → Toxiproxy → mitmdump → the test S3 server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from common.errors import UserError
from soak.faults.events import FaultEventLog, read_fault_events
from soak.faults.layer import FaultLayer
from soak.faults.plan import FaultPlan, Outage


def outcomes(s3: Any, n: int) -> list[str]:
    seen = []
    for _ in range(n):
        try:
            s3.list_buckets()
            seen.append("ok")
        except ClientError as exc:
            seen.append(exc.response["Error"]["Code"])
        except BotoCoreError:
            seen.append("connection")
    return seen


def test_the_chain_injects_the_plan_and_remove_all_restores_a_clean_path(
    toxiproxy_bin: Path,
    mitmdump_bin: Path,
    tools_cache: Path,
    tmp_path: Path,
    s3_endpoint: str,
    make_s3: Callable[..., Any],
) -> None:
    plan = FaultPlan(seed=3, latency_ms=150, error_rate=0.3, outages=(Outage(10, 5),))
    events = FaultEventLog(tmp_path / "logs" / "faults.log", run_started=time.time())
    layer = FaultLayer(plan, events, tmp_path / "faults", cache=tools_cache)
    endpoint = layer.start(s3_endpoint)
    try:
        assert endpoint != s3_endpoint and endpoint.startswith("http://127.0.0.1:")
        assert set(layer.describe()) == {"mitmproxy", "toxiproxy"}
        s3 = make_s3(endpoint, timeout=2)
        assert outcomes(s3, 10) == ["ok"] * 10, "no fault before the first tick"
        started = [(e.kind, e.event) for e in layer.tick(0.0)]
        assert started == [("latency", "start"), ("http_error", "start")]
        t0 = time.monotonic()
        before = outcomes(s3, 20)
        assert (time.monotonic() - t0) / 20 >= 0.14, "latency through toxiproxy"
        assert 1 <= before.count("SlowDown") + before.count("InternalError") <= 15 and "connection" not in before
        injected = [e for e in layer.tick(5.0) if e.event == "inject"]
        assert len(injected) == 20 - before.count("ok")
        assert [(e.kind, e.event) for e in layer.tick(10.0)] == [("outage", "start")]
        assert outcomes(s3, 3) == ["connection"] * 3
        assert [(e.kind, e.event) for e in layer.tick(15.0)] == [("outage", "end")]
        assert "connection" not in outcomes(s3, 5)
        ended = [(e.kind, e.event) for e in layer.remove_all() if e.event != "inject"]
        assert ended == [("latency", "end"), ("http_error", "end")]
        t0 = time.monotonic()
        assert outcomes(s3, 20) == ["ok"] * 20
        assert (time.monotonic() - t0) / 20 < 0.14
        assert layer.tick(20.0) == []
    finally:
        layer.stop()
    assert outcomes(make_s3(endpoint, timeout=1), 1) == ["connection"], "stop() took the proxies away"
    logged = read_fault_events(tmp_path / "logs" / "faults.log").events
    assert [e.kind for e in logged if e.event == "start"] == ["latency", "http_error", "outage"]
    assert len(events.drain()) == len(logged)


def test_kill_only_plan_starts_no_proxy(tmp_path: Path) -> None:
    plan = FaultPlan(seed=1, kill=None, latency_ms=0)
    layer = FaultLayer(plan, FaultEventLog(tmp_path / "faults.log", time.time()), tmp_path)
    assert layer.start("http://127.0.0.1:9") == "http://127.0.0.1:9"
    assert layer.toxiproxy is None and layer.http is None


def test_error_injection_refuses_an_https_endpoint(tmp_path: Path) -> None:
    layer = FaultLayer(FaultPlan(seed=1, error_rate=0.1), FaultEventLog(tmp_path / "f.log", time.time()), tmp_path)
    with pytest.raises(UserError, match="--s3-error-rate needs a plain http:// S3 endpoint"):
        layer.start("https://s3.example.invalid")


def test_a_failed_start_leaves_nothing_running(
    mitmdump_bin: Path, tools_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str
) -> None:
    """mitmdump is up when Toxiproxy fails to start: the layer stops mitmdump before raising."""
    broken = tmp_path / "server"
    broken.write_text("#!/bin/sh\necho 'listen tcp: bind: address already in use' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr("soak.faults.layer.ensure_toxiproxy", lambda cache: broken)
    layer = FaultLayer(
        FaultPlan(seed=1, error_rate=0.1, latency_ms=10), FaultEventLog(tmp_path / "f.log", time.time()), tmp_path / "w"
    )
    mitm_before = {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "mitmdump"}
    with pytest.raises(UserError) as caught:
        layer.start(s3_endpoint)
    assert "toxiproxy exited with status 1 at start" in caught.value.line()
    assert "address already in use" in caught.value.line() and "\n" not in caught.value.line()
    time.sleep(0.2)
    mitm_after = {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "mitmdump"}
    assert mitm_after <= mitm_before and layer.http is None
