"""The streaming log reader on REAL Litestream logs: counts equal independent line-by-line counts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from soak.analyze.fault_windows import Fault, windows
from soak.analyze.litestream_log import FaultWindows, scan_litestream_log
from soak.logs import blocks as logblocks
from soak.logs.line import parse_time
from tests.support.analyze import LOGS, RUNDIR, count_compactions, count_lines

FIXTURE_LOGS = [
    LOGS / "text-debug.log",
    LOGS / "json-debug.log",
    LOGS / "text-outage.log",
    LOGS / "text-debug-window.log",
    RUNDIR / "logs" / "litestream.log",
]
UPLOAD = ('msg="ltx file uploaded"', '"msg":"ltx file uploaded"')
SNAPSHOT = ('msg="snapshot complete"', '"msg":"snapshot complete"')
CHECKPOINT = ("msg=checkpoint ", '"msg":"checkpoint"')
ERROR = ("level=ERROR", '"level":"ERROR"')
REPLICA_SYNC = ('msg="replica sync" ', '"msg":"replica sync",')


def _expected(path: Path) -> dict[str, object]:
    return {
        "uploads": count_lines(path, *UPLOAD),
        "levels": {lvl: count_compactions(path, lvl) for lvl in (1, 2, 3)},
        "snapshots": count_lines(path, *SNAPSHOT),
        "checkpoints": count_lines(path, *CHECKPOINT),
        "errors": count_lines(path, *ERROR),
        "replica_syncs": count_lines(path, *REPLICA_SYNC),
        "lines": count_lines(path, ""),
    }


def _observed(stats: object) -> dict[str, object]:
    s = stats  # LogStats
    return {
        "uploads": s.uploads.count,  # type: ignore[attr-defined]
        "levels": {lvl: s.compactions[lvl].count if lvl in s.compactions else 0 for lvl in (1, 2, 3)},  # type: ignore[attr-defined]
        "snapshots": s.snapshots.count,  # type: ignore[attr-defined]
        "checkpoints": sum(s.checkpoints.values()),  # type: ignore[attr-defined]
        "errors": s.error_total(),  # type: ignore[attr-defined]
        "replica_syncs": s.replica_syncs,  # type: ignore[attr-defined]
        "lines": s.lines,  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("path", FIXTURE_LOGS, ids=lambda p: p.name if p.parent == LOGS else "rundir")
def test_counts_equal_independent_line_counts(path: Path) -> None:
    assert _observed(scan_litestream_log(path)) == _expected(path)


def test_counts_equal_hand_counts_in_fixture_readme() -> None:
    """Hard facts counted with grep and written in tests/fixtures/logs/README.md."""
    text = scan_litestream_log(LOGS / "text-debug.log")
    assert (text.uploads.count, text.snapshots.count, sum(text.checkpoints.values())) == (208, 5, 26)
    assert {k: v.count for k, v in text.compactions.items()} == {1: 17, 2: 5, 3: 1}
    js = scan_litestream_log(LOGS / "json-debug.log")
    assert {k: v.count for k, v in js.compactions.items()} == {1: 17, 2: 5, 3: 2}
    assert (js.uploads.count, js.replica_syncs) == (211, 151)
    outage = scan_litestream_log(LOGS / "text-outage.log")
    assert (outage.uploads.count, outage.error_total()) == (279, 1)


@pytest.mark.parametrize("name", ["text-debug.log", "json-debug.log"])
def test_startup_lines_severity_is_the_first_level(name: str) -> None:
    stats = scan_litestream_log(LOGS / name)
    assert stats.startups == 1
    assert stats.version == "(development build)"
    assert stats.configured_intervals == {1: 10.0, 2: 30.0, 3: 60.0, 9: 60.0}
    assert stats.shutdown_signal_t is not None and stats.shutdown_done_t is not None
    assert stats.formats == {"text" if name.startswith("text") else "json"}


def test_text_and_json_lines_mixed(tmp_path: Path) -> None:
    text = (LOGS / "text-debug.log").read_bytes().splitlines(keepends=True)
    js = (LOGS / "json-debug.log").read_bytes().splitlines(keepends=True)
    mixed = tmp_path / "mixed.log"
    with mixed.open("wb") as out:
        for i in range(max(len(text), len(js))):
            out.writelines(part[i] for part in (text, js) if i < len(part))
    stats = scan_litestream_log(mixed)
    a, b = _expected(LOGS / "text-debug.log"), _expected(LOGS / "json-debug.log")
    assert stats.formats == {"text", "json"}
    assert stats.uploads.count == a["uploads"] + b["uploads"]  # type: ignore[operator]
    assert stats.snapshots.count == 10
    assert {k: v.count for k, v in stats.compactions.items()} == {1: 34, 2: 10, 3: 3}


def test_truncated_last_line(tmp_path: Path) -> None:
    data = (LOGS / "text-outage.log").read_bytes()
    cut = tmp_path / "cut.log"
    last = data.rstrip(b"\n").rfind(b"\n")
    cut.write_bytes(data[: last + 40])  # the last line stops after 40 bytes, no newline
    stats = scan_litestream_log(cut)
    assert stats.truncated_last_line
    assert _observed(stats) == _expected(cut)


def test_binary_garbage_and_newline_free_blob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logblocks, "BLOCK_SIZE", 256 * 1024)  # the blob spans blocks: it must be dropped
    rng = random.Random(4)
    lines = (LOGS / "text-debug.log").read_bytes().splitlines(keepends=True)
    dirty = tmp_path / "dirty.log"
    with dirty.open("wb") as out:
        for i, line in enumerate(lines):
            out.write(line)
            if i % 50 == 0:
                out.write(bytes(rng.randrange(256) for _ in range(300)).replace(b"\n", b"") + b"\n")
        out.write(b"\x00\xff" * (1024 * 1024))  # 2 MiB without a newline: dropped, not buffered
        out.write(b"\n" + lines[-1])
    stats = scan_litestream_log(dirty)
    assert stats.dropped_bytes >= 256 * 1024
    clean = _expected(LOGS / "text-debug.log")
    seen = _observed(stats)
    assert seen["uploads"] == clean["uploads"]
    assert seen["levels"] == clean["levels"]
    assert seen["checkpoints"] == clean["checkpoints"]


def test_small_blocks_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    path = LOGS / "json-debug.log"
    whole = _observed(scan_litestream_log(path))
    monkeypatch.setattr(logblocks, "BLOCK_SIZE", 4096)
    assert _observed(scan_litestream_log(path)) == whole


def test_outage_error_is_transient_because_uploads_resumed() -> None:
    stats = scan_litestream_log(LOGS / "text-outage.log")
    assert set(stats.errors) == {"connection_refused"}
    bucket = stats.errors["connection_refused"]
    assert (bucket.count, bucket.transient, bucket.persistent, bucket.expected) == (1, 1, 0, 0)
    assert bucket.ops == {"replicate": 1}


def test_error_without_later_success_is_persistent(tmp_path: Path) -> None:
    data = (LOGS / "text-outage.log").read_bytes()
    at = data.find(b"level=ERROR")
    end = data.find(b"\n", at) + 1
    head = tmp_path / "head.log"
    head.write_bytes(data[:end])  # the log stops right after the error
    stats = scan_litestream_log(head)
    assert stats.errors["connection_refused"].persistent == 1
    assert stats.error_total(kind="transient") == 0


def test_error_inside_a_fault_window_is_expected() -> None:
    path = LOGS / "text-outage.log"
    line = next(raw for raw in path.read_bytes().splitlines() if b"level=ERROR" in raw)
    t = parse_time(line[5:29])
    assert t is not None
    outage = Fault("outage", t - 60, t - 30, {}, True)
    stats = scan_litestream_log(path, FaultWindows(windows([outage], grace_s=31)), [outage.end])
    assert stats.errors["connection_refused"].expected == 1
    assert stats.error_total(kind="persistent") == stats.error_total(kind="transient") == 0


def test_a_whole_run_fault_excuses_only_the_errors_it_causes(tmp_path: Path) -> None:
    path = LOGS / "text-outage.log"
    line = next(raw for raw in path.read_bytes().splitlines() if b"level=ERROR" in raw)
    t = parse_time(line[5:29])
    assert t is not None
    faults = [Fault(kind, t - 60, t + 60, {}, True) for kind in ("latency", "reset", "http_error")]
    stats = scan_litestream_log(path, FaultWindows(windows(faults, grace_s=0)), [t + 60])
    assert stats.errors["connection_refused"].expected == 0, "only an outage or a kill refuses connections"


def test_a_whole_run_fault_recovers_at_the_next_upload_after_its_error(tmp_path: Path) -> None:
    log = tmp_path / "litestream.log"
    log.write_text(
        'time=2026-12-01T07:00:03.000Z level=ERROR msg="monitor error" system=store db=test.db '
        'error="operation error S3: PutObject, https response error StatusCode: 503, api error SlowDown: slow"\n'
        'time=2026-12-01T07:00:09.500Z level=INFO msg="ltx file uploaded" system=store db=test.db replica=s3 '
        "level=0 minTXID=0000000000000005 maxTXID=0000000000000005 size=4200\n"
    )
    t0 = parse_time("2026-12-01T07:00:00.000Z")
    assert t0 is not None
    http = windows([Fault("http_error", t0, t0 + 100, {}, True)], grace_s=0)
    stats = scan_litestream_log(log, FaultWindows(http), [t0 + 100])
    assert stats.errors["s3_503 SlowDown"].expected == 1
    assert http[0].errors == 1 and not http[0].pending
    assert http[0].longest_gap == pytest.approx(6.5)


def test_parse_time_forms() -> None:
    z = parse_time(b"2026-12-01T06:49:50.871Z")
    assert z == parse_time("2026-12-01T06:49:51.670236783Z") - 0.799236783  # type: ignore[operator]
    assert parse_time(b"2026-12-01T01:49:50.871-05:00") == pytest.approx(z)
    assert parse_time(b"garbage") is None


@pytest.mark.parametrize("name", ["text-debug.log", "json-debug.log", "text-outage.log"])
def test_upload_bytes_and_lag_equal_an_independent_parse(name: str) -> None:
    """The inline fast path against plain json.loads / regex parsing of every line."""
    import json
    import re

    size, lag = 0, 0
    for line in (LOGS / name).read_text().splitlines():
        if line.startswith("{"):
            fields = json.loads(line)
            if fields["msg"] == "ltx file uploaded":
                size += fields["size"]
            elif fields["msg"] == "replica sync":
                lag = max(lag, int(fields["txid"]["db"], 16) - int(fields["txid"]["replica"], 16))
        elif 'msg="ltx file uploaded"' in line:
            size += int(re.search(r" size=(\d+)", line).group(1))  # type: ignore[union-attr]
        elif 'msg="replica sync" ' in line:
            db = int(re.search(r"txid\.db=([0-9a-f]+)", line).group(1), 16)  # type: ignore[union-attr]
            lag = max(lag, db - int(re.search(r"txid\.replica=([0-9a-f]+)", line).group(1), 16))  # type: ignore[union-attr]
    stats = scan_litestream_log(LOGS / name)
    assert (stats.uploads.bytes, stats.max_lag) == (size, lag)
    assert sum(v for _, v in stats.uploads_per_min.points()) == stats.uploads.count


def test_real_database_is_locked_lines_in_load_log_are_busy_locked_and_transient() -> None:
    from soak.analyze.side_logs import read_load_log

    path = LOGS / "load-locked.log"
    load = read_load_log(path)
    failed = count_lines(path, 'msg="Write failed"')
    assert failed == 2 and count_lines(path, "database is locked") == 2
    assert load.error_lines == {"busy_locked": failed}
    assert load.transient_errors == failed  # writes went through again afterwards
    assert load.reported_errors == 2 and load.complete
    assert [round(r, 1) for _, r in load.write_rate_points][:3] == [15.4, 4.2, 0.0]


def test_memory_stays_bounded_on_a_large_log(tmp_path: Path) -> None:
    """~48 MB of real lines (12 blocks): allocations peak at a few blocks (the one being read, the
    one being scanned, a slice), whatever the file size."""
    import tracemalloc

    excerpt = (LOGS / "text-debug-window.log").read_bytes()
    big = tmp_path / "big.log"
    reps = 48_000_000 // len(excerpt)
    with big.open("wb") as out:
        for _ in range(reps):
            out.write(excerpt)
    tracemalloc.start()
    stats = scan_litestream_log(big)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert stats.uploads.count == reps * count_lines(LOGS / "text-debug-window.log", *UPLOAD)
    assert peak < 4 * logblocks.BLOCK_SIZE < big.stat().st_size / 2, f"peak {peak / 1e6:.1f} MB"
