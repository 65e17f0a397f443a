"""Release tags are validated once, the same way for builds, formulae and the gate."""

from __future__ import annotations

import pytest

from common.errors import UserError
from common.versions import parse_version


@pytest.mark.parametrize("tag", ["v0.5.16", "v1.0.0", "v0.6.0-rc1", "v0.6.0-beta.2"])
def test_valid_tags(tag: str) -> None:
    version = parse_version(tag)
    assert version.tag == tag
    assert version.number == tag[1:]


@pytest.mark.parametrize("tag", ["0.5.16", "v0.5", "v0.5.16.1", "v01.2.3", "latest", "v0.5.16-"])
def test_invalid_tags_are_one_clear_line(tag: str) -> None:
    with pytest.raises(UserError, match=r"not of the form vMAJOR\.MINOR\.PATCH"):
        parse_version(tag)


def test_missing_version_says_what_to_pass() -> None:
    with pytest.raises(UserError, match="--version is required"):
        parse_version(None)


def test_prerelease_flag() -> None:
    assert parse_version("v0.6.0-rc1").prerelease
    assert not parse_version("v0.5.16").prerelease
