"""The embedded S3 (versitygw) under the overnight default load: its memory, CPU and bucket, minute by minute.

    python bench/bench_embedded_s3.py --bin /tmp/ls-bin-v0.5.16 [--minutes 30] [--initial-size 100MB] [soak flags]

Runs ``invoke soak.overnight --duration <minutes>m --initial-size 100MB`` (every other flag at its default: 100
ops/s wave, 4 KB payload, 8 workers) in its own process group. Once a minute it samples the server's RSS, peak RSS
(VmHWM) and CPU time, the bucket's objects and bytes and the time of one full paginated ListObjectsV2 pass, the
bytes under the server's directory (``du``: what the disk really holds, multipart parts included), the database
size, and the harness's own CPU (its children excluded). Then it prints the table and a line extrapolating peak
RSS, disk and listing time to 8 hours from the slopes measured over the second half of the run.

The listing uses the server's per-run root keys, read from its environment (/proc/PID/environ, same user); they are
never printed. Targets (issue 12): server peak RSS under 256 MB all run; harness plus server CPU under 10 % of a core.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from soak.run.litestream_config import Schedule  # noqa: E402  (the project, importable from a checkout)
from soak.run.params import replica_bytes  # noqa: E402
from tests.support.soak import soak_params  # noqa: E402

MB = 1024**2
RSS_TARGET_MB = 256
CPU_TARGET_PCT = 10.0
EIGHT_HOURS_MIN = 480


@dataclass
class Sample:
    minute: float
    rss: int
    hwm: int
    server_cpu_s: float
    objects: int
    bucket_bytes: int
    disk_bytes: int
    list_s: float
    db_bytes: int
    harness_cpu_s: float


def find_server(harness: psutil.Process) -> psutil.Process | None:
    for kid in harness.children(recursive=True):
        try:
            if Path(kid.cmdline()[0]).name == "versitygw":
                return kid
        except (psutil.Error, IndexError):
            continue
    return None


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def server_client(server: psutil.Process) -> Any:
    """A boto3 client on the server's port with its root keys (from its environment, never shown)."""
    env = server.environ()
    argv = server.cmdline()
    address = argv[argv.index("--port") + 1]
    return boto3.client(
        "s3",
        endpoint_url=f"http://{address}",
        region_name=env.get("VGW_REGION", "us-east-1"),
        aws_access_key_id=env["ROOT_ACCESS_KEY_ID"],
        aws_secret_access_key=env["ROOT_SECRET_ACCESS_KEY"],
    )


def listing(client: Any, bucket: str) -> tuple[int, int, float]:
    started = time.monotonic()
    objects = size = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            objects += 1
            size += int(obj["Size"])
    return objects, size, time.monotonic() - started


def du(path: Path) -> int:
    total = 0
    for entry in path.rglob("*"):
        try:
            total += entry.lstat().st_blocks * 512
        except OSError:
            continue
    return total


def file_size(*paths: Path) -> int:
    return sum(p.stat().st_size for p in paths if p.exists())


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope per minute."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def extrapolate(samples: list[Sample], attr: str) -> tuple[float, float]:
    """(slope per hour, value at 8 hours) from the second half of the samples; a falling slope is noise (peaks,
    bucket and listing do not shrink for good), so it counts as flat."""
    half = samples[len(samples) // 2 :]
    per_min = max(0.0, slope([(s.minute, float(getattr(s, attr))) for s in half]))
    last = samples[-1]
    return per_min * 60, float(getattr(last, attr)) + per_min * (EIGHT_HOURS_MIN - last.minute)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=30, help="soak duration in minutes (default 30)")
    parser.add_argument("--initial-size", default="100MB", help="database size before the load (default 100MB)")
    ours, soak_args = parser.parse_known_args()
    if "--test-dir" not in soak_args:
        soak_args += ["--test-dir", tempfile.mkdtemp(prefix="bench-embedded-s3-")]
    run_dir = Path(soak_args[soak_args.index("--test-dir") + 1])
    s3_dir = Path(soak_args[soak_args.index("--s3-dir") + 1]) if "--s3-dir" in soak_args else run_dir / "s3"
    argv = [sys.executable, "-m", "invoke", "soak.overnight", "--duration", f"{ours.minutes}m"]
    argv += ["--initial-size", ours.initial_size, *soak_args]
    log = run_dir.parent / f"{run_dir.name}.soak-output.txt"
    print(f"soak: {' '.join(argv[1:])}\nsoak output: {log}", flush=True)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    harness = psutil.Process(proc.pid)
    server: psutil.Process | None = None
    client: Any = None
    bucket = ""
    samples: list[Sample] = []
    peak_hwm = 0
    next_sample = time.monotonic() + 60
    header = (
        f"{'min':>4} {'RSS MB':>7} {'HWM MB':>7} {'srv CPU s':>9} {'objects':>8} {'bucket MB':>10} {'du MB':>8} "
        f"{'list s':>7} {'db MB':>7} {'harness CPU s':>13}"
    )
    print(header, flush=True)
    while proc.poll() is None:
        time.sleep(1)
        try:
            if server is None:
                server = find_server(harness)
            if server is not None:
                peak_hwm = max(peak_hwm, vm_hwm(server.pid))
            if client is None and server is not None and (run_dir / "run.json").exists():
                bucket = json.loads((run_dir / "run.json").read_text())["s3"]["bucket"]
                client = server_client(server)
        except (psutil.Error, OSError, KeyError, ValueError):
            continue
        if time.monotonic() < next_sample or server is None or client is None:
            continue
        next_sample += 60
        try:
            mem, cpu = server.memory_info(), server.cpu_times()
            objects, size, list_s = listing(client, bucket)
            mine = harness.cpu_times()
            sample = Sample(
                minute=(time.monotonic() - started) / 60,
                rss=mem.rss,
                hwm=vm_hwm(server.pid),
                server_cpu_s=cpu.user + cpu.system,
                objects=objects,
                bucket_bytes=size,
                disk_bytes=du(s3_dir),
                list_s=list_s,
                db_bytes=file_size(run_dir / "test.db", run_dir / "test.db-wal"),
                harness_cpu_s=mine.user + mine.system,
            )
        except Exception as exc:  # the server stopping at the end of the run, mostly
            print(f"  (sample skipped: {type(exc).__name__})", flush=True)
            continue
        samples.append(sample)
        print(
            f"{sample.minute:4.0f} {sample.rss / MB:7.0f} {sample.hwm / MB:7.0f} {sample.server_cpu_s:9.1f} "
            f"{sample.objects:8d} {sample.bucket_bytes / MB:10.0f} {sample.disk_bytes / MB:8.0f} "
            f"{sample.list_s:7.3f} {sample.db_bytes / MB:7.0f} {sample.harness_cpu_s:13.1f}",
            flush=True,
        )
    wall_min = (time.monotonic() - started) / 60
    result = run_dir / "result.json"
    status = json.loads(result.read_text()).get("status") if result.exists() else None
    print(f"\nsoak exit code {proc.returncode}, status {status}; run dir {run_dir}")
    if not samples:
        print("no samples (the soak ended before its first minute)")
        return 1
    last = samples[-1]
    cpu_pct = 100 * (last.server_cpu_s + last.harness_cpu_s) / (last.minute * 60)
    srv_pct = 100 * last.server_cpu_s / (last.minute * 60)
    print(
        f"server peak RSS (VmHWM) {peak_hwm / MB:.0f} MB (target < {RSS_TARGET_MB} MB: "
        f"{'met' if peak_hwm < RSS_TARGET_MB * MB else 'MISSED'}); "
        f"CPU server {srv_pct:.1f} % + harness {100 * last.harness_cpu_s / (last.minute * 60):.1f} % = "
        f"{cpu_pct:.1f} % of one core (target < {CPU_TARGET_PCT:g} %: "
        f"{'met' if cpu_pct < CPU_TARGET_PCT else 'MISSED'})"
    )
    hwm_h, hwm_8h = extrapolate(samples, "hwm")
    disk_h, disk_8h = extrapolate(samples, "disk_bytes")
    list_h, list_8h = extrapolate(samples, "list_s")
    print(
        f"8-hour extrapolation (slopes over minutes {samples[len(samples) // 2].minute:.0f}-{last.minute:.0f}): "
        f"peak RSS {hwm_8h / MB:.0f} MB ({hwm_h / MB:+.1f} MB/h), server dir {disk_8h / 1024**3:.1f} GB "
        f"({disk_h / 1024**3:+.2f} GB/h), listing {list_8h:.2f} s ({list_h:+.3f} s/h); wall {wall_min:.1f} min"
    )
    estimate = replica_bytes(soak_params(duration=f"{ours.minutes}m", initial_size=ours.initial_size), Schedule())
    estimate_8h = replica_bytes(soak_params(duration="8h", initial_size=ours.initial_size), Schedule())
    measured = max(s.disk_bytes for s in samples)
    print(
        f"disk check's bucket estimate: {estimate / 1024**3:.2f} GB for this run (measured peak "
        f"{measured / 1024**3:.2f} GB), {estimate_8h / 1024**3:.1f} GB for 8 hours (default schedule)"
    )
    return 0 if status == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
