"""Counting litestream's log: only the new part since the last look, severity from the first level=."""

from __future__ import annotations

from pathlib import Path

from soak.logs.live_counts import LogCounts, LogTail, count_line
from tests.support.log_lines import (
    CHECKPOINT,
    COMPACT_L1,
    COMPACT_L2,
    DEBUG_WITH_ERROR_ATTR,
    ERROR,
    SNAPSHOT,
    STARTUP,
    UPLOAD,
    WARN,
)


def counts_of(*lines: str) -> LogCounts:
    counts = LogCounts()
    for line in lines:
        count_line(line.encode(), counts)
    return counts


def test_json_handler_lines_count_the_same() -> None:
    upload = (
        '{"time":"2026-12-01T06:49:58.751Z","level":"INFO","msg":"ltx file uploaded","system":"store",'
        '"db":"test.db","replica":"s3","level":0,"size":803}'
    )
    compaction = '{"time":"2026-12-01T06:50:00.155Z","level":"INFO","msg":"compaction complete","level":2}'
    error = '{"time":"2026-12-01T06:49:43.605Z","level":"ERROR","msg":"sync error","error":"NoSuchBucket"}'
    c = counts_of(upload, compaction, error)
    assert (c.uploads, c.compactions, c.errors) == (1, {"2": 1}, 1)


def test_each_kind_of_line_is_counted() -> None:
    c = counts_of(STARTUP, UPLOAD, UPLOAD, COMPACT_L1, COMPACT_L2, COMPACT_L1, SNAPSHOT, CHECKPOINT, ERROR, WARN)
    assert c.to_json() == {
        "uploads": 2,
        "compactions": {"1": 2, "2": 1},
        "snapshots": 1,
        "checkpoints": 1,
        "errors": 1,
        "warnings": 1,
    }


def test_severity_is_the_first_level_key() -> None:
    # The startup line's second level= is the configured level; an error= attribute is no error.
    assert counts_of(STARTUP, DEBUG_WITH_ERROR_ATTR).errors == 0
    assert counts_of(STARTUP.replace("level=debug", "level=ERROR")).errors == 0


def test_go_panic_counts_as_error() -> None:
    c = counts_of("panic: runtime error: index out of range", "goroutine 1 [running]:")
    assert c.errors == 1 and c.last_errors == ["panic: runtime error: index out of range"]


def test_only_the_new_part_is_read(tmp_path: Path) -> None:
    log = tmp_path / "litestream.log"
    log.write_text(f"{UPLOAD}\n{ERROR}\n")
    tail = LogTail(log)
    first = tail.read_new()
    assert (first.uploads, first.errors) == (1, 1)
    assert tail.read_new().lines == 0, "nothing new: nothing counted"
    with log.open("a") as fh:
        fh.write(f"{UPLOAD}\n{UPLOAD}\n{CHECKPOINT[:40]}")  # a partial last line
    second = tail.read_new()
    assert (second.uploads, second.errors, second.checkpoints, second.lines) == (2, 0, 0, 2)
    with log.open("a") as fh:
        fh.write(CHECKPOINT[40:] + "\n")
    third = tail.read_new()
    assert (third.checkpoints, third.lines) == (1, 1), "the partial line is counted once it is complete"


def test_missing_log_counts_nothing(tmp_path: Path) -> None:
    assert LogTail(tmp_path / "absent.log").read_new().lines == 0
