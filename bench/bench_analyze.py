"""Benchmark: soak.analyze on a >= 1 GB litestream.log against one ``grep -c 'level=ERROR'`` pass.

Builds a run directory in a temp dir by repeating REAL log excerpts (tests/fixtures/logs) with
advancing timestamps, runs both on the same (page-cached) file in the same run, prints throughput
(MB/s), peak RSS and the ratio, then deletes the data.

    python bench/bench_analyze.py [--size 1GB] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# An unfiltered DEBUG window (realistic density of uninteresting lines) plus a window with real S3 errors.
EXCERPTS = ("logs/text-debug-window.log", "logs/text-outage.log")
_TIME = re.compile(rb"^time=(\S+) ")
sys.path.insert(0, str(ROOT))

from common.units import parse_size  # noqa: E402


def _lines(path: Path) -> tuple[list[tuple[float, bytes]], float]:
    """(seconds since the excerpt's first line, rest of line) and the excerpt's span."""
    out: list[tuple[float, bytes]] = []
    first: float | None = None
    for line in path.read_bytes().splitlines(keepends=True):
        match = _TIME.match(line)
        if not match:
            continue
        t = datetime.fromisoformat(match.group(1).decode()).timestamp()
        first = t if first is None else first
        out.append((t - first, line[match.end() - 1 :]))
    return out, (out[-1][0] if out else 0.0) + 1.0


def build_run_dir(target: Path, size: int) -> Path:
    """A run dir whose logs/litestream.log holds at least ``size`` bytes of repeated real lines."""
    (target / "logs").mkdir(parents=True)
    for name in ("run.json", "result.json", "metrics.jsonl"):
        shutil.copy(FIXTURES / "rundir" / name, target / name)
    shutil.copy(FIXTURES / "rundir" / "logs" / "load.log", target / "logs" / "load.log")
    excerpts = [_lines(FIXTURES / name) for name in EXCERPTS]
    clock = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    written = 0
    with (target / "logs" / "litestream.log").open("wb", buffering=8 * 1024 * 1024) as out:
        rep = 0
        while written < size:
            lines, span = excerpts[0] if rep % 20 else excerpts[1]  # one error window in twenty
            chunk = []
            for offset, rest in lines:
                stamp = (clock + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
                chunk.append(b"time=" + stamp.encode() + b"Z" + rest)
            data = b"".join(chunk)
            out.write(data)
            written += len(data)
            clock += timedelta(seconds=span)
            rep += 1
    return target


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user+sys), peak RSS (bytes) of ``cmd`` via GNU time, and its stdout."""
    fmt = "BENCH %e %U %S %M"
    proc = subprocess.run(["/usr/bin/time", "-f", fmt, *cmd], cwd=cwd, capture_output=True, text=True)
    line = next((row for row in reversed(proc.stderr.splitlines()) if row.startswith("BENCH ")), None)
    if proc.returncode not in (0, 1) or line is None:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    wall, user, system, max_kb = (float(x) for x in line.split()[1:])
    return wall, user + system, int(max_kb) * 1024, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1GB", help="log size to generate (default 1GB)")
    ap.add_argument("--keep", action="store_true", help="keep the generated run dir (default: delete it)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    try:
        t0 = time.perf_counter()
        run_dir = build_run_dir(tmp / "litestream-overnight-s3-bench", parse_size(args.size))
        log = run_dir / "logs" / "litestream.log"
        mb = log.stat().st_size / 1e6
        print(f"generated {mb:,.0f} MB of litestream.log in {time.perf_counter() - t0:.1f}s: {run_dir}")
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache for both
        grep_wall, grep_cpu, grep_rss, grep_out = timed(["grep", "-c", "level=ERROR", str(log)])
        cmd = ["invoke", "soak.analyze", "--run-dir", str(run_dir), "--format", "json"]
        inv_wall, inv_cpu, inv_rss, report = timed(cmd, cwd=ROOT)
        print(f"{'':22}{'wall s':>8}{'cpu s':>8}{'MB/s wall':>11}{'MB/s cpu':>10}{'peak RSS MB':>13}")
        for name, wall, cpu, rss in (
            ("grep -c level=ERROR", grep_wall, grep_cpu, grep_rss),
            ("invoke soak.analyze", inv_wall, inv_cpu, inv_rss),
        ):
            print(f"{name:22}{wall:>8.2f}{cpu:>8.2f}{mb / wall:>11.0f}{mb / max(cpu, 0.01):>10.0f}{rss / 1e6:>13.1f}")
        errors = json.loads(report)["sections"]["errors"]
        counted = f"soak.analyze {errors['error_total']} ({errors['critical']} critical)"
        print(f"ERROR lines: grep {grep_out.strip()}, {counted}")
        print(
            f"ratio analyze/grep throughput: wall {grep_wall / inv_wall:.3f}, cpu {max(grep_cpu, 0.01) / inv_cpu:.3f} "
            f"(aim >= 0.333); peak RSS {inv_rss / 1e6:.0f} MB (aim < 100 MB)"
        )
        print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
