"""The soak's steps that look at the replica independently: periodic restores, the idle phase, point-in-time restores.

Each is a plain function of the SoakRun (soak.run.overnight lists them in STEPS) and records one check in
result.json; the judging lives in soak.run.periodic_restore, soak.run.idle and soak.run.pitr.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from common.processes import Child, run_to_log
from common.steps import Skip
from common.timestamps import utc_now
from common.units import format_duration
from soak.run.corrupt_object import FileScratch, S3Scratch, ScratchReplica, check_corrupt_object
from soak.run.idle import idle_activity
from soak.run.periodic_restore import PeriodicRestores
from soak.run.pitr import PITR_LOG, judge_pitr
from soak.run.replica_view import LITESTREAM_SYNC_INTERVAL_S
from soak.run.s3 import local_txid

if TYPE_CHECKING:
    from soak.run.overnight import SoakRun

POLL_S = 1.0
# After the final kill, the restarted litestream uploads the cut-off tail before the idle phase starts.
RESTART_SETTLE_TIMEOUT_S = 60.0


def restore_replica(
    run: SoakRun,
    out: Path,
    *options: str,
    log_name: str = "restore",
    timeout_s: float = 3600,
    started: Callable[[Child], None] | None = None,
) -> int:
    """``litestream restore [options] -o OUT URL`` from the replica, appended to ``logs/<log_name>.log``.

    It reads through the same endpoint as litestream replicates to: with S3 faults on, through their proxies.
    ``started`` gets the restore's child (the periodic restores keep it, to end it on Ctrl+C)."""
    assert run.binaries is not None
    url = run.target.restore_url(via_faults=True) if run.target else f"file://{run.dirs.file_replica}"
    argv = [str(run.binaries.litestream), "restore", *options, "-o", str(out), url]
    log = run.dirs.log(log_name)
    with log.open("a") as fh:
        fh.write(f"[{utc_now()}] {' '.join(['litestream', *argv[1:]])}\n")
    return run_to_log(argv, log, env=run.child_env or None, timeout_s=timeout_s, started=started)


# ------------------------------------------------------------------------------------------ periodic restores
def start_periodic(run: SoakRun) -> None:
    every = run.replica_checks.restore_every_s
    if every <= 0:
        raise Skip("--restore-every 0")
    if every >= run.params.duration_s:
        raise Skip(
            f"--restore-every {format_duration(every)} is not shorter than the {format_duration(run.params.duration_s)}"
            " load: no restore would finish during it"
        )
    run.periodic = PeriodicRestores(
        source=run.dirs.db,
        scratch=run.dirs.scratch_restore,
        out=run.dirs.replica_restores,
        restore=lambda out: restore_replica(
            run, out, log_name="scratch-restore", timeout_s=max(120.0, every), started=_track(run)
        ),
        every_s=every,
        faults_log=run.dirs.faults_log,
        restore_faults=_proxied(run),
    )
    run.periodic.sample()
    run.periodic.start()
    run.say(f"  a restore of the replica every {format_duration(every)} into {run.dirs.scratch_restore.name}")


def _track(run: SoakRun) -> Callable[[Child], None]:
    """Hands the periodic restore's child to ``run.periodic``, so its stop() can end it."""

    def track(child: Child) -> None:
        if run.periodic is not None:
            run.periodic.track(child)

    return track


def _proxied(run: SoakRun) -> str | None:
    """``the S3 fault proxies (http://127.0.0.1:PORT)`` when restores go through them, else None."""
    target = run.target
    if target is None or run.faults is None or target.litestream_endpoint == target.endpoint:
        return None
    return f"the S3 fault proxies ({target.litestream_endpoint})"


def periodic_verdict(run: SoakRun) -> None:
    periodic = run.periodic
    if periodic is None:
        raise Skip("no periodic restores")
    periodic.stop()
    passed, detail, value = periodic.summary()
    run.result.check("periodic_restore", passed, detail, value)
    run.say(f"  periodic restores: {detail}")
    if periodic.cycles:
        ok, age_detail, worst = periodic.age_check()
        run.result.check("replica_age", ok, age_detail, worst)
        run.say(f"  {age_detail}")


# ------------------------------------------------------------------------------------------------- idle phase
def idle_phase(run: SoakRun) -> None:
    """Nothing writes for --idle; the monitor keeps ticking; then litestream.log is read for that window."""
    idle_s = run.replica_checks.idle_s
    if idle_s <= 0:
        raise Skip("--idle 0")
    assert run.litestream is not None
    from soak.run.overnight import ChildCrashed  # the runner's exception; imported late (overnight imports us)

    if run.replica_checks.final_stop == "kill" and not run.litestream.alive():
        _restart_after_kill(run)
    start = time.time()
    started = time.monotonic()
    next_tick = started + run.params.interval_s
    run.say(f"  idle for {format_duration(idle_s)}: nothing writes")
    while (now := time.monotonic()) < started + idle_s:
        if run.litestream.crashed():
            raise ChildCrashed(run.litestream)
        if run.monitor is not None and now >= next_tick:
            run.monitor.tick(run.params.duration_s + now - started)
            next_tick += run.params.interval_s
        time.sleep(min(POLL_S, max(0.05, started + idle_s - now)))
    time.sleep(0.5)  # the log lines of the idle phase's last second reach the file
    activity = idle_activity(run.dirs.log("litestream"), start, time.time(), LITESTREAM_SYNC_INTERVAL_S)
    run.result.idle = activity.to_json()
    run.result.check("idle_quiet", activity.quiet, activity.detail(), activity.uploads + activity.checkpoints)
    run.say(f"  idle: {activity.detail()}")


def _restart_after_kill(run: SoakRun) -> None:
    """Start litestream again after the final kill (as the fault layer's restart does, appending to its log), and wait
    (bounded) until it has uploaded the tail the kill cut off, so the idle phase judges a settled litestream."""
    from soak.run.overnight import ChildCrashed, start_litestream  # imported late (overnight imports us)

    child = start_litestream(run)
    run.say(f"  litestream restarted for the idle phase (pid {child.pid}); the crash restore is already judged")
    deadline = time.monotonic() + RESTART_SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.crashed():
            raise ChildCrashed(child)
        local = local_txid(run.dirs.meta_dir)
        replica = run.lister.listing(level=0).l0_max_txid if run.lister is not None else None
        if local is not None and replica is not None and replica >= local:
            return
        time.sleep(POLL_S)
    run.note(f"after the restart the replica did not reach the local TXID within {RESTART_SETTLE_TIMEOUT_S:g}s")


# ---------------------------------------------------------------------------------------- point-in-time restores
def pitr(run: SoakRun) -> None:
    k = run.replica_checks.pitr_samples
    if k <= 0:
        raise Skip("--pitr-samples 0")
    passed, detail, value = judge_pitr(
        run.dirs,
        k,
        lambda out, *options: restore_replica(run, out, *options, log_name=PITR_LOG, timeout_s=600),
        retention_s=run.schedule.snapshot_retention_s,
        load_s=run.params.duration_s,
        l1_interval_s=run.schedule.levels_s[0],
    )
    run.result.check("pitr", passed, detail, value)
    run.say(f"  point-in-time restores: {detail}")


# ------------------------------------------------------------------------------------------------- corrupt object
def corrupt_object(run: SoakRun) -> None:
    if not run.replica_checks.corrupt_object:
        raise Skip("no --corrupt-object")
    assert run.binaries is not None
    scratch: ScratchReplica = S3Scratch(run.target) if run.target else FileScratch(run.dirs.file_replica)
    try:
        passed, detail, value = check_corrupt_object(
            scratch,
            run.binaries.litestream,
            run.dirs.db,
            run.dirs.corrupt_restore,
            run.dirs.log("corrupt-restore"),
            run.child_env or None,
        )
    except Exception as exc:  # the copy or the dry run failed: no verdict on corruption, and a failed check
        passed, detail, value = False, f"could not prepare the damaged copy: {exc}", {}
    run.result.check("corrupt_object", passed, detail, value)
    run.say(f"  corrupt object: {detail}")
