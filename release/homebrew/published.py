"""Before anything reaches the tap: every archive the formula names is downloaded and its sha256 checked.

A formula whose sha256 does not match what its URL serves fails ``brew install`` for every user, so
``release.tap`` streams each URL (retried, never held in memory) and stops at the first mismatch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from common.errors import UserError
from common.versions import ReleaseVersion
from release.homebrew.checksums_source import Archive
from release.homebrew.downloads import download


def archive_url(url_base: str, version: ReleaseVersion, archive: Archive) -> str:
    """The URL the formula names for ``archive`` (the template builds the same one)."""
    return f"{url_base.rstrip('/')}/{version.tag}/{archive.name}"


def check_published_archives(
    archives: Sequence[Archive], url_base: str, version: ReleaseVersion, say: Callable[[str], None] = print
) -> None:
    """Download each archive the formula names and compare its sha256; a mismatch is one line naming the file."""
    for archive in archives:
        url = archive_url(url_base, version, archive)
        got = download(url, None, what=archive.name, hint="nothing was pushed")
        if got != archive.sha256:
            raise UserError(
                f"{archive.name} at {url} has sha256 {got}, but the formula says {archive.sha256}; nothing was pushed"
            )
        say(f"  {archive.name}: sha256 {got[:12]} matches the download")
