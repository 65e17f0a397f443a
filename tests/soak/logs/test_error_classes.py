"""Error classes come from the ``error=`` text: SDK status/API codes, never hex TXIDs or sizes."""

from __future__ import annotations

import pytest

from soak.logs.error_classes import classify, operation
from soak.logs.line import attr, text_value
from tests.support.analyze import LOGS


def test_real_outage_line_is_connection_refused_not_status_0() -> None:
    line = next(raw for raw in (LOGS / "text-outage.log").read_bytes().splitlines() if b"level=ERROR" in raw)
    error = text_value(attr(line, b"error", after_msg=True))
    assert error is not None and "StatusCode: 0" in error
    assert classify(error).cls == "connection_refused"


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        (
            "write ltx file: s3: put object run/0000/0000000000000403-0000000000000503.ltx: operation error S3: "
            "PutObject, https response error StatusCode: 503, RequestID: x, api error SlowDown: Please reduce",
            "s3_503 SlowDown",
        ),
        (
            "operation error S3: PutObject, https response error StatusCode: 403, api error AccessDenied: no",
            "s3_403 AccessDenied",
        ),
        (
            "operation error S3: ListObjectsV2, api error NoSuchBucket: The specified bucket does not exist",
            "s3 NoSuchBucket",
        ),
        ("read ltx 0000000000000404-0000000000000500.ltx size=15003: unexpected EOF", "connection_reset"),
        ('Put "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused', "connection_refused"),
        ("context deadline exceeded (Client.Timeout exceeded while awaiting headers)", "timeout"),
        ("database is locked", "busy_locked"),
        ("SQLITE_BUSY: database is busy", "busy_locked"),
        ("compaction gap: 0000000000000403 != 0000000000000500", "corruption"),
        ("size=500 txid=0000000000000503 something odd", "other"),
    ],
)
def test_classes(text: str, cls: str) -> None:
    assert classify(text).cls == cls


def test_hex_txids_and_sizes_are_never_status_codes() -> None:
    got = classify("upload 0000000000000503-0000000000000404.ltx size=403 500 bytes failed")
    assert got.status is None and got.cls == "other"


def test_operations() -> None:
    assert operation("monitor error") == "replicate"
    assert operation("compaction failed", 2) == "compact_l2"
    assert operation("Write failed") == "load_write"
    assert operation("something new") == "other"
