"""The overnight soak as an ordered list of named steps, each with a one-line purpose.

Read STEPS top to bottom for the story. The order matters: the database is populated with litestream stopped
(populate deletes and recreates it, under a running litestream that breaks replication), and the restore only
starts once the replica holds the final TXID and litestream has exited after its shutdown sync (a restore taken
while litestream still writes misses the tail).

Faults (``--kill-every``, ``--s3-*``, ``--chaos``; soak.faults.wiring): the tools are installed before anything
starts, the proxies start before populate so litestream.yml points at them (``S3Target.litestream_endpoint``;
the harness keeps the direct endpoint), the faults begin with the load, each monitor tick drains their events
into metrics.jsonl, and they are removed after the load stops, before catch-up and restore.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column
from rich.text import Text

from common.errors import UserError
from common.processes import Child, environ_without, free_port, run_to_log, tail_lines
from common.steps import Skip, Step, run_steps
from common.timestamps import utc_now
from common.units import format_duration
from release.build.litestream_release import install_release
from soak.analyze import shape
from soak.analyze.fault_windows import pair_events
from soak.faults.events import read_fault_events
from soak.faults.wiring import SoakFaults, describe_plan
from soak.run import final_kill, replica_steps
from soak.run.binaries import Binaries, build_binaries, find_binaries
from soak.run.db_compare import compare, count_rows, describe_rows, has_no_wal, integrity_check
from soak.run.litestream_config import LitestreamConfig, Schedule
from soak.run.lost_rows import differ_detail, explain_restore
from soak.run.monitor import Lister, Monitor, TickHook
from soak.run.params import SoakParams, check_free_disk, estimate_disk, human_bytes
from soak.run.periodic_restore import PeriodicRestores
from soak.run.replica_options import ReplicaChecks
from soak.run.s3 import (
    FileLister,
    S3Lister,
    S3Target,
    check_credentials,
    embedded_target,
    local_txid,
    preflight,
)
from soak.run.s3_server import EmbeddedS3, ensure_versitygw
from soak.rundir import EXIT_CODES, Result, RunDir

# More than litestream's default 30 s shutdown-sync-timeout (the shutdown-sync-timeout config key).
LITESTREAM_STOP_GRACE_S = 40.0
CATCH_UP_TIMEOUT_S = 180.0
CATCH_UP_SETTLE_S = 3.0
POLL_S = 1.0
SHAPE_FAULT_GRACE_S = 30.0  # as soak.analyze's --fault-grace default: cadence resumes within it after a fault


class Interrupted(Exception):
    """SIGINT or SIGTERM reached the harness; ``signum`` picks the exit code (130/143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class ChildCrashed(Exception):
    """A child exited although nobody stopped it."""

    def __init__(self, child: Child) -> None:
        super().__init__(child.name)
        self.child = child


@dataclass
class SoakRun:
    """Everything the steps share. Fault layers get at it through ``tick_hooks`` and ``start_litestream``."""

    params: SoakParams
    dirs: RunDir
    console: Console
    result: Result = field(default_factory=lambda: Result(started_at=utc_now()))
    schedule: Schedule = field(default_factory=Schedule)
    binaries: Binaries | None = None
    s3_binary: Path | None = None
    source: dict[str, str] | None = None  # where the binaries came from: run.json ``source``
    s3_server: EmbeddedS3 | None = None
    target: S3Target | None = None
    lister: Lister | None = None
    child_env: dict[str, str] = field(default_factory=dict, repr=False)
    config: LitestreamConfig | None = None
    litestream: Child | None = None
    load: Child | None = None
    monitor: Monitor | None = None
    notes: list[str] = field(default_factory=list)
    tick_hooks: list[TickHook] = field(default_factory=list)
    run_json: dict[str, Any] = field(default_factory=dict)
    faults: SoakFaults | None = None
    command: list[str] = field(default_factory=list)  # as typed (soak.run.command); run.json
    replay_command: list[str] = field(default_factory=list)  # replays this one run, its fault seed explicit
    replica_checks: ReplicaChecks = field(default_factory=ReplicaChecks)  # soak.run.replica_options
    periodic: PeriodicRestores | None = None
    profile: dict[str, Any] | None = None  # --profile: its name and load (soak.run.profiles); run.json
    load_stopped_at: float | None = None  # epoch; result.json ``kill.after_load_s`` counts from it

    def children(self) -> list[Child]:
        return [c for c in (self.load, self.litestream) if c is not None]

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.say(f"  note: {text}")

    def say(self, line: str) -> None:
        """One line of the run's output, printed as it is (no rich markup in paths or purposes)."""
        self.console.print(Text(line))


# ----------------------------------------------------------------------------------------------- steps


def step_binaries(run: SoakRun) -> None:
    p = run.params
    if p.src_dir is not None:
        run.say(f"  building from {p.src_dir} with `invoke build` into {run.dirs.bin}")
        run.dirs.create()
        run.binaries = build_binaries(p.src_dir, run.dirs.bin, run.dirs.log("build"))
        run.source = {"kind": "checkout", "path": str(p.src_dir)}
    elif p.release is not None:
        installed = install_release(p.release)
        run.say(
            f"  release {installed.version}: {'cached in' if installed.cached else 'installed into'} "
            f"{installed.bin_dir}"
        )
        run.binaries = find_binaries(installed.bin_dir, flag=f"the release cache of {installed.version}")
        run.source = installed.for_run_json()
    else:
        bin_dir = (p.bin_dir or Path("bin")).resolve()
        run.binaries = find_binaries(bin_dir)
        run.source = {"kind": "bin", "path": str(bin_dir)}
    b = run.binaries
    run.say(f"  litestream {b.litestream_version}, litestream-test {b.litestream_test_version}")


def step_s3_tool(run: SoakRun) -> None:
    if not run.params.embedded:
        raise Skip("a configured bucket or a file replica: no embedded S3 to install")
    run.s3_binary = ensure_versitygw()
    run.say(f"  {run.s3_binary}")


def step_s3_target(run: SoakRun) -> None:
    p = run.params
    if p.replica == "file":
        run.lister = FileLister(run.dirs.file_replica)
        return
    if p.embedded:
        assert run.s3_binary is not None
        run.dirs.create()
        # Known before it starts, so an interrupt stops it.
        run.s3_server = EmbeddedS3(run.s3_binary, p.embedded_dir, run.dirs.log("s3"), region=p.region)
        run.s3_server.start()
        run.target = embedded_target(run.s3_server, p.prefix, p.region, p.stamp)
        run.say(f"  {run.s3_server.child.name} at {run.s3_server.endpoint}, serving {p.embedded_dir}")
    else:
        method = check_credentials(p.region)
        run.target = S3Target(bucket=p.bucket, prefix=p.prefix, region=p.region, endpoint=p.endpoint)
        run.say(f"  credentials: {method}, resolved and refreshed by boto3 here and by litestream's own AWS SDK")
    run.child_env, notes = run.target.child_env()
    for text in notes:
        run.note(text)
    run.lister = S3Lister(run.target)


def step_disk(run: SoakRun) -> None:
    estimate = estimate_disk(run.params, run.schedule)
    free = check_free_disk(run.params, estimate)
    run.say(f"  {estimate.describe()}; {human_bytes(free)} free")


def step_preflight(run: SoakRun) -> None:
    if run.target is None:
        raise Skip("file replica: no S3 to probe")
    seconds = preflight(run.target)
    run.say(f"  head-bucket + put/get/delete under {run.target.prefix}/ ok ({seconds:.2f}s)")


def step_run_dir(run: SoakRun) -> None:
    run.dirs.create()
    run.result.final_stop = run.replica_checks.final_stop
    run.result.asked_checks = run.replica_checks.asked(run.params.duration_s)
    run.config = LitestreamConfig(
        db_path=run.dirs.db,
        metrics_addr=f"127.0.0.1:{free_port()}",
        schedule=run.schedule,
        s3=run.target,
        file_replica=run.dirs.file_replica if run.params.replica == "file" else None,
    )
    assert run.binaries is not None
    run.run_json = {
        "tool": "litestream-release-tools",
        "started_at": run.result.started_at,
        "ended_at": None,
        "params": run.params.for_run_json(),
        "binaries": run.binaries.for_run_json(),
        "source": run.source,
        "litestream_commit": run.binaries.commit,
        "s3": run.target.for_run_json() if run.target else None,
        "config": run.config.for_run_json(),
        "profile": run.profile,
        "faults": run.faults.plan.to_json() if run.faults else None,
        "notes": run.notes,
        "command": run.command or None,
        "replay_command": run.replay_command or None,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "replica_checks": run.replica_checks.for_run_json(),
    }
    if run.faults and (chain := run.faults.chain()):
        run.run_json["faults_chain"] = chain
    run.dirs.write_run(run.run_json)


def step_fault_tools(run: SoakRun) -> None:
    if run.faults is None:
        raise Skip("no fault options: nothing to install")
    for installed in run.faults.install() or ["kills need no proxy"]:
        run.say(f"  {installed}")


def step_fault_proxies(run: SoakRun) -> None:
    if run.faults is None:
        raise Skip("no fault options")
    run.dirs.create()
    upstream = run.target.endpoint if run.target else None
    proxied = run.faults.start_proxies(run.dirs, upstream)
    if run.target is not None and proxied is not None and proxied != upstream:
        run.target.litestream_endpoint = proxied
        run.say(f"  litestream -> {proxied} -> {upstream}; the harness talks to {upstream} directly")
    else:
        run.say("  kills only: no proxy in front of the replica")


def step_populate(run: SoakRun) -> None:
    assert run.binaries is not None
    for stale in (run.dirs.db.with_name(run.dirs.db.name + s) for s in ("", "-wal", "-shm")):
        stale.unlink(missing_ok=True)
    argv = [str(run.binaries.litestream_test), "populate", "-db", str(run.dirs.db)]
    argv += ["-target-size", str(run.params.initial_size_bytes)]
    log = run.dirs.log("populate")
    code = run_to_log(argv, log, env=environ_without("AWS_"), timeout_s=max(600.0, run.params.initial_size_bytes / 1e6))
    if code != 0:
        raise UserError(f"litestream-test populate failed (exit {code}); see {log}", where=str(run.dirs.root))
    run.say(f"  populated {human_bytes(run.dirs.db.stat().st_size)}: {describe_rows(count_rows(run.dirs.db))}")


def start_litestream(run: SoakRun) -> Child:
    """Start (or restart) ``litestream replicate``; its log is appended to, so restarts keep history."""
    assert run.binaries is not None
    if run.litestream is None:
        argv = [str(run.binaries.litestream), "replicate", "-config", str(run.dirs.config)]
        env = run.child_env or None
        run.litestream = Child("litestream", argv, run.dirs.log("litestream"), env=env, cwd=run.dirs.root)
    run.litestream.start()
    return run.litestream


def step_replicate(run: SoakRun) -> None:
    assert run.config is not None
    run.config.write(run.dirs.config)
    child = start_litestream(run)
    time.sleep(2.0)  # as litestream's own test helpers do: let it open the db before the load starts
    if child.crashed():
        raise ChildCrashed(child)
    run.say(f"  litestream replicate pid {child.pid}, metrics on http://{run.config.metrics_addr}/metrics")


def step_load(run: SoakRun) -> None:
    assert run.binaries is not None
    p = run.params
    # The harness ends the load itself at the deadline; the extra minute keeps an on-time exit from
    # looking like a crash.
    argv = [str(run.binaries.litestream_test), "load", "-db", str(run.dirs.db)]
    argv += ["-write-rate", str(p.write_rate), "-duration", f"{int(p.duration_s) + 60}s", "-pattern", p.pattern]
    argv += ["-payload-size", str(p.payload_size), "-read-ratio", str(p.read_ratio), "-workers", str(p.workers)]
    run.load = Child("litestream-test load", argv, run.dirs.log("load"), env=environ_without("AWS_"), cwd=run.dirs.root)
    run.load.start()
    run.say(f"  litestream-test load pid {run.load.pid}")
    if run.faults is not None:
        assert run.litestream is not None
        run.faults.begin(run.litestream)
        run.tick_hooks.append(run.faults.tick)
        run.say(f"  faults begin: {describe_plan(run.faults.plan)}")


def _crashed(run: SoakRun, child: Child) -> bool:
    """A child that exited on its own; a deliberate SIGKILL of litestream (or its restart under way) is none."""
    return run.faults.crashed(child) if run.faults is not None else child.crashed()


def step_monitor(run: SoakRun) -> None:
    assert run.litestream is not None and run.load is not None and run.lister is not None
    p = run.params
    run.monitor = Monitor(run.dirs, run.lister, run.litestream, run.load, p.duration_s, hooks=run.tick_hooks)
    started = time.monotonic()
    deadline = started + p.duration_s
    next_tick = started + min(p.interval_s, p.duration_s)
    with _status(run.console, p.duration_s) as update:
        while True:
            now = time.monotonic()
            run.monitor.sample()
            for child in run.children():
                if _crashed(run, child):
                    run.monitor.tick(now - started)  # the tick that saw it, for the record
                    raise ChildCrashed(child)
            if now >= next_tick or now >= deadline:
                run.monitor.tick(now - started)
                update(now - started, run.monitor, True)
                next_tick += p.interval_s
            if now >= deadline:
                break
            update(now - started, run.monitor, False)
            time.sleep(max(0.05, min(POLL_S, next_tick - now, deadline - now)))
    # Only a monitor that saw the whole duration through may say nothing crashed.
    run.result.check("no_crash", True, _no_crash_detail(run), 0)


def step_stop_load(run: SoakRun) -> None:
    assert run.load is not None
    code = run.load.stop(grace_s=15)
    run.load_stopped_at = time.time()
    rows = count_rows(run.dirs.db, busy_timeout_s=5)
    run.result.rows_written = rows.get("load_test")
    run.say(f"  load stopped (exit {code}); load_test has {run.result.rows_written} rows")


def step_faults_off(run: SoakRun) -> None:
    if run.faults is None:
        raise Skip("no fault options")
    run.faults.remove()
    if run.monitor is not None and run.faults.driver is not None:
        run.monitor.tick(run.faults.driver.elapsed())  # the last tick carries the removal events
    kills = run.faults.kill_count
    run.console.print(
        f"  faults removed ({kills} kill{'' if kills == 1 else 's'}); litestream alive: "
        f"{run.litestream.alive() if run.litestream else None}"
    )


def step_catch_up(run: SoakRun) -> None:
    """Bounded wait until the newest L0 in the replica holds the local TXID and that TXID stopped moving."""
    assert run.lister is not None and run.litestream is not None
    if run.replica_checks.final_stop == "kill":
        raise Skip("--final-stop kill: litestream is killed without waiting for it (crash_restore judges)")
    started = time.monotonic()
    last_local, stable_since = None, started
    local = replica = None
    while True:
        if run.litestream.crashed():
            raise ChildCrashed(run.litestream)
        local = local_txid(run.dirs.meta_dir)
        replica = run.lister.listing(level=0).l0_max_txid
        now = time.monotonic()
        if local != last_local:
            last_local, stable_since = local, now
        caught_up = local is not None and replica is not None and replica >= local
        if caught_up and now - stable_since >= CATCH_UP_SETTLE_S:
            break
        if now - started > CATCH_UP_TIMEOUT_S:
            break
        time.sleep(POLL_S)
    seconds = time.monotonic() - started
    run.result.catch_up = {"seconds": round(seconds, 2), "local_txid": local, "replica_txid": replica}
    ok = local is not None and replica is not None and replica >= local
    detail = f"replica L0 max TXID {replica} vs local {local} after {seconds:.1f}s"
    run.result.check("catch_up", ok, detail if ok else f"{detail} (gave up after {CATCH_UP_TIMEOUT_S:.0f}s)", seconds)
    run.say(f"  catch-up: {detail}")


def step_final_kill(run: SoakRun) -> None:
    """--final-stop kill, right after the load (and faults_off): SIGKILL, then the crash restore at once.

    Nothing may run between the load's stop and the kill: a build whose uploads stall under load but flush once idle
    would catch up meanwhile and pass crash_restore. The restore follows at once, before anything restarts
    litestream (the idle phase does)."""
    if run.replica_checks.final_stop != "kill":
        raise Skip("--final-stop term: SIGTERM after the idle phase (stop_litestream)")
    final_kill.kill_litestream(run)
    _restore(run)


def step_stop_litestream(run: SoakRun) -> None:
    assert run.litestream is not None
    if run.replica_checks.final_stop == "kill":
        if not run.litestream.alive():
            raise Skip("--final-stop kill: litestream was SIGKILLed right after the load (final_kill)")
        code = run.litestream.stop(grace_s=LITESTREAM_STOP_GRACE_S)  # restarted for the idle phase; judged already
        run.say(f"  litestream (restarted for the idle phase) stopped (exit {code})")
        return
    started = time.monotonic()
    code = run.litestream.stop(grace_s=LITESTREAM_STOP_GRACE_S)
    run.say(f"  litestream stopped (exit {code}) in {time.monotonic() - started:.1f}s")
    # Its shutdown sync may have uploaded one more L0; the restore sees it, and so do the counts below.
    run.result.rows_written = count_rows(run.dirs.db, busy_timeout_s=5).get("load_test")


def step_restore(run: SoakRun) -> None:
    if run.replica_checks.final_stop == "kill":
        raise Skip("--final-stop kill: restored right after the kill (final_kill)")
    _restore(run)


def _restore(run: SoakRun) -> None:
    log = run.dirs.log("restore")
    started = time.monotonic()
    code = replica_steps.restore_replica(run, run.dirs.restored)
    seconds = time.monotonic() - started
    ok = code == 0 and run.dirs.restored.exists()
    run.result.check("restore", ok, f"restored in {seconds:.1f}s" if ok else f"exit {code}; see {log}", seconds)
    run.say(f"  restore: {'ok' if ok else 'FAILED'} in {seconds:.1f}s")


def step_verify(run: SoakRun) -> None:
    r = run.result
    log = run.dirs.log("validate")
    if not run.dirs.restored.exists():
        r.check("integrity", False, "no restored database")
        return
    integrity = integrity_check(run.dirs.restored, immutable=has_no_wal(run.dirs.restored))
    r.check("integrity", integrity == "ok", f"PRAGMA integrity_check: {integrity[:200]}", integrity[:200])
    comparison = compare(run.dirs.db, run.dirs.restored)
    r.tables = comparison.tables
    lost = explain_restore(run.dirs.db, run.dirs.restored, comparison.tables, run.dirs.faults_log)
    tail_only = run.replica_checks.final_stop == "kill" and final_kill.judge_crash_restore(run, comparison)
    if lost is not None and tail_only:
        # crash_restore passed: the restore is a clean prefix holding every row owed, and what it lacks is the tail
        # committed within the last sync before the SIGKILL. Nothing the replica owed is lost (final_kill notes it).
        run.say(f"  load_test row by row: the SIGKILL cut off a tail the replica did not owe yet: {lost.summary()}")
    elif lost is not None:
        r.lost_rows = lost.to_json()
        run.say(f"  load_test row by row: {lost.summary()}")
    mismatched = [n for n, t in comparison.tables.items() if t["source_rows"] != t["restored_rows"]]
    total = sum(t["source_rows"] or 0 for t in comparison.tables.values())
    r.check(
        "row_counts",
        comparison.counts_match,
        f"{len(comparison.tables)} tables, {total} rows equal"
        if comparison.counts_match
        else differ_detail(mismatched, lost),
        total,
    )
    differ = [n for n, t in comparison.tables.items() if t["source_sha256"] != t["restored_sha256"]]
    r.check(
        "digests",
        comparison.digests_match,
        "sha256 of every user table equal" if comparison.digests_match else differ_detail(differ, lost),
        len(comparison.tables) - len(differ),
    )
    with log.open("a") as fh:
        fh.write(f"[{utc_now()}] integrity_check(restored) = {integrity}\n")
        for name, t in comparison.tables.items():
            fh.write(
                f"  {name}: rows {t['source_rows']} -> {t['restored_rows']}; "
                f"sha256 {t['source_sha256']} -> {t['restored_sha256']}\n"
            )
        if lost is not None:
            fh.write(f"  load_test row by row: {lost.summary()}\n")
        for check in r.checks:
            fh.write(f"  {_word(check.passed)} {check.name}: {check.detail}\n")


def _word(passed: bool | None) -> str:
    return "PASS" if passed else "FAIL" if passed is False else "NOT JUDGED"


def step_shape(run: SoakRun) -> None:
    """The replica's shape (soak.analyze.shape) from litestream.log and the WAL peak; judged ones become checks."""
    assert run.config is not None
    peak = run.monitor.wal_peak_run if run.monitor is not None else None
    faults = pair_events(read_fault_events(run.dirs.faults_log).events, run_end=None)
    criteria, _ = shape.assess(
        run.dirs.log("litestream"),
        run.config.for_run_json(),
        run.params.for_run_json(),
        run.dirs.db,
        peak,
        shape.stopping_spans(faults, SHAPE_FAULT_GRACE_S),
    )
    run.result.shape = criteria
    for c in criteria:
        if c["status"] != "na":
            run.result.check(c["name"], c["status"] == "pass", c["detail"], c["value"])
        run.say(f"  {c['status'].upper() if c['status'] != 'na' else 'n/a'} {c['name']}: {c['detail']}")


# fmt: off
STEPS: list[Step[SoakRun]] = [
    Step("binaries", "find (--bin), build (--src) or install (--litestream) both executables; read versions",
         step_binaries),
    Step("fault_tools", "install the fault proxies the options need (cached), before anything starts",
         step_fault_tools),
    Step("s3_tool", "install the embedded S3 server (pinned versitygw, cached) if no bucket is configured, before "
         "anything starts", step_s3_tool),
    Step("disk", "free disk for the database's expected growth and the embedded S3's bucket, before anything starts",
         step_disk),
    Step("s3", "start the embedded S3 (versitygw) and create its bucket if no bucket is configured, else find "
         "credentials", step_s3_target),
    Step("preflight", "S3 head-bucket, then put/get/delete of a probe object under the prefix", step_preflight),
    Step("fault_proxies", "faults.log, and Toxiproxy/mitmdump in front of S3 for litestream (faults off yet)",
         step_fault_proxies),
    Step("run_dir", "create the run directory and write run.json (parameters, versions, S3 location)", step_run_dir),
    Step("populate", "create the database with litestream stopped (populate deletes and recreates it)", step_populate),
    Step("replicate", "write litestream.yml and start litestream replicate", step_replicate),
    Step("load", "start litestream-test load with the soak's parameters", step_load),
    Step("periodic_restores", "restore the replica every --restore-every in a thread while the load runs",
         replica_steps.start_periodic),
    Step("monitor", "one measurement per --interval until the duration ends; a crash ends the run", step_monitor),
    Step("periodic_verdict", "stop the periodic restores; judge each cycle and the replica's age",
         replica_steps.periodic_verdict),
    Step("stop_load", "stop the load generator and count the rows it wrote", step_stop_load),
    Step("faults_off", "stop injecting, restart litestream if a kill left it down, proxies forward cleanly",
         step_faults_off),
    Step("catch_up", "wait (bounded) until the replica's newest L0 holds the local TXID", step_catch_up),
    Step("final_kill", "--final-stop kill: SIGKILL litestream right after the load (no sync), restore at once",
         step_final_kill),
    Step("pitr", "restore at --pitr-samples recorded ticks (-timestamp, -txid) and compare with what they held",
         replica_steps.pitr),
    Step("idle", "--idle: nothing writes; litestream must settle (at most one L0 upload and one checkpoint)",
         replica_steps.idle_phase),
    Step("stop_litestream", "SIGTERM litestream and allow its shutdown sync (after --final-stop kill: stop the "
         "one restarted for the idle phase)", step_stop_litestream),
    Step("restore", "litestream restore from the replica into restored.db (after a kill: done by final_kill)",
         step_restore),
    Step("verify", "integrity_check, then row counts and sha256 digests per user table", step_verify),
    Step("corrupt_object", "--corrupt-object: restore from a copy with one LTX object cut in half; it must fail",
         replica_steps.corrupt_object),
    Step("shape", "L0 sizes, snapshot/compaction cadence, WAL peak, checkpoints against bounds from the config",
         step_shape),
]
# fmt: on


# ------------------------------------------------------------------------------------------ the runner


def _shown(value: int | None) -> str:
    return "-" if value is None else str(value)


StatusUpdate = Callable[[float, Monitor, bool], None]


def status_line(elapsed: float, duration_s: float, monitor: Monitor) -> str:
    """The plain status line a CI log gets each tick: elapsed, rows, objects, lag, errors."""
    t = monitor.totals
    done = min(100.0, 100.0 * elapsed / duration_s) if duration_s else 100.0
    return (
        f"  status {format_duration(elapsed)} of {format_duration(duration_s)} ({done:.0f}%): rows {_shown(t.rows)}, "
        f"objects {_shown(t.objects)}, txid lag {_shown(t.lag)}, errors {t.errors}"
    )


@contextmanager
def _status(console: Console, duration_s: float) -> Iterator[StatusUpdate]:
    """How the monitor shows progress: a live bar on a terminal, else one plain line per tick.

    rich draws only a progress bar's final frame when the output is not a terminal, so a CI log would show nothing
    for the whole run; there each tick prints :func:`status_line` instead.
    """
    if not console.is_terminal:

        def plain(elapsed: float, monitor: Monitor, ticked: bool) -> None:
            if ticked:
                console.print(Text(status_line(elapsed, duration_s, monitor)))

        yield plain
        return
    progress = Progress(
        TextColumn("[bold]soak"),
        BarColumn(bar_width=12),
        TimeElapsedColumn(),
        TextColumn("/"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        console=console,
        refresh_per_second=1,
        transient=False,
    )
    task_id = progress.add_task("soak", total=duration_s, info="")

    def update(elapsed: float, monitor: Monitor, ticked: bool) -> None:
        t = monitor.totals
        info = f"rows {_shown(t.rows)} objects {_shown(t.objects)} lag {_shown(t.lag)} errors {t.errors}"
        progress.update(task_id, completed=min(elapsed, duration_s), info=info)

    with progress:
        yield update


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT/SIGTERM become ``Interrupted`` in the main thread; while cleaning up, further ones are ignored."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def banner(run: SoakRun) -> None:
    p = run.params
    c = run.console
    c.print("[bold]litestream overnight soak[/bold]")
    c.print(f"  run dir   {run.dirs.root}")
    c.print(
        f"  load      {format_duration(p.duration_s)} at {p.write_rate} ops/s {p.pattern}, {p.workers} workers, "
        f"{p.payload_size} B payload, read ratio {p.read_ratio}; initial {human_bytes(p.initial_size_bytes)}"
    )
    if run.profile:
        c.print(f"  profile   {run.profile['name']} (Litestream's {run.profile['upstream']}, short mode)")
    estimate = estimate_disk(p, run.schedule)
    c.print(Text(f"  disk      {estimate.describe()}"))
    if p.replica == "file":
        c.print(f"  replica   file {run.dirs.file_replica}")
    elif p.embedded:
        c.print(
            Text(
                f"  replica   embedded local S3 (versitygw on 127.0.0.1) in {p.embedded_dir}, expected "
                f"~{human_bytes(estimate.replica_bytes)} at its fullest; started now and stopped at the end"
            )
        )
    else:
        where = p.endpoint or f"AWS {p.region}"
        c.print(f"  replica   s3://{p.bucket}/{p.prefix} ({where}); credentials: the standard AWS chain, refreshed")
    s = run.schedule
    c.print(
        f"  schedule  {s.name}: snapshot every {format_duration(s.snapshot_interval_s)} kept "
        f"{format_duration(s.snapshot_retention_s)}; levels {', '.join(format_duration(v) for v in s.levels_s)}; "
        f"checkpoint every {format_duration(s.checkpoint_interval_s)}"
    )
    c.print(f"  faults    {describe_plan(run.faults.plan) if run.faults else 'none'}")


def stop_everything(run: SoakRun) -> None:
    """Stop the fault thread, every child (process groups; litestream with its shutdown-sync grace), proxies, the S3."""
    if run.periodic is not None:
        run.periodic.stop(kill=True)  # before the children: its restores read the replica litestream writes
    if run.faults is not None:
        run.faults.halt()  # first: it must not restart litestream once the children are stopped
    for child in run.children():
        if child.alive():
            grace = LITESTREAM_STOP_GRACE_S if child is run.litestream else 15.0
            child.stop(grace_s=grace)
        elif child.proc is not None:
            child.stop(grace_s=0)  # reap, and sweep any leftover group members
    if run.faults is not None:
        run.faults.stop()  # after litestream, whose shutdown sync may still go through the proxies
    if run.s3_server is not None:
        run.s3_server.stop()


def finish(run: SoakRun) -> None:
    """result.json and the final run.json, whatever happened."""
    if not run.dirs.root.exists():
        return
    run.dirs.write_result(run.result.to_json())
    if run.run_json:
        run.run_json["ended_at"] = utc_now()
        run.dirs.write_run(run.run_json)


def _exit_text(code: int | None) -> str:
    """Popen reports a signal death as a negative code; say which signal."""
    if code is None or code >= 0:
        return f"exited with code {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def _record_crash(run: SoakRun, child: Child) -> None:
    code = child.exit_code()
    lines = tail_lines(child.log, 20)
    run.result.crash = {"process": child.name, "exit_code": code, "last_log_lines": lines}
    run.result.check("no_crash", False, f"{child.name} {_exit_text(code)} during {run.result.phase}", code)


def _no_crash_detail(run: SoakRun) -> str:
    kills = run.faults.kill_count if run.faults else 0
    if not kills:
        return "litestream and the load ran to the end"
    return f"litestream and the load ran to the end; litestream's {kills} deliberate SIGKILL(s) were restarted"


def _set_phase(run: SoakRun) -> Callable[[Step[SoakRun]], None]:
    def before(step: Step[SoakRun]) -> None:
        run.result.phase = step.name  # result.json says where a crash, an interrupt or an error happened

    return before


def disk_usage(root: Path) -> int:
    """Bytes the run directory takes on disk (allocated blocks, as du counts them)."""
    total = 0
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):
            info = path.lstat()
            total += info.st_blocks * 512
    return total


def run_soak(run: SoakRun, steps: list[Step[SoakRun]] | None = None) -> int:
    """Run the steps in order; return the exit code (0 pass, 1 fail, 3 incomplete, 130/143 interrupted)."""
    banner(run)
    code = 1
    try:
        with _signals_raise():
            try:
                run_steps(steps or STEPS, run, say=run.say, before=_set_phase(run))
                code = EXIT_CODES.get(run.result.status, 1)
            except ChildCrashed as crash:
                _record_crash(run, crash.child)
            except Interrupted as intr:
                run.result.interrupted_by = str(intr)
                run.result.reason = f"interrupted by {intr} during {run.result.phase}"
                code = 128 + intr.signum
            except UserError as err:
                run.result.reason = str(err)
                if run.dirs.root.exists() and err.where is None:
                    err.where = str(run.dirs.root)
                raise
            finally:
                run.say("stopping processes ...")
                stop_everything(run)
                finish(run)
    except Interrupted as intr:  # a signal that arrived during the cleanup above
        run.result.interrupted_by = run.result.interrupted_by or str(intr)
        code = 128 + intr.signum
        stop_everything(run)
        finish(run)
    status = run.result.status
    run.console.print(Text.assemble((status.upper(), "bold"), f": {run.result.why or 'all checks passed'}"))
    if run.dirs.root.exists():
        run.say(f"artifacts in {run.dirs.root} ({human_bytes(disk_usage(run.dirs.root))} on disk)")
        run.say(f"next: invoke soak.analyze {run.dirs.root}")
    return code
