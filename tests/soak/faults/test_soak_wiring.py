"""The fault options as ``invoke soak.overnight`` wires them: bad input, and the lifecycle with stand-in executables.

The stand-in litestream does not talk to S3, so these tests check the wiring (flags → plan → proxies in front of
S3 → kills and restarts → events in faults.log and metrics.jsonl → cleanup), not what Litestream does under the
faults; tests/faults/test_litestream_faults.py and the real soak runs in the README, "Soak under faults" do that.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import assert_one_error_line
from tests.support.rundir import problems_in
from tests.support.soak import STANDINS, descendants, invoke_cli, leftovers, result_of, start_soak, wait_for_phase

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--duration", "5m", "--s3-outage", "4m+2m"], ["--s3-outage '4m+2m' ends at 6m, after the run's 5m"]),
        (["--duration", "1m", "--kill-every", "2m"], ["--kill-every '2m' is not shorter than the run's 1m"]),
        (["--duration", "5m", "--s3-reset-rate", "1.5"], ["--s3-reset-rate '1.5' is outside 0..1"]),
        (["--duration", "5m", "--s3-error-rate", "-0.1"], ["--s3-error-rate '-0.1' is outside 0..1"]),
        (["--duration", "5m", "--s3-outage", "1m-30s"], ["--s3-outage '1m-30s' is not START+LENGTH"]),
        (["--duration", "5m", "--s3-outage", "1m+30s", "--s3-outage", "1m10s+1m"], ["windows overlap"]),
        (["--duration", "1m", "--chaos"], ["--chaos"]),
        (["--duration", "5m", "--kill-every", "1m", "--restart-after", "1m"], ["--restart-after"]),
        (["--duration", "5m", "--replica", "file", "--s3-latency", "100"], ["need an S3 replica", "--kill-every"]),
        (["--duration", "5m", "--replica", "file", "--chaos"], ["need an S3 replica"]),
        (["--duration", "5m", "--bucket", "a-bucket", "--s3-latency", "9"], ["need an endpoint URL", "--endpoint"]),
        (["--duration", "5m", "--fault-seed", "abc", "--kill-every", "1m"], ["--fault-seed 'abc' is not an integer"]),
    ],
)
def test_bad_fault_option_is_one_line_before_anything_starts(
    tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    run_dir = tmp_path / "run"
    done = invoke_cli("--bin", str(STANDINS), "--test-dir", str(run_dir), *args)
    assert_one_error_line(done, *needles)
    assert not run_dir.exists(), "nothing may start, not even the run directory"


def test_toxiproxy_that_cannot_be_installed_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    """No go on PATH and an empty tools cache: one line with the fix; no run dir, no S3 server, no proxy."""
    run_dir = tmp_path / "run"
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"  # python for the stand-ins; Go lives elsewhere
    env = {"PATH": path, "LITESTREAM_TOOLS_CACHE": str(cache)}
    done = invoke_cli(
        "--bin", str(STANDINS), "--test-dir", str(run_dir), "--duration", "1m", "--s3-outage", "10s+5s", env=env
    )
    assert_one_error_line(done, "Toxiproxy", "`go` is not on PATH", "install Go")
    assert not run_dir.exists()
    assert list(cache.iterdir()) == [], "nothing half-installed"
    assert "s3:" not in done.stdout, "the embedded S3 must not have been started"


def _wait_for_ticks(run_dir: Path, n: int, proc: Any, timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    metrics = run_dir / "metrics.jsonl"
    while time.monotonic() < deadline:
        lines = metrics.read_text().splitlines() if metrics.exists() else []
        if len(lines) >= n:
            return [json.loads(line) for line in lines]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} metrics ticks")


def _events(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "logs" / "faults.log").read_text().splitlines()]


def test_kills_and_s3_faults_are_injected_logged_and_cleaned_up(
    tmp_path: Path, toxiproxy_bin: Path, mitmdump_bin: Path
) -> None:
    """Kills every ~4 s with 1 s restarts, an outage, latency and error answers, through the real proxies.

    The fixtures install both proxies into the tools cache first (once per machine), where the soak finds them.
    """
    run_dir = tmp_path / "run"
    faults = ["--kill-every", "4s", "--restart-after", "1s", "--s3-outage", "6s+3s", "--s3-latency", "10"]
    faults += ["--s3-error-rate", "0.5", "--fault-seed", "3"]
    # --pitr-samples 0: the stand-in replicates nothing, so the run goes from the faults' removal to catch-up.
    proc = start_soak(run_dir, "--duration", "14s", "--pitr-samples", "0", *faults)
    sessions = set(wait_for_phase(proc, run_dir))
    helpers = [cmd for _, cmd in descendants(proc.pid) if "toxiproxy" in cmd or "mitmdump" in cmd]
    assert len(helpers) == 2, helpers
    # Ticks at 5 s, 10 s, 14 s (the deadline), then the one after the faults are removed.
    metrics = _wait_for_ticks(run_dir, 4, proc)
    events = _events(run_dir)
    sessions |= {e["detail"]["pid"] for e in events if e["kind"] == "restart"}  # each restart leads a new session
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)  # the stand-in never replicates, so catch-up would only wait
    out, err = proc.communicate(timeout=90)
    assert "Traceback" not in out + err
    assert leftovers(sorted(s for s in sessions if s is not None)) == [], "litestream, load, S3, proxies all gone"
    assert "faults    chaos" not in out and "SIGKILL litestream every ~4s" in out, "the banner names the faults"

    run = json.loads((run_dir / "run.json").read_text())
    assert run["faults"]["seed"] == 3 and run["faults"]["kill"]["restart_after_s"] == 1
    assert [o["start_s"] for o in run["faults"]["outages"]] == [6]
    assert set(run["faults_chain"]) == {"toxiproxy", "mitmproxy"}
    config = yaml.safe_load((run_dir / "litestream.yml").read_text())
    endpoint = config["dbs"][0]["replica"]["endpoint"]
    assert endpoint == run["s3"]["litestream_endpoint"] != run["s3"]["endpoint"], "litestream goes through the proxies"

    kinds = [(e["kind"], e["event"]) for e in _events(run_dir)]
    kills = kinds.count(("kill", "inject"))
    assert kills == len(run["faults"]["kill"]["times_s"]) >= 2
    assert kinds.count(("restart", "inject")) == kills
    for pair in [("outage", "start"), ("outage", "end"), ("latency", "start"), ("latency", "end")]:
        assert kinds.count(pair) == 1, pair
    assert ("http_error", "start") in kinds and ("http_error", "end") in kinds
    kill_events = [e for e in _events(run_dir) if e["kind"] == "kill"]
    assert all(e["detail"]["signal"] == "SIGKILL" and e["detail"]["exit_code"] == -9 for e in kill_events)
    assert 0 <= kill_events[0]["elapsed_s"] - kill_events[0]["detail"]["scheduled_s"] < 1.5

    # Every event of faults.log appears in exactly one metrics tick; the last tick carries the removal.
    in_metrics = [event for tick in metrics for event in tick["faults"]]
    assert sorted(json.dumps(e, sort_keys=True) for e in in_metrics) == sorted(
        json.dumps(e, sort_keys=True) for e in _events(run_dir)
    )
    assert ("outage", "end") in [(e["kind"], e["event"]) for e in metrics[1]["faults"]]
    assert {(e["kind"], e["event"]) for e in metrics[-1]["faults"]} >= {("latency", "end"), ("http_error", "end")}

    result = result_of(run_dir)
    assert result["status"] == "interrupted" and result["phase"] == "catch_up"
    no_crash = next(c for c in result["checks"] if c["name"] == "no_crash")
    assert no_crash["passed"] and f"{kills} deliberate SIGKILL" in no_crash["detail"]
    assert result.get("crash") is None
    log = (run_dir / "logs" / "litestream.log").read_text()
    assert log.count('msg="litestream"\n') == kills + 1, "each restart appends to the same log"
    assert problems_in(run_dir) == [], "faults, faults_chain, faults.log and the ticks' faults match the schema"


def test_interrupt_while_litestream_is_killed_leaves_nothing_behind(tmp_path: Path) -> None:
    """Ctrl+C in the down time of a kill: the fault thread must not restart litestream after the cleanup."""
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--replica", "file", "--duration", "1m", "--kill-every", "8s", "--restart-after", "5s")
    sessions = set(wait_for_phase(proc, run_dir))
    deadline = time.monotonic() + 30
    while not (run_dir / "logs" / "faults.log").exists() or not _events(run_dir):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    time.sleep(5.5)  # past the planned restart
    after = {e["detail"]["pid"] for e in _events(run_dir) if e["kind"] == "restart"}
    assert leftovers(sorted(s for s in sessions | after if s is not None)) == []
    result = result_of(run_dir)
    assert result["status"] == "interrupted" and result.get("crash") is None
