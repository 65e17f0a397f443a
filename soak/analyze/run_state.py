"""Has a soak run finished? The one answer the analyzer, ``latest`` and the release gate share.

A run is finished when its result.json exists and run.json (when there is one) has ``ended_at``: soak.overnight
writes result.json, then run.json's ``ended_at``, on every way out (pass, fail, interrupt). A run without them is
in progress when the soak's process (run.json ``pid`` on ``host``) is still alive, and gone otherwise; either way
it was not judged, so it is never a pass.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from common.timestamps import parse_utc
from soak.rundir import RunDir

START_SLACK_S = 60.0  # the soak's process starts shortly before run.json's started_at


@dataclass(frozen=True)
class RunState:
    """``finished``: result.json written and the run ended; else ``in_progress`` or gone, and why in ``reason``."""

    finished: bool
    in_progress: bool
    reason: str | None = None


def _json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def soak_alive(run: dict[str, Any]) -> bool:
    """run.json's ``pid`` is a live process on this host that started before the run did (not a reused pid)."""
    pid, host = run.get("pid"), run.get("host")
    if not isinstance(pid, int) or isinstance(pid, bool) or host != socket.gethostname():
        return False
    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error:
        return False
    started = parse_utc(str(run.get("started_at") or ""))
    return started is None or created <= started + START_SLACK_S


def run_state(root: Path) -> RunState:
    dirs = RunDir(root)
    if not root.is_dir():
        return RunState(False, False, f"no run directory {root}: the soak never started")
    has_result = dirs.result_json.is_file()
    run = _json(dirs.run_json) if dirs.run_json.is_file() else None
    ended = run is None or bool(run.get("ended_at"))
    if has_result and ended:
        return RunState(finished=True, in_progress=False)
    if run is not None and soak_alive(run):
        return RunState(
            False,
            True,
            f"in progress: the soak (pid {run['pid']}) is still running and run.json has no ended_at; "
            "analyze the run when it has finished",
        )
    if run is None:
        return RunState(
            False,
            False,
            "no result.json and no run.json: not a finished soak.overnight run (an old bash-script run, or one "
            "stopped before it began)",
        )
    pid = run.get("pid")
    who = f"the soak (pid {pid})" if isinstance(pid, int) else "the soak"
    missing = "no result.json and no ended_at in run.json" if not has_result else "run.json has no ended_at"
    return RunState(False, False, f"did not finish: {missing}, and {who} is gone (killed before it could write them?)")
