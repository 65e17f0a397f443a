"""Where the formula's checksums.txt comes from, and the five archives it needs out of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from common.versions import ReleaseVersion
from release.build.checksums import parse_checksums
from release.homebrew.downloads import fetch_text

# Release archives and packages: litestream-<number>-<os>-<rest>; the VFS extension (litestream-vfs-...) never matches.
_ARTIFACT = re.compile(
    r"^litestream-(?P<number>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+?)?)-(?P<os>darwin|linux|windows|freebsd)-(?P<rest>.+)$"
)


@dataclass(frozen=True)
class Checksums:
    """The parsed file: artifact name -> lowercase sha256, and where it was read from (for messages)."""

    source: str
    entries: dict[str, str]

    def versions(self) -> set[str]:
        """Version numbers carried by the release artifact names in the file."""
        found = set()
        for name in self.entries:
            match = _ARTIFACT.match(name)
            if match:
                found.add(match.group("number"))
        return found


@dataclass(frozen=True)
class Platform:
    """One platform of the formula: the archive suffix it installs and the Ruby condition that selects it."""

    os: str  # darwin | linux, as in the archive name
    arch: str  # x86_64 | arm64 | armv6, as in the archive name
    block: str  # on_macos | on_linux
    condition: str

    def archive(self, version: ReleaseVersion) -> str:
        return f"litestream-{version.number}-{self.os}-{self.arch}.tar.gz"


# The five archives the formula installs. 32-bit ARM takes armv6 (as GoReleaser's brew goarm default does),
# which also runs on armv7; windows and the .deb/.rpm packages are never in a formula.
PLATFORMS: tuple[Platform, ...] = (
    Platform("darwin", "x86_64", "on_macos", "Hardware::CPU.intel?"),
    Platform("darwin", "arm64", "on_macos", "Hardware::CPU.arm?"),
    Platform("linux", "x86_64", "on_linux", "Hardware::CPU.intel? && Hardware::CPU.is_64_bit?"),
    Platform("linux", "arm64", "on_linux", "Hardware::CPU.arm? && Hardware::CPU.is_64_bit?"),
    Platform("linux", "armv6", "on_linux", "Hardware::CPU.arm? && !Hardware::CPU.is_64_bit?"),
)


@dataclass(frozen=True)
class Archive:
    """A platform's archive as the formula references it."""

    platform: Platform
    name: str
    sha256: str


def read_checksums(text: str, *, source: str) -> Checksums:
    """Parse a release's checksums.txt (release.build.checksums.parse_checksums); an empty one is an error too."""
    entries = parse_checksums(text, source=source)
    if not entries:
        raise UserError(f"{source} holds no checksums; give the checksums.txt of the release")
    return Checksums(source=source, entries=entries)


def pick_archives(checksums: Checksums, version: ReleaseVersion) -> list[Archive]:
    """The five formula archives of ``version``; other versions or a missing platform are errors that name them."""
    others = sorted(checksums.versions() - {version.number})
    if others:
        example = next(n for n in sorted(checksums.entries) if f"litestream-{others[0]}-" in n)
        raise UserError(
            f"{checksums.source} lists archives of version {', '.join(others)} (e.g. {example}), "
            f"not only {version.number}; pass the checksums.txt of {version.tag}"
        )
    archives = []
    for platform in PLATFORMS:
        name = platform.archive(version)
        sha = checksums.entries.get(name)
        if sha is None:
            raise UserError(
                f"{checksums.source} has no {platform.os} {platform.arch} archive ({name}); "
                "the formula needs darwin x86_64/arm64 and linux x86_64/arm64/armv6"
            )
        archives.append(Archive(platform, name, sha))
    return archives


def release_checksums_url(url_base: str, version: ReleaseVersion) -> str:
    return f"{url_base.rstrip('/')}/{version.tag}/checksums.txt"


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _read_path(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"checksums file {path} does not exist; pass --checksums PATH|URL") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read checksums file {path}: {exc}") from None


def load_checksums(
    version: ReleaseVersion, *, given: str | None, dist_file: Path, url_base: str, log: list[str] | None = None
) -> Checksums:
    """The first source that applies: ``--checksums``, then ``dist/checksums.txt`` of this version, then the release.

    ``log`` collects one line per source considered, so the task can say why it took the one it took.
    """
    notes = log if log is not None else []
    if given:
        text = fetch_text(given, what="checksums.txt") if _is_url(given) else _read_path(Path(given))
        notes.append(f"checksums: {given} (--checksums)")
        return read_checksums(text, source=given)
    if dist_file.is_file():
        local = read_checksums(_read_path(dist_file), source=str(dist_file))
        if version.number in local.versions():
            notes.append(f"checksums: {dist_file} (built by release.build)")
            return local
        carried = ", ".join(sorted(local.versions())) or "no release archives"
        notes.append(f"checksums: skipped {dist_file}: it lists {carried}, not {version.number}")
    url = release_checksums_url(url_base, version)
    text = fetch_text(
        url, what="the release's checksums.txt", hint="is the release published? else pass --checksums PATH|URL"
    )
    notes.append(f"checksums: {url} (the release, under release.url_base)")
    return read_checksums(text, source=url)
