"""The small pieces under the build jobs: checksums parser, Go version ordering, quoted output."""

from __future__ import annotations

import pytest

from common.errors import UserError
from release.build.checksums import format_checksums, parse_checksums
from release.build.gobuild import quoted
from release.build.release_build import parse_jobs
from release.build.toolchain import _DIRECTIVE, _GO_VERSION, version_key

HEX_A, HEX_B = "a" * 64, "0123456789abcdef" * 4


def test_parse_jobs() -> None:
    assert parse_jobs("3") == 3
    assert parse_jobs(None) is None  # GoReleaser's own default: one per CPU
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


def test_printed_lines_are_quoted_for_messages_not_shown_as_a_list() -> None:
    assert quoted(["litestream-test v0.5.16", "commit: 6d61ef5"]) == '"litestream-test v0.5.16" / "commit: 6d61ef5"'
    assert quoted([]) == "nothing"
