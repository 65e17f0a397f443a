"""Benchmark: what the ``upstream_suites`` gate step (Litestream's LTX behaviour suites) adds to the release gate.

Runs ``nox -s release_gate`` twice on the same checkout and version with the same soak parameters: once with every
gate, once with ``--skip upstream_suites``; prints each gate's wall time side by side, the totals and their ratio,
then a JSON summary. ``go_test`` (Litestream's race suite, the same in both runs) is skipped in both unless
``--with-go-test``. A local bare repository stands in for the tap and an empty local HTTP server for the release
downloads (so the formula gate renders a preview); the soak uses the embedded S3. Nothing is written to SRC.

    python bench/bench_gate_suite.py [SRC] --version v0.5.16 [--soak-duration 2m] [--keep DIR] [--with-go-test]

The run with the suite goes first, so it also pays for warming the Go build cache for the release build: the ratio
errs on the side of overstating the suite's cost. Each run's full nox output is kept in its evidence directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.units import format_duration  # noqa: E402
from release.gate.go_test import ROOT_FAILS  # noqa: E402
from tests.support.homebrew import file_server, make_tap  # noqa: E402


def gate_once(options: list[str], out: Path, env: dict[str, str]) -> dict[str, Any]:
    """One ``nox -s release_gate``: its wall time, exit code and each gate's status and duration."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "release_gate", "--"]
    started = time.perf_counter()
    with (out.parent / f"{out.name}.nox.log").open("w") as log:
        code = subprocess.run(
            [*command, *options, "--out", str(out)], cwd=ROOT, env=env, stdout=log, stderr=log
        ).returncode
    wall = time.perf_counter() - started
    report = json.loads((out / "gate-report.json").read_text())
    gates = {g["name"]: {"status": g["status"], "duration_s": g["duration_s"]} for g in report["gates"]}
    return {"wall_s": round(wall, 1), "exit_code": code, "verdict": report["verdict"], "gates": gates}


def _cell(gate: dict[str, Any] | None) -> str:
    if not gate:
        return "—"
    duration = gate.get("duration_s")
    return f"{format_duration(duration) if duration is not None else '—'} {gate['status']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default=os.environ.get("LITESTREAM_SRC"), help="Litestream checkout")
    parser.add_argument("--version", required=True, help="the version to gate, e.g. v0.5.16")
    parser.add_argument("--soak-duration", default="2m")
    parser.add_argument("--with-go-test", action="store_true", help="run go_test too (the same in both runs)")
    parser.add_argument("--keep", help="keep both runs' evidence in this directory (default: a temporary one)")
    args = parser.parse_args()
    if not args.src:
        print("error: give a Litestream checkout as the argument or in LITESTREAM_SRC", file=sys.stderr)
        return 2
    scratch = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-gate-suite-"))
    scratch.mkdir(parents=True, exist_ok=True)
    options = ["--src", str(Path(args.src).resolve()), "--version", args.version]
    options += ["--soak-duration", args.soak_duration]
    if not args.with_go_test:
        options += ["--skip", "go_test"]
    elif os.geteuid() == 0:
        options += ["--go-test-skip", ROOT_FAILS]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "INVOKE_S3_", "S3_"))}
    env["INVOKE_TAP_REPO"] = str(make_tap(scratch, {"README.md": "# homebrew-litestream (bench tap)\n"}))
    runs: dict[str, dict[str, Any]] = {}
    (scratch / "no-releases").mkdir(parents=True, exist_ok=True)
    with file_server(scratch / "no-releases") as releases:  # nothing published: every checksums.txt is a 404
        env["INVOKE_RELEASE_URL_BASE"] = releases
        for label, extra in (("with suite", []), ("without suite", ["--skip", "upstream_suites"])):
            print(f"gate {label}: nox -s release_gate -- {' '.join([*options, *extra])}", flush=True)
            runs[label] = gate_once([*options, *extra], scratch / label.replace(" ", "-"), env)
            print(f"  {format_duration(runs[label]['wall_s'])}, verdict {runs[label]['verdict']}", flush=True)
    with_suite, without = runs["with suite"], runs["without suite"]
    print()
    print(f"{'gate':<16} {'with suite':>18} {'without suite':>18}")
    for name in with_suite["gates"]:
        print(f"{name:<16} {_cell(with_suite['gates'].get(name)):>18} {_cell(without['gates'].get(name)):>18}")
    ratio = with_suite["wall_s"] / without["wall_s"] if without["wall_s"] else float("nan")
    suite_s = with_suite["gates"].get("upstream_suites", {}).get("duration_s") or 0.0
    print(
        f"{'total (wall)':<16} {format_duration(with_suite['wall_s']):>18} {format_duration(without['wall_s']):>18}"
        f"   ratio {ratio:.2f}x; the suite step {format_duration(suite_s)}"
        f" = {100 * suite_s / with_suite['wall_s']:.0f}% of the gate with it"
    )
    summary = {"options": options, "runs": runs, "ratio": round(ratio, 3), "evidence": str(scratch)}
    print(json.dumps(summary, indent=2))
    return 0 if all(run["exit_code"] == 0 for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
