"""soak.overnight's flags: every bad input of the issue is one clear line, before anything starts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from common.errors import UserError
from soak.run.params import bytes_per_row, estimate_disk, writes_per_second
from tests.support.cli import assert_one_error_line
from tests.support.soak import STANDINS, invoke_cli, soak_params


@pytest.fixture(autouse=True)
def _no_s3_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3_BUCKET", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)


def params(**over: Any) -> Any:
    return soak_params(**over)


def test_defaults_are_the_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3_BUCKET", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    p = params()
    assert (p.duration_s, p.initial_size_bytes, p.write_rate, p.pattern) == (8 * 3600, 100 * 1024**2, 100, "wave")
    assert (p.payload_size, p.workers, p.read_ratio, p.interval_s) == (4096, 8, 0.3, 60)
    assert p.embedded and p.region == "us-east-1"
    assert p.prefix == f"litestream-overnight-{p.stamp}"
    assert p.test_dir.name == f"litestream-overnight-s3-{p.stamp}"


def test_bucket_and_region_as_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse_params takes what common.settings resolved (tests/common/test_settings.py: each layer); env is not read."""
    monkeypatch.setenv("S3_BUCKET", "ignored-here")
    p = params(bucket="my-soak-bucket", region="eu-west-1")
    assert (p.bucket, p.region, p.embedded) == ("my-soak-bucket", "eu-west-1", False)
    assert params().embedded


def test_an_empty_region_is_one_line() -> None:
    with pytest.raises(UserError, match="the S3 region is empty"):
        params(region=" ")


def test_compound_durations_and_fractional_sizes() -> None:
    p = params(duration="1h30m", initial_size="1.5GB", interval="90s")
    assert (p.duration_s, p.initial_size_bytes, p.interval_s) == (5400, int(1.5 * 1024**3), 90)


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"duration": "8hours"}, "--duration '8hours' is not a duration"),
        ({"initial_size": "12XB"}, "--initial-size '12XB' is not a size"),
        ({"interval": "soon"}, "--interval"),
        ({"duration": "0s"}, "--duration must be longer than zero"),
        ({"write_rate": "0"}, "--write-rate must be greater than zero"),
        ({"write_rate": "-5"}, "--write-rate must be greater than zero"),
        ({"workers": "0"}, "--workers must be greater than zero"),
        ({"payload_size": "-1"}, "--payload-size must be greater than zero"),
        ({"payload_size": "big"}, "--payload-size 'big' is not a whole number"),
        ({"initial_size": "0"}, "--initial-size must be larger than zero"),
        ({"pattern": "sine"}, "--pattern 'sine' is unknown"),
        ({"workers": "9", "write_rate": "8"}, "--workers 9 is greater than --write-rate 8"),
        ({"read_ratio": "1.5"}, "--read-ratio must be between 0 and 1"),
        ({"read_ratio": "-0.1"}, "--read-ratio must be between 0 and 1"),
        ({"replica": "gcs"}, "--replica 'gcs' is unknown"),
        ({"bin_dir": "/x", "src_dir": "/y"}, "--src and --bin were given together"),
        ({"endpoint": "http://127.0.0.1:9000"}, "--endpoint needs a bucket"),
    ],
)
def test_bad_input_is_a_user_error(over: dict[str, Any], needle: str) -> None:
    with pytest.raises(UserError, match=None) as info:
        params(**over)
    assert needle in str(info.value)


def test_non_empty_test_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old-run.txt").write_text("x")
    with pytest.raises(UserError, match="is not empty"):
        params(test_dir=str(tmp_path))
    assert params(test_dir=str(tmp_path / "new")).test_dir == tmp_path / "new"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert params(test_dir=str(empty)).test_dir == empty


def test_disk_estimate_for_the_seeds_load_is_several_gigabytes() -> None:
    # The old soak's load (100 ops/s wave, 8 workers, read ratio 0.3) is ~58 writes/s; for 8 h of 4 KiB payloads
    # (1 overflow page + a share of a leaf each) the database grows by ~7-8 GB.
    p = params()
    assert 55 < writes_per_second(p) < 62
    assert 4096 < bytes_per_row(4096) < 2 * 4096
    est = estimate_disk(p)
    assert 6 * 1024**3 < est.growth_bytes < 9 * 1024**3
    assert est.needed_bytes > 2 * est.growth_bytes
    assert "GiB" in est.describe()


def test_small_payload_rows_need_no_overflow_page() -> None:
    assert bytes_per_row(1024) < 1200


# ------------------------------------------------------------------ through the real invoke CLI


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--duration", "8hours"], "'8hours' is not a duration"),
        (["--initial-size", "12XB"], "'12XB' is not a size"),
        (["--write-rate=-1"], "--write-rate must be greater than zero"),
        (["--duration", "0s"], "--duration must be longer than zero"),
        (["--workers", "0"], "--workers must be greater than zero"),
        (["--payload-size", "0"], "--payload-size must be greater than zero"),
        (["--pattern", "sawtooth"], "unknown"),
        (["--workers", "20", "--write-rate", "10"], "greater than --write-rate"),
        (["--read-ratio", "2"], "--read-ratio must be between 0 and 1"),
        (["--schedule", "hourly"], "--schedule 'hourly' is not a known schedule; use one of: default, fast"),
    ],
)
def test_cli_bad_input_one_error_line(args: list[str], needle: str, tmp_path: Path) -> None:
    done = invoke_cli(*args, "--bin", str(STANDINS), "--test-dir", str(tmp_path / "run"))
    assert_one_error_line(done, needle)
    assert not (tmp_path / "run").exists(), "nothing may be created for bad input"


def test_cli_non_empty_test_dir(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("earlier run")
    done = invoke_cli("--bin", str(STANDINS), "--test-dir", str(tmp_path))
    assert_one_error_line(done, "is not empty")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_cli_missing_binaries(tmp_path: Path) -> None:
    done = invoke_cli("--bin", str(tmp_path / "nowhere"), "--test-dir", str(tmp_path / "run"))
    assert_one_error_line(done, "litestream does not exist", "invoke build")
    assert not (tmp_path / "run").exists()


def test_cli_non_executable_binary(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    shutil.copytree(STANDINS, bindir)
    (bindir / "litestream-test").chmod(0o644)
    done = invoke_cli("--bin", str(bindir), "--test-dir", str(tmp_path / "run"))
    assert_one_error_line(done, "litestream-test is not executable", "chmod +x")


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda tmp: tmp / "litestreem", "litestreem does not exist"),
        (lambda tmp: tmp, "is not a Litestream checkout: it has no go.mod"),
    ],
)
def test_cli_bad_src_is_refused_before_anything_starts(tmp_path: Path, make: Any, needle: str) -> None:
    """A typo in --src: the line says what is wrong with the checkout; no banner, no build, no run dir."""
    run_dir = tmp_path / "run"
    done = invoke_cli("--src", str(make(tmp_path)), "--test-dir", str(run_dir))
    assert_one_error_line(done, needle)
    assert "overnight soak" not in done.stdout, "the banner belongs to a run that starts"
    assert not run_dir.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workers", "eight"], "--workers 'eight' is not a whole number; give a whole number, e.g. --workers 8"),
        (["--payload-size", "big"], "--payload-size 'big' is not a whole number"),
        (["-w", "1.5"], "--write-rate '1.5' is not a whole number"),
    ],
)
def test_cli_a_flag_of_the_wrong_type_is_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    """Invoke converts typed flags itself; a value that does not convert is one line, not its traceback."""
    done = invoke_cli(*args, "--bin", str(STANDINS), "--test-dir", str(tmp_path / "run"))
    assert_one_error_line(done, needle)
    assert not (tmp_path / "run").exists()


def test_cli_help_shows_types_and_the_pinned_short_flags() -> None:
    done = invoke_cli("--help")
    assert done.returncode == 0, done.stderr
    options = {line.strip().split("  ")[0] for line in done.stdout.splitlines() if line.startswith("  -")}
    for shown in (
        "-w INT, --write-rate=INT",
        "--payload-size=INT",
        "--workers=INT",
        "-d STRING, --duration=STRING",
        "-t STRING, --test-dir=STRING",
        "-s STRING, --src=STRING",
        "-c, --chaos",
        "--bin=STRING",
        "--read-ratio=STRING",
    ):
        assert shown in options, (shown, sorted(options))
    assert not [o for o in options if o.startswith(("--=", "-3", "-- "))], "no short flag that is not a letter"


def test_cli_short_flags_reach_their_options(tmp_path: Path) -> None:
    done = invoke_cli("-d", "8hours", "--bin", str(STANDINS), "-t", str(tmp_path / "run"))
    assert_one_error_line(done, "--duration '8hours' is not a duration")
