"""GitHub repository URLs, the one parser for them: the tap's brew name (release.tap-setup) and the repository a
GoReleaser ``brews:`` entry publishes to (the gate's single-tap-writer check)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# https://github.com/owner/name(.git), git@github.com:owner/name(.git), ssh://git@github.com/owner/name
_GITHUB_URL = re.compile(r"github\.com[:/]+(?P<owner>[^/\s]+)/(?P<name>[^/\s]+?)(?:\.git)?/?$", re.IGNORECASE)
TAP_PREFIX = "homebrew-"


@dataclass(frozen=True)
class GitHubRepo:
    owner: str
    name: str

    @property
    def slug(self) -> str:
        """``owner/name`` lower-cased, for comparing (GitHub names are case-insensitive)."""
        return f"{self.owner}/{self.name}".lower()

    @property
    def tap(self) -> str | None:
        """``owner/x`` as ``brew tap`` names a ``homebrew-x`` repository; None for any other repository."""
        if not self.name.lower().startswith(TAP_PREFIX):
            return None
        return f"{self.owner}/{self.name[len(TAP_PREFIX) :]}"


def parse_github_url(url: str) -> GitHubRepo | None:
    """The repository a GitHub URL (https or ssh) names; None for anything else (a local path, another host)."""
    match = _GITHUB_URL.search(url.strip())
    return GitHubRepo(match.group("owner"), match.group("name")) if match else None
