"""Task: ``soak.overnight``, the S3 overnight soak (successor of test-overnight-s3.sh)."""

from __future__ import annotations

import inspect
from dataclasses import replace

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task
from rich.console import Console

from common.errors import UserError, fail_cleanly
from common.invoke_tasks import Task
from common.settings import Settings
from soak.faults.plan import FaultPlan, parse_fault_options
from soak.faults.wiring import SoakFaults, check_target
from soak.run import command
from soak.run.binaries import check_source
from soak.run.litestream_config import schedule_named
from soak.run.overnight import SoakRun, run_soak
from soak.run.params import parse_params
from soak.run.repeat import run_repeat
from soak.run.replica_options import parse_replica_checks
from soak.rundir import RepeatDir, RunDir

HELP = {
    "duration": "how long the load runs, e.g. 90s, 30m, 8h, 1h30m (default 8h)",
    "initial_size": "size litestream-test populate fills the database to, e.g. 5MB, 1.5GB (default 100MB)",
    "write_rate": "litestream-test load ops/s over all workers, reads included (default 100)",
    "pattern": "load pattern: constant, burst, random or wave (default wave)",
    "payload_size": "bytes of the BLOB each insert writes (default 4096)",
    "workers": "load workers; at most --write-rate (default 8)",
    "read_ratio": "share of load ticks that read instead of write, 0..1 (default 0.3)",
    "interval": "time between monitor ticks, e.g. 60s (default 60s)",
    "bucket": "S3 bucket (default: S3_BUCKET, then s3.bucket; none: an embedded moto S3 on 127.0.0.1 is started)",
    "region": "S3 region (default: AWS_REGION, then s3.region in ~/.invoke.yaml or invoke.yaml, then us-east-1)",
    "endpoint": "S3-compatible endpoint URL (MinIO, R2, Tigris, ...) (default: s3.endpoint; none: AWS)",
    "prefix": "key prefix of the replica in the bucket (default litestream-overnight-<UTC yyyymmdd-HHMMSS>)",
    "replica": "replica type: s3 (default) or file (a directory in the run dir)",
    "src": "Litestream checkout to build the binaries from with `invoke build`",
    "bin": "directory holding existing litestream and litestream-test binaries (default ./bin)",
    "test_dir": "run directory, new or empty (default <system temp>/litestream-overnight-s3-<UTC yyyymmdd-HHMMSS>)",
    "kill_every": "SIGKILL litestream about every DURATION (jittered ±25%), e.g. 3m; the load keeps writing",
    "restart_after": "with --kill-every: how long litestream stays dead before its restart (default 5s)",
    "s3_latency": "delay every S3 answer to litestream by MS milliseconds (Toxiproxy latency)",
    "s3_reset_rate": "reset a fraction P (0..1) of litestream's TCP connections to S3 (Toxiproxy reset_peer)",
    "s3_outage": "S3 unreachable for litestream from START for LENGTH after the load starts, e.g. 20m+2m; repeatable",
    "s3_error_rate": "answer a fraction P (0..1) of litestream's S3 requests with 503 SlowDown / 500 InternalError / "
    "429 TooManyRequests / 408 RequestTimeout (the last two with Retry-After: 1)",
    "chaos": "preset: kills, 2 S3 outages, latency, resets, S3 errors, scaled to --duration (>= 2m); given flags win",
    "fault_seed": "seed for the kill jitter and the error dice (default: random, recorded in run.json)",
    "schedule": "litestream.yml's snapshot, retention, compaction and checkpoint cadence: default (snapshots every 10m "
    "kept 1h, levels 30s..1h) or fast (snapshots every 30s kept 2m, levels 15s/30s/1m, checkpoints every 10s: the "
    "short mode of Litestream's LTX behaviour suite, so cadence and retention show within minutes)",
    "restore_every": "restore the replica into a scratch file every DURATION during the load and check it against the "
    "source: a clean prefix, not stalled, never backwards; 0 turns it off (default 2m)",
    "final_stop": "how litestream is stopped at the end: term (SIGTERM after catch-up, its shutdown sync runs; "
    "default) "
    "or kill (SIGKILL, no shutdown sync: rows committed more than 1 sync interval + 5s before must be restored)",
    "idle": "after the load stops, nothing writes for DURATION; litestream must settle: at most one L0 upload and one "
    "checkpoint after the first sync interval (idle_quiet); 0 turns it off (default)",
    "pitr_samples": "once the load stops, restore at K recorded monitor ticks with -timestamp and with -txid and "
    "compare "
    "with the source as of then; 0 turns it off (default 3)",
    "corrupt_object": "after the run, copy the replica to a scratch prefix, cut one LTX object of the restore plan to "
    "half, and restore from it: the restore must fail with an error (off by default)",
    "repeat": "run the same soak N times (run-1/ .. run-N/ under --test-dir, fault seeds --fault-seed+n-1) and "
    "report each check over the runs; passes only if every run passes (default 1)",
}


# One letter for the flags a maintainer types most; the rest are long only, so no letter means something surprising.
SHORT = {
    "duration": "d",
    "initial_size": "i",
    "write_rate": "w",
    "pattern": "p",
    "interval": "n",
    "bucket": "b",
    "region": "r",
    "endpoint": "e",
    "src": "s",
    "test_dir": "t",
    "kill_every": "k",
    "chaos": "c",
}


@task(klass=Task, short_flags=SHORT, help=HELP, iterable=["s3_outage"])
@fail_cleanly
def overnight(
    c: Context,
    duration: str = "8h",
    initial_size: str = "100MB",
    write_rate: int = 100,
    pattern: str = "wave",
    payload_size: int = 4096,
    workers: int = 8,
    read_ratio: str = "0.3",  # a string: Invoke has no float flags (it would show a float default as a switch)
    interval: str = "60s",
    bucket: str | None = None,
    region: str | None = None,
    endpoint: str | None = None,
    prefix: str | None = None,
    replica: str = "s3",
    src: str | None = None,
    bin: str | None = None,  # the flag is --bin
    test_dir: str | None = None,
    kill_every: str | None = None,
    restart_after: str | None = None,
    s3_latency: str | None = None,
    s3_reset_rate: str | None = None,
    s3_outage: list[str] | None = None,
    s3_error_rate: str | None = None,
    chaos: bool = False,
    fault_seed: str | None = None,
    schedule: str = "default",
    repeat: int = 1,
    restore_every: str = "2m",
    final_stop: str = "term",
    idle: str = "0",
    pitr_samples: int = 3,
    corrupt_object: bool = False,
) -> None:
    """Run the S3 overnight soak: populate, replicate, load, monitor, restore, verify; exit 0 only on pass."""
    flags = {name: value for name, value in locals().items() if name != "c"}  # first: only the flags so far
    settings = Settings.from_context(c)
    if repeat < 1:
        raise UserError(f"--repeat must be at least 1 (got {repeat}); e.g. --repeat 3")
    params = parse_params(
        duration=duration,
        initial_size=initial_size,
        write_rate=write_rate,
        pattern=pattern,
        payload_size=payload_size,
        workers=workers,
        read_ratio=read_ratio,
        interval=interval,
        replica=replica,
        bucket=settings.get("s3.bucket", bucket),
        region=settings.get("s3.region", region),
        endpoint=settings.get("s3.endpoint", endpoint),
        prefix=prefix,
        test_dir=test_dir,
        bin_dir=bin,
        src_dir=src,
    )

    def faults_with(seed: int | str | None) -> FaultPlan | None:
        return parse_fault_options(
            params.duration_s,
            kill_every=kill_every,
            restart_after=restart_after,
            s3_latency=s3_latency,
            s3_reset_rate=s3_reset_rate,
            s3_outage=list(s3_outage or []),
            s3_error_rate=s3_error_rate,
            chaos=bool(chaos),
            fault_seed=seed,
        )

    cadence = schedule_named(schedule)
    checks = parse_replica_checks(
        restore_every=restore_every,
        final_stop=final_stop,
        idle=idle,
        pitr_samples=pitr_samples,
        corrupt_object=corrupt_object,
    )
    # Validated here, before anything starts: a bad fault option costs nothing but one line.
    plan = faults_with(fault_seed)
    check_target(plan, replica=params.replica, embedded=params.embedded, endpoint=params.endpoint)
    if params.src_dir is not None:
        check_source(params.src_dir)
    console = Console(highlight=False, soft_wrap=True)
    flags.update(bin=params.bin_dir and str(params.bin_dir), src=params.src_dir and str(params.src_dir))

    def make_run(number: int, dirs: RunDir, seed: int | None) -> SoakRun:
        """Run ``number`` of a repeat (0: the one run): its own directory, S3 prefix and fault seed."""
        run_params = (
            params if number == 0 else replace(params, test_dir=dirs.root, prefix=f"{params.prefix}-run-{number}")
        )
        run_plan = plan if number == 0 else faults_with(seed)
        run = SoakRun(
            params=run_params,
            dirs=dirs,
            console=console,
            faults=SoakFaults(run_plan) if run_plan else None,
            schedule=cadence,
            replica_checks=checks,
        )
        run.command = command.typed()
        run.replay_command = command.replay("soak.overnight", flags, DEFAULTS, fault_seed=seed)
        return run

    seed = plan.seed if plan else None
    if repeat == 1:
        code = run_soak(make_run(0, RunDir(params.test_dir), seed))
    else:
        code = run_repeat(repeat, RepeatDir(params.test_dir), seed, make_run, console)
    if code:
        raise Exit(code=code)


# The task's defaults: a replay command names only the flags that differ from them.
DEFAULTS = {name: p.default for name, p in inspect.signature(overnight.body).parameters.items() if name != "c"}
