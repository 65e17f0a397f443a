"""Real Litestream replicating through the FaultLayer, with kills, an outage, latency, resets and S3 errors.

The experiment the soak will run at scale: populate, replicate through the faults while a load writes, stop the
load, remove the faults, let Litestream catch up, stop it, restore from the real endpoint, compare rows and digests.
Runs on the ``litestream`` fixture (the pinned release unless LITESTREAM_SRC / LITESTREAM_BIN_DIR say otherwise).
``FAULTS_EXPERIMENT_S`` sets the load's length (default 60 s, so CI stays short; the chaos preset needs at least
120 s; the README's figures came from 150-600 s runs); ``FAULTS_CAPTURE_DIR`` keeps the run's logs and databases there
(fixtures came from it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import pytest

from soak.analyze.analysis import analyze_run
from soak.analyze.criteria import Thresholds
from soak.faults.events import FaultEventLog, read_fault_events
from soak.faults.layer import FaultDriver, FaultLayer, KillScheduler
from soak.faults.plan import parse_fault_options
from tests.soak.faults.conftest import FAKE_KEY, FAKE_SECRET
from tests.support.litestream import RealLitestream

# AWS_CA_BUNDLE (set on some machines) makes litestream's S3 client fail at start: "unable to add custom RootCAs".
ENV = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"} | {
    "AWS_ACCESS_KEY_ID": FAKE_KEY,
    "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
    "AWS_REGION": "us-east-1",
}


def config(db: Path, endpoint: str, bucket: str) -> str:
    return f"""
logging: {{level: debug, type: text}}
snapshot: {{interval: 1h, retention: 24h}}
levels: [{{interval: 30s}}, {{interval: 1m}}]
dbs:
  - path: {db}
    checkpoint-interval: 30s
    replica:
      type: s3
      bucket: {bucket}
      path: db
      endpoint: {endpoint}
      region: us-east-1
      force-path-style: true
"""


def digest(db: Path) -> tuple[int, str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, data, text_field, int_field, timestamp FROM load_test ORDER BY id").fetchall()
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return len(rows), h.hexdigest()


RATES = {"s3_latency": 50, "s3_reset_rate": 0.02, "s3_error_rate": 0.02}
SCENARIOS = {
    "outage": {"outage_at": 0.4, **RATES},
    "kills-only": {"kill_every": "45s", "restart_after": "5s"},
    "kills+outage": {"kill_every": "45s", "restart_after": "5s", "outage_at": 0.4, **RATES},
    "chaos": {"chaos": True},
}


CHAOS_MIN_S = 120.0  # parse_fault_options refuses --chaos on a shorter run


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_litestream_survives_the_fault_layer(
    scenario: str, litestream: RealLitestream, tools_cache: Path, s3_endpoint: str, tmp_path: Path
) -> None:
    ls_bin, tester = litestream.litestream, litestream.litestream_test
    load_s = float(os.environ.get("FAULTS_EXPERIMENT_S", "60"))
    if SCENARIOS[scenario].get("chaos"):
        load_s = max(load_s, CHAOS_MIN_S)
    run = tmp_path / "run"
    logs = run / "logs"
    logs.mkdir(parents=True)
    db = run / "test.db"
    bucket = f"faults-{uuid.uuid4().hex[:12]}"  # the S3 server is shared by the session: a bucket of its own
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=FAKE_KEY,
        aws_secret_access_key=FAKE_SECRET,
    ).create_bucket(Bucket=bucket)
    subprocess.run([tester, "populate", "-db", db, "-target-size", "2MB"], check=True, capture_output=True)

    options = dict(SCENARIOS[scenario])
    if outage_at := options.pop("outage_at", None):
        options["s3_outage"] = [f"{round(load_s * outage_at)}s+30s"]
    plan = parse_fault_options(load_s, fault_seed=20261201, **options)
    assert plan is not None
    events = FaultEventLog(logs / "faults.log", run_started=time.time())
    layer = FaultLayer(plan, events, run / "faults", cache=tools_cache)
    proxied = layer.start(s3_endpoint)
    (run / "litestream.yml").write_text(config(db, proxied, bucket))
    (run / "restore.yml").write_text(config(db, s3_endpoint, bucket))
    ls_log = logs / "litestream.log"
    procs: list[subprocess.Popen[bytes]] = []

    def start_litestream() -> dict[str, int]:
        with ls_log.open("ab") as out:
            procs.append(
                subprocess.Popen(
                    [ls_bin, "replicate", "-config", run / "litestream.yml"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=ENV,
                    start_new_session=True,
                )
            )
        return {"pid": procs[-1].pid}

    def kill_litestream() -> dict[str, int | bool]:
        alive = procs[-1].poll() is None
        os.killpg(procs[-1].pid, signal.SIGKILL)
        procs[-1].wait(10)
        return {"pid": procs[-1].pid, "was_alive": alive}

    kills = KillScheduler(plan.kill, events, kill_litestream, start_litestream) if plan.kill else None
    driver = FaultDriver([layer, kills] if kills else [layer])
    load = None
    try:
        start_litestream()
        time.sleep(3)
        with (logs / "load.log").open("ab") as out:
            load = subprocess.Popen(
                [
                    tester,
                    "load",
                    "-db",
                    db,
                    "-write-rate",
                    "40",
                    "-duration",
                    f"{load_s:g}s",
                    "-pattern",
                    "constant",
                    "-payload-size",
                    "512",
                    "-workers",
                    "2",
                    "-read-ratio",
                    "0.1",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        driver.start()
        load.wait(load_s + 60)
        driver.stop()
        if kills:
            kills.finish()
        layer.remove_all()
        time.sleep(20)  # catch-up: a sync and an L1 compaction without faults
        procs[-1].send_signal(signal.SIGTERM)
        procs[-1].wait(60)
    finally:
        driver.stop()
        for proc in [*procs, load]:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL) if proc in procs else proc.kill()
                proc.wait(10)
        layer.stop()
    restored = run / "restored.db"
    done = subprocess.run(
        [ls_bin, "restore", "-config", run / "restore.yml", "-o", restored, db],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    (logs / "restore.log").write_text(done.stdout + done.stderr)
    if capture := os.environ.get("FAULTS_CAPTURE_DIR"):
        shutil.copytree(run, capture, dirs_exist_ok=True)

    fault_events = read_fault_events(logs / "faults.log").events
    section = analyze_run(run, Thresholds()).data["sections"]["faults"]
    source = digest(db)
    print(f"\nfaults={section['count']} longest_recovery_s={section['max_recovery_s']} source_rows={source[0]}")
    for fault in section["faults"]:
        print(
            f"  {fault['kind']} at {fault['start']} len={fault['duration_s']} "
            f"errors={fault['expected_errors']} recovery_s={fault['recovery_s']}"
        )
    assert done.returncode == 0, done.stderr[-2000:]
    kill_events = [e for e in fault_events if e.kind == "kill"]
    assert len(kill_events) == (len(plan.kill.times_s) if plan.kill else 0)
    assert all(e.detail["was_alive"] for e in kill_events), "litestream had died before a kill"
    assert [e.event for e in fault_events if e.kind == "outage"] == ["start", "end"] * len(plan.outages)
    assert section["unrecovered"] == 0

    with sqlite3.connect(restored) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        table_rows = conn.execute("SELECT COUNT(*) FROM load_test NOT INDEXED").fetchone()[0]
    problems = [] if integrity == "ok" else [f"integrity_check: {integrity}"]
    if table_rows != source[0] or (integrity == "ok" and digest(restored) != source):
        problems.append(f"restored {table_rows} of {source[0]} rows")
    print(f"  restored_rows={table_rows} integrity={integrity}")
    if problems and plan.kill:
        pytest.xfail(f"Litestream v0.5.16 loses rows written around a SIGKILL: {'; '.join(problems)}")
    assert not problems, "a run under faults lost or changed rows"
