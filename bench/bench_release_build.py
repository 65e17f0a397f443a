"""Benchmark: ``release.build`` for the full matrix against a sequential loop of the same 8 ``go build`` commands.

Both run in the same process, alternating, on a build cache warmed by a first release build, so
the comparison is of parallel vs sequential compile+link (plus, for release.build, verify/archive/checksums,
whose times are printed separately).

    python bench/bench_release_build.py [SRC] [--jobs N] [--repeat N] [--no-warm]

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
from common.versions import ReleaseVersion, parse_version
from release.build.checkout import open_checkout
from release.build.gobuild import go_build
from release.build.matrix import TARGETS
from release.build.release_build import parse_jobs, release_ldflags, run_release_build


def release_build_once(src: Path, out: Path, version: ReleaseVersion, jobs: int) -> dict[str, float]:
    """Wall time of the whole job plus its step times (step output swallowed)."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        job = run_release_build(src, out, version, jobs=jobs, snapshot=True)
    return {"total": time.perf_counter() - started, **job.timings}


def sequential_once(src: Path, out: Path, version: ReleaseVersion) -> float:
    """The same go build commands as release.build's build step, one after another."""
    started = time.perf_counter()
    for target in TARGETS:
        go_build(
            src,
            "./cmd/litestream",
            out / target.label / target.binary_name,
            env={"CGO_ENABLED": "0", **target.go_env()},
            ldflags=release_ldflags(version),
            trimpath=True,
            label=target.platform,
        )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default=os.environ.get("LITESTREAM_SRC"), help="Litestream checkout")
    parser.add_argument("--jobs", default=None, help="parallel builds for release.build (default: CPU count)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each side N times, report medians")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm-up build (cache already warm)")
    args = parser.parse_args()
    try:
        if not args.src:
            raise UserError("give a Litestream checkout as the argument or in LITESTREAM_SRC")
        src = Path(args.src).resolve()
        checkout = open_checkout(src)
        tags = checkout.tags_at_head()
        version = parse_version(tags[-1] if tags else f"{checkout.nearest_tag() or 'v0.0.0'}-next")
        jobs = parse_jobs(args.jobs)
        with tempfile.TemporaryDirectory(prefix="bench-release-build-") as scratch:
            root = Path(scratch)
            warm = None
            if not args.no_warm:
                warm = release_build_once(src, root / "warm", version, jobs)["total"]
                print(f"warm-up release.build: {warm:.1f} s", flush=True)
            runs, loops = [], []
            for number in range(args.repeat):
                # Alternate which side goes first, so neither always gets the warmer page cache.
                if number % 2:
                    loops.append(sequential_once(src, root / f"sequential-{number}", version))
                runs.append(release_build_once(src, root / f"release-{number}", version, jobs))
                if not number % 2:
                    loops.append(sequential_once(src, root / f"sequential-{number}", version))
    except UserError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return 1
    release = statistics.median(run["total"] for run in runs)
    build = statistics.median(run["build"] for run in runs)
    archive = statistics.median(run["archive"] + run["checksums"] for run in runs)
    sequential = statistics.median(loops)
    print(f"checkout {src} @ {checkout.head_sha[:12]} ({version.tag}), {len(TARGETS)} targets, jobs={jobs}")
    print(f"release.build, full matrix:     {release:7.1f} s")
    print(f"  of which parallel go builds:  {build:7.1f} s")
    print(f"  of which archives+checksums:  {archive:7.1f} s")
    print(f"sequential loop of 8 go builds: {sequential:7.1f} s")
    print(f"ratio sequential / release.build: {sequential / release:.2f}x")
    print(f"ratio sequential / parallel builds only: {sequential / build:.2f}x")
    summary = {
        "src": str(src),
        "commit": checkout.head_sha,
        "version": version.tag,
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "warmup_s": warm,
        "release_build_s": release,
        "parallel_builds_s": build,
        "archive_checksums_s": archive,
        "sequential_builds_s": sequential,
        "ratio": sequential / release,
        "runs": runs,
        "sequential_runs": loops,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
