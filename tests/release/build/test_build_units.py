"""The small pieces under the build jobs: parallel runner, checksums parser, Go version ordering."""

from __future__ import annotations

import threading
import time

import pytest

from common.errors import UserError
from release.build.checksums import format_checksums, parse_checksums
from release.build.gobuild import quoted
from release.build.matrix import TARGETS, archive_names
from release.build.release_build import parse_jobs, run_parallel
from release.build.toolchain import _DIRECTIVE, _GO_VERSION, version_key

HEX_A, HEX_B = "a" * 64, "0123456789abcdef" * 4


def test_run_parallel_never_exceeds_jobs_and_keeps_order() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def work(item: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with lock:
            running -= 1
        return item * 10

    assert run_parallel(list(range(8)), work, 3) == [0, 10, 20, 30, 40, 50, 60, 70]
    assert peak == 3


def test_run_parallel_stops_starting_work_after_a_failure() -> None:
    started: list[int] = []

    def work(item: int) -> int:
        started.append(item)
        if item == 0:
            raise UserError("target 0 broke")
        time.sleep(0.1)
        return item

    with pytest.raises(UserError, match="target 0 broke"):
        run_parallel(list(range(8)), work, 2)
    assert len(started) < 8


def test_parse_jobs() -> None:
    assert parse_jobs("3") == 3
    assert parse_jobs(None) >= 1
    for bad in ("0", "-1", "x", "2.5"):
        with pytest.raises(UserError, match="positive integer"):
            parse_jobs(bad)


def test_checksums_round_trip_sorted() -> None:
    text = format_checksums({"b.zip": HEX_B, "a.tar.gz": HEX_A})
    assert text == f"{HEX_A}  a.tar.gz\n{HEX_B}  b.zip\n"
    assert parse_checksums(text) == {"a.tar.gz": HEX_A, "b.zip": HEX_B}
    assert parse_checksums(f"{HEX_A.upper()} *bin.zip\n\n") == {"bin.zip": HEX_A}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (f"{HEX_A}  ok.zip\nnot a checksum line\n", "line 2 is not"),
        (f"{HEX_A[:-1]}  short.zip\n", "line 1 is not"),
        (f"{HEX_A} one-space.zip\n", "line 1 is not"),
        (f"{HEX_A}  same.zip\n{HEX_B}  same.zip\n", "line 2 repeats same.zip with another sha256"),
    ],
)
def test_parse_checksums_rejects_malformed_lines(text: str, match: str) -> None:
    with pytest.raises(UserError, match=match):
        parse_checksums(text)


@pytest.mark.parametrize(
    ("installed", "required", "ok"),
    [
        ("go1.26.8", "1.25.0", True),
        ("go1.25.0", "1.25.0", True),
        ("go1.25rc1", "1.25", True),
        ("go1.25rc1", "1.25.0", False),
        ("go1.24.9", "1.25.0", False),
        ("go1.26.8", "1.99.0", False),
        ("go1.20", "1.20.0", True),
    ],
)
def test_go_version_ordering(installed: str, required: str, ok: bool) -> None:
    have, need = _GO_VERSION.match(installed), _DIRECTIVE.match(required)
    assert have and need
    assert (version_key(have) >= version_key(need, language=True)) is ok


def test_matrix_is_what_goreleaser_publishes() -> None:
    assert [t.platform for t in TARGETS] == [
        "linux/amd64",
        "linux/arm64",
        "linux/arm/6",
        "linux/arm/7",
        "darwin/amd64",
        "darwin/arm64",
        "windows/amd64",
        "windows/arm64",
    ]
    assert archive_names("0.5.16")[2] == "litestream-0.5.16-linux-armv6.tar.gz"
    assert TARGETS[2].go_env() == {"GOOS": "linux", "GOARCH": "arm", "GOARM": "6"}
    assert TARGETS[0].go_env()["GOAMD64"] == "v1"


def test_printed_lines_are_quoted_for_messages_not_shown_as_a_list() -> None:
    assert quoted(["litestream-test v0.5.16", "commit: 6d61ef5"]) == '"litestream-test v0.5.16" / "commit: 6d61ef5"'
    assert quoted([]) == "nothing"
