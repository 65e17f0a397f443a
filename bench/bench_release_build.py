"""Benchmark: what ``release.build`` costs on top of GoReleaser alone.

Both sides run the same pinned GoReleaser, ``release --snapshot --clean`` with the same skips, on the same commit,
alternating, after a warm-up: release.build adds the scratch clone, the health check, moving the dist and the
checks (matrix, archive members, go version -m, the host binary, sha256 of every file). It prints both wall
times, the ratio and release.build's per-step times, then a JSON summary.

    python bench/bench_release_build.py [SRC] [--repeat N] [--no-warm]

SRC defaults to LITESTREAM_SRC. Nothing is written to SRC; outputs go to a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.errors import UserError
from release.build.checkout import open_checkout
from release.build.goreleaser_run import (
    ALWAYS_SKIP,
    goreleaser_env,
    healthcheck,
    release_argv,
    run_goreleaser,
    scratch_clone,
)
from release.build.goreleaser_tool import GORELEASER_VERSION, checked_goreleaser
from release.build.release_build import run_release_build


def release_build_once(src: Path, out: Path) -> dict[str, float]:
    """Wall time of the whole job plus its step times (step output swallowed)."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        job = run_release_build(src, out / "dist", None, snapshot=True)
    return {"total": time.perf_counter() - started, **job.timings}


def goreleaser_once(binary: Path, clone: Path, skips: list[str]) -> float:
    """GoReleaser by hand in an existing clone: the same command release.build runs."""
    argv = release_argv(binary, snapshot=True, skips=[*ALWAYS_SKIP, *skips])
    started = time.perf_counter()
    run_goreleaser(argv, clone, clone.parent / "goreleaser.log", env=goreleaser_env(), echo=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default=os.environ.get("LITESTREAM_SRC"), help="Litestream checkout")
    parser.add_argument("--repeat", type=int, default=1, help="measure each side N times, report medians")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm-up build (cache already warm)")
    args = parser.parse_args()
    try:
        if not args.src:
            raise UserError("give a Litestream checkout as the argument or in LITESTREAM_SRC")
        src = Path(args.src).resolve()
        checkout = open_checkout(src)
        binary = checked_goreleaser()
        with tempfile.TemporaryDirectory(prefix="bench-release-build-") as scratch:
            root = Path(scratch)
            clone = scratch_clone(src, checkout.head_sha, root / "by-hand" / src.name)
            skips = list(healthcheck(binary, clone).values())
            warm = None
            if not args.no_warm:
                warm = release_build_once(src, root / "warm")["total"]
                print(f"warm-up release.build: {warm:.1f} s", flush=True)
            runs, plain = [], []
            for number in range(args.repeat):
                # Alternate which side goes first, so neither always gets the warmer page cache.
                if number % 2:
                    plain.append(goreleaser_once(binary, clone, skips))
                runs.append(release_build_once(src, root / f"run-{number}"))
                if not number % 2:
                    plain.append(goreleaser_once(binary, clone, skips))
    except UserError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return 1
    total = statistics.median(run["total"] for run in runs)
    goreleaser = statistics.median(run["release"] for run in runs)
    by_hand = statistics.median(plain)
    print(f"checkout {src} @ {checkout.head_sha[:12]}, GoReleaser {GORELEASER_VERSION}, snapshot")
    print(f"release.build --snapshot:              {total:7.1f} s")
    print(f"  of which GoReleaser itself:          {goreleaser:7.1f} s")
    print(f"  of which clone, checks and the rest: {total - goreleaser:7.1f} s")
    print(f"goreleaser release --snapshot by hand: {by_hand:7.1f} s")
    print(f"ratio release.build / by hand: {total / by_hand:.2f}x")
    summary = {
        "src": str(src),
        "commit": checkout.head_sha,
        "goreleaser": GORELEASER_VERSION,
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "warmup_s": warm,
        "release_build_s": total,
        "goreleaser_in_release_build_s": goreleaser,
        "by_hand_s": by_hand,
        "ratio": total / by_hand,
        "runs": runs,
        "by_hand_runs": plain,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
