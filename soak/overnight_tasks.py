"""Task: ``soak.overnight``, the S3 overnight soak (successor of test-overnight-s3.sh)."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task
from rich.console import Console

from common.errors import fail_cleanly
from common.settings import config_value
from soak.overnight import SoakRun, run_soak
from soak.params import parse_params
from soak.rundir import RunDir

HELP = {
    "duration": "how long the load runs, e.g. 90s, 30m, 8h, 1h30m (default 8h)",
    "initial_size": "size litestream-test populate fills the database to, e.g. 5MB, 1.5GB (default 100MB)",
    "write_rate": "litestream-test load ops/s over all workers, reads included (default 100)",
    "pattern": "load pattern: constant, burst, random or wave (default wave)",
    "payload_size": "bytes of the BLOB each insert writes (default 4096)",
    "workers": "load workers; at most --write-rate (default 8)",
    "read_ratio": "share of load ticks that read instead of write, 0..1 (default 0.3)",
    "interval": "time between monitor ticks, e.g. 60s (default 60s)",
    "bucket": "S3 bucket (default S3_BUCKET; none: an embedded moto S3 on 127.0.0.1 is started)",
    "region": "S3 region (default AWS_REGION, then us-east-1)",
    "endpoint": "S3-compatible endpoint URL (MinIO, R2, Tigris, ...); empty for AWS",
    "prefix": "key prefix of the replica in the bucket (default litestream-overnight-<UTC yyyymmdd-HHMMSS>)",
    "replica": "replica type: s3 (default) or file (a directory in the run dir)",
    "src": "Litestream checkout to build the binaries from with `invoke build`",
    "bin": "directory holding existing litestream and litestream-test binaries (default ./bin)",
    "test_dir": "run directory, new or empty (default <system temp>/litestream-overnight-s3-<UTC yyyymmdd-HHMMSS>)",
}


@task(help=HELP, auto_shortflags=False)
@fail_cleanly
def overnight(  # type: ignore[no-untyped-def]
    c,
    duration="8h",
    initial_size="100MB",
    write_rate="100",
    pattern="wave",
    payload_size="4096",
    workers="8",
    read_ratio="0.3",
    interval="60s",
    bucket=None,
    region=None,
    endpoint=None,
    prefix=None,
    replica="s3",
    src=None,
    bin=None,  # the flag is --bin
    test_dir=None,
):
    """Run the S3 overnight soak: populate, replicate, load, monitor, restore, verify; exit 0 only on pass."""
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
        bucket=bucket or config_value(c, "s3.bucket") or None,
        region=region or config_value(c, "s3.region") or None,
        endpoint=endpoint or config_value(c, "s3.endpoint") or None,
        prefix=prefix,
        test_dir=test_dir,
        bin_dir=bin,
        src_dir=src,
    )
    code = run_soak(
        SoakRun(params=params, dirs=RunDir(params.test_dir), console=Console(highlight=False, soft_wrap=True))
    )
    if code:
        raise Exit(code=code)
