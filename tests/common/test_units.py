"""Durations and sizes parse the way the seed scripts wrote them, and bad ones say so."""

from __future__ import annotations

import pytest

from common.errors import UserError
from common.units import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("8h", 28800), ("1h30m", 5400), ("1.5s", 1.5)]
)
def test_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["8hours", "", "h", "10", "5m3x"])
def test_bad_durations_name_the_flag(text: str) -> None:
    with pytest.raises(UserError, match=r"--duration .* is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [("5MB", 5 * 1024**2), ("1.5GB", int(1.5 * 1024**3)), ("4096", 4096)])
def test_sizes_parse_in_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["12XB", "MB", "-5MB"])
def test_bad_sizes_name_the_flag(text: str) -> None:
    with pytest.raises(UserError, match=r"--size .* is not a size"):
        parse_size(text)


def test_format_duration_round_trips() -> None:
    assert format_duration(parse_duration("1h30m")) == "1h30m"
    assert format_duration(0) == "0s"
