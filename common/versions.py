"""Release versions: ``vMAJOR.MINOR.PATCH[-pre]`` tags and the bare numbers archives carry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.errors import UserError

_TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*))?$")


@dataclass(frozen=True)
class ReleaseVersion:
    """A validated tag such as ``v0.5.16``; ``number`` is what archive names and ldflags use."""

    tag: str

    @property
    def number(self) -> str:
        return self.tag[1:]

    @property
    def prerelease(self) -> bool:
        return "-" in self.tag


def parse_version(text: str | None, *, flag: str = "--version") -> ReleaseVersion:
    """Validate a release tag; anything else is one clear line naming the expected form."""
    if not text:
        raise UserError(f"{flag} is required; give a release tag such as v0.5.16")
    value = str(text).strip()
    if not _TAG.match(value):
        raise UserError(f"{flag} {text!r} is not of the form vMAJOR.MINOR.PATCH[-pre], e.g. v0.5.16 or v0.6.0-rc1")
    return ReleaseVersion(value)
