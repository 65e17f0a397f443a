"""The soak harness's own cost: its CPU share (children excluded) and the monitor's S3 requests per tick.

    python bench/bench_soak_overhead.py --bin /tmp/lsbin --duration 3m --initial-size 5MB [--interrupt-after 60]

Runs ``invoke soak.overnight`` with the given flags in its own process group, samples the invoke
process's own CPU time with psutil every 0.5 s (its children's time is not counted), optionally sends
SIGINT to the group, then prints the figures and any process left in the children's sessions.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interrupt-after", type=float, default=0.0, help="send SIGINT after this many seconds")
    ours, soak_args = parser.parse_known_args()
    if "--test-dir" not in soak_args:
        soak_args += ["--test-dir", tempfile.mkdtemp(prefix="soak-bench-")]
    run_dir = Path(soak_args[soak_args.index("--test-dir") + 1])
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "invoke", "soak.overnight", *soak_args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    harness = psutil.Process(proc.pid)
    cpu_s, sessions, sent = 0.0, set(), False
    while proc.poll() is None:
        try:
            times = harness.cpu_times()
            cpu_s = times.user + times.system
            for kid in harness.children(recursive=True):
                sessions.add(os.getsid(kid.pid))
        except (psutil.Error, ProcessLookupError):
            pass
        if ours.interrupt_after and not sent and time.monotonic() - started > ours.interrupt_after:
            os.killpg(proc.pid, signal.SIGINT)
            sent = True
        time.sleep(0.5)
    wall_s = time.monotonic() - started
    left = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if os.getsid(p.pid) in sessions:
                left.append(" ".join(p.info["cmdline"] or []))
        except (ProcessLookupError, psutil.Error):
            continue
    metrics = run_dir / "metrics.jsonl"
    ticks = [json.loads(line) for line in metrics.read_text().splitlines()] if metrics.exists() else []
    status = json.loads((run_dir / "result.json").read_text())["status"] if (run_dir / "result.json").exists() else None
    print(f"run dir            {run_dir}")
    print(f"exit code, status  {proc.returncode}, {status}")
    print(f"harness CPU        {cpu_s:.2f}s of {wall_s:.1f}s wall = {100 * cpu_s / wall_s:.2f}%")
    print(f"S3 requests/tick   {[t['s3']['requests'] for t in ticks]} (objects {[t['s3']['objects'] for t in ticks]})")
    print(f"left behind        {left or 'nothing'}")
    return 0 if not left else 1


if __name__ == "__main__":
    sys.exit(main())
