"""Where the formula's checksums.txt comes from, and the five archives it needs out of it.

A formula is what users download, so its checksums come from what is published: the release's checksums.txt at
``<release.url_base>/<tag>/checksums.txt`` (or ``--checksums URL|PATH`` naming a published copy). A local
build's dist/ (GoReleaser's: ``artifacts.json`` beside checksums.txt) is only accepted for a preview, whose
archives are then found by platform in artifacts.json, since a snapshot names them ``litestream-vX.Y.Z-next-...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import UserError
from common.versions import ReleaseVersion
from release.build.checksums import parse_checksums
from release.build.goreleaser_dist import ARCHIVE, read_dist
from release.homebrew.downloads import fetch_text

# Release archives and packages: litestream-<number>-<os>-<rest>; the VFS extension (litestream-vfs-...) never matches.
_ARTIFACT = re.compile(
    r"^litestream-(?P<number>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+?)?)-(?P<os>darwin|linux|windows|freebsd)-(?P<rest>.+)$"
)
# Files GoReleaser writes next to checksums.txt in its dist/: their presence marks a local build.
LOCAL_BUILD_MARKERS = ("artifacts.json", "metadata.json", "release-build.json")
PREVIEW_HOW = "pass --preview to render a preview from it (release.tap never publishes one)"


@dataclass(frozen=True)
class Checksums:
    """The parsed file: artifact name -> lowercase sha256, where it was read from, and whether it is local."""

    source: str
    entries: dict[str, str]
    local: bool = False  # a local build's: only a preview may use it
    built: str = ""  # the local build's version (metadata.json), for messages
    platform_names: Mapping[str, str] = field(default_factory=dict)  # "linux-armv6" -> the local archive's name

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
    """One platform of the formula: the archive suffix it installs and the GOOS/GOARCH[/GOARM] that built it."""

    os: str  # darwin | linux, as in the archive name
    arch: str  # x86_64 | arm64 | armv6, as in the archive name
    goarch: str
    goarm: str = ""

    @property
    def key(self) -> str:
        return f"{self.os}-{self.arch}"

    def archive(self, version: ReleaseVersion) -> str:
        return f"litestream-{version.number}-{self.os}-{self.arch}.tar.gz"


# The five archives the formula installs. 32-bit ARM takes armv6 (as GoReleaser's brew goarm default does),
# which also runs on armv7; windows and the .deb/.rpm packages are never in a formula.
PLATFORMS: tuple[Platform, ...] = (
    Platform("darwin", "x86_64", "amd64"),
    Platform("darwin", "arm64", "arm64"),
    Platform("linux", "x86_64", "amd64"),
    Platform("linux", "arm64", "arm64"),
    Platform("linux", "armv6", "arm", "6"),
)


@dataclass(frozen=True)
class Archive:
    """A platform's archive as the formula references it: the release's name, the sha256, the local name if any."""

    platform: Platform
    name: str
    sha256: str
    local_name: str = ""


def read_checksums(text: str, *, source: str) -> Checksums:
    """Parse a release's checksums.txt (release.build.checksums.parse_checksums); an empty one is an error too."""
    entries = parse_checksums(text, source=source)
    if not entries:
        raise UserError(f"{source} holds no checksums; give the checksums.txt of the release")
    return Checksums(source=source, entries=entries)


def is_local_build(directory: Path) -> bool:
    """Whether ``directory`` is a build's dist/ (GoReleaser's metadata beside checksums.txt), not a release copy."""
    return any((directory / name).is_file() for name in LOCAL_BUILD_MARKERS)


def _local_platforms(directory: Path) -> tuple[str, dict[str, str]]:
    """The local build's version and its tar.gz archive per formula platform, from its artifacts.json."""
    try:
        dist = read_dist(directory)
    except UserError:
        return "", {}
    names = {}
    for platform in PLATFORMS:
        for artifact in dist.of_type(ARCHIVE):
            same = (artifact.goos, artifact.goarch) == (platform.os, platform.goarch)
            arm = not platform.goarm or artifact.variant == platform.goarm
            if same and arm and artifact.name.endswith(".tar.gz"):
                names[platform.key] = artifact.name
    return dist.metadata.version, names


def pick_archives(checksums: Checksums, version: ReleaseVersion) -> list[Archive]:
    """The five formula archives of ``version``; other versions or a missing platform are errors that name them.

    For a local build with artifacts.json the archives are found by platform (a snapshot's names carry its own
    version); the formula still names the release's archives, with the local build's sha256.
    """
    if checksums.local and checksums.platform_names:
        archives = []
        for platform in PLATFORMS:
            local = checksums.platform_names.get(platform.key)
            if local is None or local not in checksums.entries:
                raise UserError(
                    f"the local build in {checksums.source} has no {platform.os} {platform.arch} tar.gz archive; "
                    "the formula needs darwin x86_64/arm64 and linux x86_64/arm64/armv6"
                )
            archives.append(Archive(platform, platform.archive(version), checksums.entries[local], local))
        return archives
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
        archives.append(Archive(platform, name, sha, name if checksums.local else ""))
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


def _local(path: Path) -> Checksums:
    parsed = read_checksums(_read_path(path), source=str(path))
    built, names = _local_platforms(path.parent)
    return Checksums(parsed.source, parsed.entries, local=True, built=built, platform_names=names)


def load_checksums(
    version: ReleaseVersion,
    *,
    given: str | None,
    url_base: str,
    preview: bool = False,
    dist: Path = Path("dist"),
    log: list[str] | None = None,
) -> Checksums:
    """The published release's checksums.txt by default; a local build's only with ``preview``.

    ``given`` (``--checksums``) names a published copy by URL or path; a path inside a build's dist/ is a local
    build. ``log`` collects one line per source considered, so the task can say which one it took.
    """
    notes = log if log is not None else []
    if preview:
        if given and _is_url(given):
            raise UserError(f"--preview renders from a local build, not {given}; drop --preview to use that URL")
        path = Path(given) if given else dist / "checksums.txt"
        if not path.is_file():
            raise UserError(f"no local build at {path}; run invoke release.build first, or pass --checksums PATH")
        checksums = _local(path)
        notes.append(f"checksums: {path} (a local build{f' of {checksums.built}' if checksums.built else ''}: preview)")
        return checksums
    if given and _is_url(given):
        notes.append(f"checksums: {given} (--checksums)")
        return read_checksums(fetch_text(given, what="checksums.txt"), source=given)
    if given:
        path = Path(given)
        if is_local_build(path.parent):
            raise UserError(
                f"{path} is a local build's (GoReleaser's metadata is beside it), and formulae take their checksums "
                f"from the published release: drop --checksums, or {PREVIEW_HOW}"
            )
        notes.append(f"checksums: {given} (--checksums)")
        return read_checksums(_read_path(path), source=given)
    url = release_checksums_url(url_base, version)
    local = dist / "checksums.txt"
    hint = f"{local} is a local build: {PREVIEW_HOW}" if local.is_file() else "is the release published?"
    text = fetch_text(url, what="the release's checksums.txt", hint=hint + "; or pass --checksums PATH|URL")
    notes.append(f"checksums: {url} (the published release, under release.url_base)")
    return read_checksums(text, source=url)
