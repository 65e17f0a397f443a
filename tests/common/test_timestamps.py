"""The one time format: byte-identical to what run directories and the gate's ledger have always carried."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta, timezone

from common.timestamps import format_utc, iso_utc, parse_run_stamp, parse_utc, run_stamp, utc_now
from tests.support.paths import PROJECT_ROOT

ISO_MS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_now_is_iso_utc_with_milliseconds_and_z() -> None:
    text = utc_now()
    assert ISO_MS_Z.fullmatch(text), text
    assert abs(parse_utc(text) - datetime.now(UTC).timestamp()) < 5  # type: ignore[operator]


def test_epoch_formats_exactly_as_before() -> None:
    assert iso_utc(1000.0) == "1970-01-01T00:16:40.000Z"
    assert iso_utc(1764572400.9999) == "2025-12-01T07:00:00.999Z"  # truncated, never rounded up
    assert iso_utc(None) is None
    moment = datetime(2026, 12, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert format_utc(moment) == "2026-12-01T07:00:00.123Z"
    # The expressions the four old helpers used give the same text.
    now = datetime.now(UTC)
    assert format_utc(now) == now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert format_utc(now) == now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_parse_reads_z_offsets_and_rejects_garbage() -> None:
    z = parse_utc("2026-12-01T07:00:00.123Z")
    assert z == datetime(2026, 12, 1, 7, 0, 0, 123000, tzinfo=UTC).timestamp()
    assert parse_utc("2026-12-01T02:00:00.123-05:00") == z
    assert parse_utc("2026-12-01T07:00:00.123") == z, "no zone is UTC"
    assert parse_utc("yesterday") is None and parse_utc("") is None


def test_run_stamp() -> None:
    moment = datetime(2026, 12, 1, 6, 59, 21, tzinfo=UTC)
    assert run_stamp(moment) == "20261201-065921"
    assert parse_run_stamp("20261201-065921") == moment.timestamp()
    assert parse_run_stamp("2026121-0659211") is None and parse_run_stamp("run") is None


def test_no_other_module_formats_or_reads_times_itself() -> None:
    """Only common/timestamps.py calls strftime/strptime/isoformat/fromisoformat/datetime.now; soak/logs/line.py
    keeps its cached reader of Litestream's own log times (any zone, any fraction), which is not a run-dir time."""
    allowed = {"common/timestamps.py", "soak/logs/line.py"}
    calls = {"strftime", "strptime", "isoformat", "fromisoformat", "now", "utcnow", "fromtimestamp"}
    found = []
    for folder in ("common", "release", "soak"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            if name in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in calls:
                    found.append(f"{name}:{node.lineno} .{node.attr}")
    assert found == [], "use common.timestamps"
