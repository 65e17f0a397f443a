"""Process lifecycle with stand-in executables: crashes seen within one tick, interrupts, no orphans."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT
from tests.support.rundir import problems_in
from tests.support.soak import (
    FAKE_CREDS,
    INTERVAL_S,
    STANDINS,
    clean_environ,
    descendants,
    leftovers,
    result_of,
    sid_of,
    start_soak,
    wait_for_phase,
)


@pytest.mark.parametrize(
    ("env", "process", "marker"),
    [
        ({"STANDIN_LITESTREAM_CRASH_AFTER": "3"}, "litestream", "panic: stand-in litestream crashed"),
        ({"STANDIN_LOAD_CRASH_AFTER": "3"}, "litestream-test load", "integer divide by zero"),
    ],
)
def test_crash_is_seen_within_one_tick(tmp_path: Path, env: dict[str, str], process: str, marker: str) -> None:
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--replica", "file", "--duration", "2m", env=env)
    sessions = wait_for_phase(proc, run_dir)
    seen = time.monotonic()
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 1, err
    assert time.monotonic() - seen < 3 + INTERVAL_S + 5, "the crash must end the run within one tick"
    result = result_of(run_dir)
    assert result["status"] == "fail" and result["phase"] == "monitor"
    assert result["crash"]["process"] == process and result["crash"]["exit_code"] == 2
    assert any(marker in line for line in result["crash"]["last_log_lines"])
    assert [c["name"] for c in result["checks"] if not c["passed"]] == ["no_crash"]
    assert problems_in(run_dir) == [], "run.json, metrics.jsonl and result.json match the schema exactly"
    assert leftovers(sessions) == [], "the stand-in's grandchild (sleep) must be gone with its group"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_keeps_artifacts_and_leaves_no_process(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """The embedded S3 server, litestream and the load (and their children) all go; result says so."""
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--duration", "5m")
    sessions = wait_for_phase(proc, run_dir)
    assert len(sessions) >= 3, "the S3 server, litestream and the load each in their own session"
    assert any(cmd.split()[0].endswith("/versitygw") for _, cmd in descendants(proc.pid)), "the embedded S3 runs"
    time.sleep(1)
    os.killpg(proc.pid, sig)  # as a terminal's Ctrl+C does: the whole foreground group
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == code, err
    assert "Traceback" not in err + out
    result = result_of(run_dir)
    assert result["status"] == "interrupted" and result["phase"] == "monitor"
    assert sig.name in result["reason"]
    assert f"artifacts in {run_dir}" in out
    for kept in ("run.json", "litestream.yml", "test.db", "logs/litestream.log", "logs/load.log", "logs/s3.log"):
        assert (run_dir / kept).exists(), kept
    assert json.loads((run_dir / "run.json").read_text())["ended_at"]
    assert problems_in(run_dir) == []
    assert leftovers(sessions) == []


def test_interrupt_during_populate_writes_interrupted(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    slow = tmp_path / "bin"
    slow.mkdir()
    (slow / "litestream").symlink_to(STANDINS / "litestream")
    (slow / "litestream-test").write_text(
        "#!/bin/sh\n[ \"$1\" = version ] && { echo 'litestream-test slow'; exit 0; }\nexec sleep 300\n"
    )
    (slow / "litestream-test").chmod(0o755)
    argv = [sys.executable, "-m", "invoke", "soak.overnight", "--bin", str(slow), "--test-dir", str(run_dir)]
    proc = subprocess.Popen(
        [*argv, "--replica", "file"],
        cwd=PROJECT_ROOT,
        env=clean_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any("sleep" in cmd for _, cmd in descendants(proc.pid)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    sessions = [s for s in (sid_of(pid) for pid, _ in descendants(proc.pid)) if s is not None]
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    result = result_of(run_dir)
    assert (result["status"], result["phase"]) == ("interrupted", "populate")
    assert leftovers(sessions) == []


def test_a_pipe_gets_a_plain_status_line_every_tick_while_the_run_goes_on(tmp_path: Path) -> None:
    """Not a terminal (a CI log): each --interval tick prints a status line at once, not at the end of the run."""
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--replica", "file", "--duration", "5m")
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True)
    reader.start()
    statuses: list[str] = []
    deadline = time.monotonic() + 60
    while len(statuses) < 2 and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            line = lines.get(timeout=1)
            if line.startswith("  status "):
                statuses.append(line.rstrip("\n"))
    assert proc.poll() is None, "the status lines must arrive while the run is still going"
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=90)
    reader.join(timeout=10)
    assert proc.returncode == 130
    assert len(statuses) == 2, statuses
    assert re.fullmatch(r"  status 5s of 5m \(2%\): rows \d+, objects \d+, txid lag (\d+|-), errors 0", statuses[0]), (
        statuses[0]
    )
    assert statuses[1].startswith("  status 10s of 5m (3%): "), statuses[1]


def test_the_end_of_a_run_names_the_next_command_and_the_size_on_disk(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--replica", "file", "--duration", "5m")
    wait_for_phase(proc, run_dir)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    tail = out.splitlines()[-2:]
    assert re.fullmatch(rf"artifacts in {re.escape(str(run_dir))} \(\d+\.\d [KM]iB on disk\)", tail[0]), tail
    assert tail[1] == f"next: invoke soak.analyze {run_dir}"


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_only_litestream_gets_credentials_and_the_embedded_s3_gets_its_own(tmp_path: Path) -> None:
    """The harness runs with a maintainer's keys and profile; the load sees no AWS_* at all, and litestream (on the
    embedded S3) sees the server's per-run root keys, not the maintainer's."""
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--duration", "5m", env={"AWS_PROFILE": "maintainer-sso"})
    try:
        wait_for_phase(proc, run_dir)
        kids = descendants(proc.pid)
        load = next(pid for pid, cmd in kids if " load -db " in cmd)
        litestream = next(pid for pid, cmd in kids if " replicate -config " in cmd)
        assert not [k for k in _environ(load) if k.startswith("AWS_")]
        server = next(pid for pid, cmd in kids if cmd.split()[0].endswith("/versitygw"))
        env, root = _environ(litestream), _environ(server)
        keys = (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
        assert keys == (root["ROOT_ACCESS_KEY_ID"], root["ROOT_SECRET_ACCESS_KEY"])
        assert keys != (FAKE_CREDS["AWS_ACCESS_KEY_ID"], FAKE_CREDS["AWS_SECRET_ACCESS_KEY"]), "made up per run"
        assert "AWS_PROFILE" not in env
        assert not [k for k in root if k.startswith("AWS_")], "the server gets its own keys, not the maintainer's"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=90)


def _every_argv() -> list[str]:
    """Each process's command line, as ``ps`` shows it (/proc/PID/cmdline)."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        with contextlib.suppress(OSError):
            found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return found


def test_no_credential_in_any_argv_while_a_soak_runs(tmp_path: Path) -> None:
    """The embedded S3's root keys (and the maintainer's) travel in environments only: no command line shows them."""
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--duration", "5m")
    try:
        wait_for_phase(proc, run_dir)
        kids = descendants(proc.pid)
        server = next(pid for pid, cmd in kids if cmd.split()[0].endswith("/versitygw"))
        root = _environ(server)
        secrets = [root["ROOT_ACCESS_KEY_ID"], root["ROOT_SECRET_ACCESS_KEY"], *FAKE_CREDS.values()]
        argvs = _every_argv()
        assert len(argvs) > len(kids), "every process on the machine was read"
        assert [a for a in argvs if any(secret in a for secret in secrets)] == []
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=90)
