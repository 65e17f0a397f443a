"""The project's checks around a GoReleaser run: its output against what ``.goreleaser.yml`` says.

Each check returns a one-line summary of what it saw, or raises a UserError naming the first thing wrong.
"""

from __future__ import annotations

import glob
import os
import subprocess
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path

from common.errors import UserError
from release.build.checksums import parse_checksums, sha256_file
from release.build.gobuild import version_output
from release.build.goreleaser_config import Archive, FileEntry, GoreleaserConfig, Nfpm, Target
from release.build.goreleaser_dist import ARCHIVE, BINARY, PACKAGE, SBOM, Artifact, DistContents, archive_members
from release.build.gotemplate import TemplateError, render
from release.build.toolchain import build_settings, find_go, go_env

# Build settings Go records from the environment, so ``env:`` entries with these names can be checked.
RECORDED_ENV = (
    "CGO_ENABLED",
    "GOEXPERIMENT",
    "GOFIPS140",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_LDFLAGS",
)
# nfpm packages only these GOOS, and one amd64/arm64 level (the default) per architecture.
PACKAGE_OS = ("linux",)
PACKAGE_LEVELS = {"amd64": "v1", "arm64": "v8.0"}
_GLOB_CHARS = "*?["


def _names(items: AbstractSet[tuple[str, ...]]) -> str:
    shown = sorted("/".join(part for part in item if part) for item in items)
    return ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")


def _compare(what: str, expected: AbstractSet[tuple[str, ...]], found: AbstractSet[tuple[str, ...]]) -> None:
    missing, extra = expected - found, found - expected
    problems = []
    if missing:
        problems.append(f"missing {what} {_names(missing)}")
    if extra:
        problems.append(f"unexpected {what} {_names(extra)}")
    if problems:
        raise UserError("GoReleaser's artifacts.json does not match .goreleaser.yml: " + "; ".join(problems))


def _archive_targets(config: GoreleaserConfig, archive: Archive) -> set[Target]:
    return {t for build in config.builds_of(archive.build_ids) for t in build.targets}


def _package_targets(config: GoreleaserConfig, nfpm: Nfpm) -> set[Target]:
    targets = {t for build in config.builds_of(nfpm.build_ids) for t in build.targets}
    return {t for t in targets if t.goos in PACKAGE_OS and PACKAGE_LEVELS.get(t.goarch, t.variant) == t.variant}


def expected_archives(config: GoreleaserConfig) -> set[tuple[str, str, str]]:
    """(archive id, target, format) for every archive the config makes; ``binary`` format makes none."""
    return {
        (archive.id, target.name, fmt)
        for archive in config.archives
        for target in _archive_targets(config, archive)
        for fmt in archive.formats_for(target.goos)
        if fmt != "binary"
    }


def check_artifacts(config: GoreleaserConfig, dist: DistContents) -> str:
    """Binaries, archives and packages in artifacts.json are exactly the config's matrix."""
    binaries = {(b.id, t.name) for b in config.builds for t in b.targets}
    _compare("binary", binaries, {(a.id, a.target.name) for a in dist.of_type(BINARY)})
    archives = expected_archives(config)
    _compare("archive", archives, {(a.id, a.target.name, a.format) for a in dist.of_type(ARCHIVE)})
    packages = {
        (nfpm.id, target.name, fmt) for nfpm in config.nfpms for target in _package_targets(config, nfpm)
        for fmt in nfpm.formats
    }  # fmt: skip
    _compare("package", packages, {(a.id, a.target.name, a.format) for a in dist.of_type(PACKAGE)})
    for artifact in dist.artifacts:
        if artifact.type in (BINARY, ARCHIVE, PACKAGE) and not artifact.path.is_file():
            raise UserError(f"artifacts.json lists {artifact.name}, but {artifact.path} does not exist")
    targets = sorted({t.name for b in config.builds for t in b.targets})
    return f"{len(binaries)} binaries ({', '.join(targets)}), {len(archives)} archives, {len(packages)} packages"


def _glob(pattern: str, root: Path) -> list[str]:
    """GoReleaser's fileglob in ``root``: files, and the files under a matched directory, sorted."""
    found: set[str] = set()
    for match in glob.glob(pattern, root_dir=root, recursive=True, include_hidden=True):
        path = root / match
        if path.is_dir():
            for dirpath, _dirs, files in os.walk(path):
                found.update(os.path.relpath(Path(dirpath) / name, root) for name in files)
        elif path.is_file():
            found.add(os.path.normpath(match))
    return sorted(found)


def _common_prefix(paths: list[str]) -> str:
    """The longest common prefix, character by character, as GoReleaser computes it (``strlcp``)."""
    if not paths:
        return ""
    shortest, longest = min(paths), max(paths)
    end = 0
    while end < len(shortest) and shortest[end] == longest[end]:
        end += 1
    return shortest[:end]


def _destinations(entry: FileEntry, root: Path, fields: Mapping[str, str]) -> list[str]:
    """Where GoReleaser puts one ``files:`` entry's matches inside the archive (``internal/archivefiles``)."""
    try:
        pattern = render(entry.src, fields, os.environ)
    except TemplateError as exc:
        raise UserError(
            f"cannot check archive files: {entry.src!r} uses {exc}, which release.build cannot evaluate"
        ) from None
    files = _glob(pattern, root)
    prefix = pattern
    if not (root / prefix).exists() or any(c in prefix for c in _GLOB_CHARS):
        prefix = os.path.dirname(_common_prefix(files))
    out = []
    for path in files:
        if entry.strip_parent:
            out.append(os.path.join(entry.dst, os.path.basename(path)))
        elif entry.dst:
            out.append(os.path.join(entry.dst, os.path.relpath(path, prefix or ".")))
        else:
            out.append(path)
    return [p.replace(os.sep, "/") for p in out]


def expected_files(archive: Archive, root: Path, fields: Mapping[str, str]) -> set[str]:
    """The extra files an archive carries, as named inside it."""
    return {dst for entry in archive.files for dst in _destinations(entry, root, fields)}


def check_archive_members(config: GoreleaserConfig, dist: DistContents, root: Path, fields: Mapping[str, str]) -> str:
    """Each archive holds its binaries and exactly the config's ``files:`` (matched in the built tree)."""
    binaries = dist.of_type(BINARY)
    checked = 0
    for artifact in dist.of_type(ARCHIVE):
        archive = next((a for a in config.archives if a.id == artifact.id), None)
        if archive is None:
            raise UserError(f"{artifact.name} comes from archive id {artifact.id!r}, which .goreleaser.yml lacks")
        ids = {b.id for b in config.builds_of(archive.build_ids)}
        wanted = expected_files(archive, root, fields)
        wanted |= {b.name for b in binaries if b.target == artifact.target and b.id in ids}
        names = [m.name for m in archive_members(artifact.path)]
        if archive.wrap_in_directory:
            tops = {name.split("/", 1)[0] for name in names}
            if len(tops) != 1 or not all("/" in name for name in names):
                raise UserError(f"{artifact.name} should wrap its files in one directory (wrap_in_directory)")
            names = [name.split("/", 1)[1] for name in names]
        found = set(names)
        if found != wanted:
            problems = []
            if wanted - found:
                problems.append(f"lacks {', '.join(sorted(wanted - found))}")
            if found - wanted:
                problems.append(f"also holds {', '.join(sorted(found - wanted))}")
            raise UserError(f"{artifact.name} {' and '.join(problems)} (the config's files: and binaries)")
        checked += 1
    return f"{checked} archives hold their binary and exactly the files: of .goreleaser.yml"


def template_fields(dist: DistContents, commit_date: str, commit_timestamp: str) -> dict[str, str]:
    """The template fields ldflags and file names may use, as GoReleaser filled them for this run."""
    meta = dist.metadata
    return {
        "ProjectName": meta.project_name,
        "Version": meta.version,
        "Tag": meta.tag,
        "Commit": meta.commit,
        "FullCommit": meta.commit,
        "ShortCommit": meta.commit[:7],
        "Date": meta.date,
        "CommitDate": commit_date,
        "CommitTimestamp": commit_timestamp,
        "RawVersion": meta.version.split("-", 1)[0],
    }


def wanted_settings(config: GoreleaserConfig, artifact: Artifact, fields: Mapping[str, str]) -> dict[str, str | None]:
    """What ``go version -m`` must show for one binary; None means "must not be recorded"."""
    build = config.build(artifact.id)
    wanted: dict[str, str | None] = dict(artifact.target.go_env)
    env = build.env_map()
    wanted.update({key: env[key] for key in RECORDED_ENV if key in env})
    wanted["-trimpath"] = "true" if build.trimpath else None
    tags = [flag.split("=", 1)[1] for flag in build.flags if flag.startswith("-tags=")] + list(build.tags)
    if tags:
        wanted["-tags"] = ",".join(tags)
    if not build.trimpath:  # with -trimpath Go leaves -ldflags out of the build info
        target_fields = {**fields, "Os": artifact.goos, "Arch": artifact.goarch, "Target": artifact.target.name}
        try:
            wanted["-ldflags"] = render(" ".join(build.ldflags), target_fields, os.environ)
        except TemplateError as exc:
            raise UserError(
                f"cannot check -ldflags of {artifact.name}: the config's ldflags use {exc}, "
                "which release.build cannot evaluate"
            ) from None
    return wanted


def check_build_settings(config: GoreleaserConfig, dist: DistContents, fields: Mapping[str, str]) -> str:
    """``go version -m`` of every binary: platform, ``env:`` (CGO_ENABLED ...), ``flags:`` and ``ldflags:``."""
    binaries = dist.of_type(BINARY)
    for artifact in binaries:
        settings = build_settings(artifact.path)
        for key, value in wanted_settings(config, artifact, fields).items():
            if settings.get(key) != value:
                shown = "absent" if value is None else repr(value)
                raise UserError(
                    f"go version -m {artifact.path.name} ({artifact.target.platform}) shows {key}="
                    f"{settings.get(key)!r}, but .goreleaser.yml asks for {shown}"
                )
    return f"{len(binaries)} binaries built with the config's platform, env, flags and ldflags"


def host_platform() -> tuple[str, str]:
    proc = subprocess.run(
        [find_go(), "env", "GOHOSTOS", "GOHOSTARCH"], capture_output=True, text=True, env=go_env(), check=False
    )
    words = proc.stdout.split()
    return (words[0], words[1]) if len(words) == 2 else ("", "")


def host_binary(dist: DistContents) -> Artifact | None:
    """The binary this machine can run: its GOOS/GOARCH, at the baseline level (amd64 v1, arm64 v8.0)."""
    goos, goarch = host_platform()
    candidates = [a for a in dist.of_type(BINARY) if (a.goos, a.goarch) == (goos, goarch)]
    candidates.sort(key=lambda a: a.variant != PACKAGE_LEVELS.get(a.goarch, a.variant))
    return candidates[0] if candidates else None


def check_host_version(dist: DistContents) -> str:
    """The host's binary, run: ``version`` must print the version GoReleaser stamped (metadata.json)."""
    artifact = host_binary(dist)
    if artifact is None:
        goos, goarch = host_platform()
        raise UserError(f"no binary in the matrix runs on this {goos}/{goarch} host, so the version check cannot run")
    lines = version_output(artifact.path, kept=f"artifacts kept in {dist.dist}")
    wanted = dist.metadata.version
    if lines[:1] != [wanted]:
        raise UserError(f"{artifact.path} version printed {lines[:1]}, not {wanted!r} (metadata.json's version)")
    return f"{artifact.target.platform} binary prints {wanted}"


def check_checksums(dist: DistContents) -> str:
    """``sha256sum -c``: every line matches its file; every archive, package and SBOM is listed."""
    path = dist.checksums_file()
    if path is None or not path.is_file():
        raise UserError(f"GoReleaser wrote no checksums file into {dist.dist}; the formula and verify need one")
    digests = parse_checksums(path.read_text(encoding="utf-8"), source=path.name)
    for name, digest in digests.items():
        file = path.parent / name
        if not file.is_file():
            raise UserError(f"{path.name} lists {name}, which is not in {dist.dist}")
        if sha256_file(file) != digest:
            raise UserError(f"{name} does not match its sha256 in {path.name}")
    for artifact in dist.of_type(ARCHIVE) + dist.of_type(PACKAGE) + dist.of_type(SBOM):
        if artifact.name not in digests:
            raise UserError(f"{path.name} does not list {artifact.name}")
        if artifact.sha256 and artifact.sha256 != digests[artifact.name]:
            raise UserError(f"artifacts.json and {path.name} disagree on the sha256 of {artifact.name}")
    return f"{len(digests)} files match {path.name}"
