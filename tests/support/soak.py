"""Shared pieces of the soak tests: the invoke CLI, stand-in binaries, a soak run in the background and what it
leaves behind, and the task's parameters with its own defaults. The S3 server is tests.support.s3_server."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from common.tools import CACHE_ENV, tools_cache_dir
from soak.run.params import SoakParams, parse_params
from soak.run.s3_server import ensure_versitygw
from soak.run.tasks import overnight
from tests.support.cli import run_invoke
from tests.support.paths import PROJECT_ROOT
from tests.support.s3_server import FAKE_CREDS

STANDINS = PROJECT_ROOT / "tests" / "fixtures" / "soak_standins"


def clean_environ() -> dict[str, str]:
    """The environment without a maintainer's S3 settings, so tests stay on the loopback S3 server; the tools cache
    is pinned, so a test that moves HOME still finds the installed embedded S3 instead of building it again."""
    env = {k: v for k, v in os.environ.items() if k not in ("S3_BUCKET", "AWS_REGION", "AWS_PROFILE")}
    return {**env, CACHE_ENV: str(tools_cache_dir())}


def embedded_s3_installed() -> None:
    """Wait for the embedded S3's install (CI starts it in the background; a cold one takes minutes) before a soak's
    clock starts: a soak's own s3_tool step would wait on the same lock inside a test's 60-second phase timeout."""
    ensure_versitygw(tools_cache_dir())


def invoke_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``invoke soak.overnight ...`` as a maintainer types it, with the test S3 server's dummy root keys."""
    embedded_s3_installed()
    return run_invoke("soak.overnight", *args, base=clean_environ(), env={**FAKE_CREDS, **(env or {})}, timeout=timeout)


INTERVAL_S = 5


def start_soak(run_dir: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``invoke soak.overnight`` with the stand-ins, in its own process group like a terminal job."""
    embedded_s3_installed()
    argv = [sys.executable, "-m", "invoke", "soak.overnight", "--bin", str(STANDINS), "--test-dir", str(run_dir)]
    argv += ["--initial-size", "1KB", "--interval", f"{INTERVAL_S}s", *extra]
    return subprocess.Popen(
        argv,
        cwd=PROJECT_ROOT,
        env={**clean_environ(), **FAKE_CREDS, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live descendant; processes that vanish meanwhile are skipped."""
    found = []
    for kid in psutil.Process(pid).children(recursive=True):
        try:
            found.append((kid.pid, " ".join(kid.cmdline())))
        except psutil.Error:
            continue
    return found


def sid_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except ProcessLookupError:
        return None


def wait_for_phase(proc: subprocess.Popen[str], run_dir: Path, timeout: float = 60) -> list[int]:
    """Wait until the monitor runs (load started); return the sessions of the harness's children."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = descendants(proc.pid)
        if any(" load -db " in cmd for _, cmd in kids):
            return sorted({s for s in (sid_of(pid) for pid, _ in kids) if s is not None})
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError("the soak never reached the load")


def leftovers(sessions: list[int]) -> list[str]:
    """Processes still alive in any of the children's sessions (each child leads its own)."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if sid_of(p.pid) in sessions and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(f"{p.pid} {' '.join(p.info['cmdline'] or [])}")
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def result_of(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "result.json").read_text())  # type: ignore[no-any-return]


# The task's own defaults, as it hands them to parse_params (--bin/--src arrive as bin_dir/src_dir), so tests of the
# defaults check what `invoke soak.overnight` really defaults to.
_RENAMED = {"bin": "bin_dir", "src": "src_dir"}
_PARSED = inspect.signature(parse_params).parameters
TASK_DEFAULTS: dict[str, Any] = {
    _RENAMED.get(name, name): param.default
    for name, param in inspect.signature(overnight.body).parameters.items()
    if _RENAMED.get(name, name) in _PARSED
}


def soak_params(**over: Any) -> SoakParams:
    """parse_params with the task's defaults, ``over`` laid on top."""
    return parse_params(**{**TASK_DEFAULTS, **over})
