"""Run directories the soak leaves when it was not judged, made from the real fixture run dir (tests/fixtures/rundir)
by editing or deleting files as such a run leaves them: the issue's four fail-closed cases."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from common.timestamps import utc_now
from tests.support.analyze import copy_rundir, edit_json


def build_failed(tmp_path: Path) -> Path:
    """What `soak.overnight --src` leaves when `invoke build` fails: logs/build.log and result.json, nothing else
    (run.json is written only after the binaries step)."""
    run = copy_rundir(tmp_path)
    for name in ("run.json", "metrics.jsonl", "litestream.yml"):
        (run / name).unlink()
    for log in (run / "logs").iterdir():
        log.unlink()
    (run / "logs" / "build.log").write_text("# github.com/benbjohnson/litestream\n./db.go:12:2: undefined: foo\n")
    result = json.loads((run / "result.json").read_text())
    result.update(
        status="fail",
        phase="binaries",
        reason=f"invoke build failed (exit 1); see {run}/logs/build.log",
        checks=[],
        rows_written=None,
        tables={},
    )
    (run / "result.json").write_text(json.dumps(result))
    return run


def interrupted(tmp_path: Path) -> Path:
    """Ctrl+C during the monitor: result.json says interrupted, no restore, no comparison."""
    run = copy_rundir(tmp_path)
    edit_json(
        run / "result.json",
        status="interrupted",
        phase="monitor",
        reason="interrupted by SIGINT during monitor",
        checks=[],
        tables={},
        rows_written=None,
    )
    return run


def in_progress(tmp_path: Path) -> Path:
    """A soak still running: no result.json yet, run.json without ended_at, its pid alive on this host."""
    run = copy_rundir(tmp_path)
    (run / "result.json").unlink()
    edit_json(run / "run.json", ended_at=None, started_at=utc_now(), pid=os.getpid(), host=socket.gethostname())
    return run


def restore_missing(tmp_path: Path) -> Path:
    """result.json says pass, but holds no restore check (and there is no restored.db): the restore was not judged."""
    run = copy_rundir(tmp_path)
    result = json.loads((run / "result.json").read_text())
    result["checks"] = [c for c in result["checks"] if c["name"] != "restore"]
    (run / "result.json").write_text(json.dumps(result))
    return run


def replica_age_not_judged(tmp_path: Path) -> Path:
    """A --kill-every run with --restore-every whose every periodic restore fell next to a kill: result.json holds a
    replica_age check with ``passed: null`` and says incomplete, as the soak writes it."""
    run = copy_rundir(tmp_path)
    detail = (
        "all 2 periodic restores came within 36s of a kill, restart or outage; "
        "space the faults wider apart than that to judge it"
    )
    result = json.loads((run / "result.json").read_text())
    periodic = (
        "2 periodic restores, each a clean prefix of the source, up to id 7000 at the last; 2 not judged on their "
    )
    periodic += "floor (a fault held the replica back)"
    result["checks"] += [
        {"name": "periodic_restore", "passed": True, "detail": periodic, "value": {"cycles": 2, "failed": 0}},
        {"name": "replica_age", "passed": None, "detail": detail, "value": None},
    ]
    result.update(status="incomplete", reason=f"replica_age not judged: {detail}")
    (run / "result.json").write_text(json.dumps(result))
    edit_json(run / "run.json", replica_checks={"restore_every_s": 120, "final_stop": "term"})
    return run
