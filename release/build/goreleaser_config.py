"""What the checkout's own ``.goreleaser.yml`` says will ship: the build matrix, flags, archive files, packages.

Read independently of GoReleaser, so the checks around its run compare its output with the config rather than
with GoReleaser's own idea of it. The defaults are GoReleaser v2.17.0's (``internal/pipe/build``, ``archive``,
``nfpm``): goos linux/darwin/windows, goarch amd64/arm64/386, one sub-architecture each (amd64 v1, arm 6,
arm64 v8.0, ...), the platforms Go cannot build dropped, then ``ignore:``; or ``targets:`` as given.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import UserError
from release.build.toolchain import find_go, go_env

# GoReleaser's lookup order for a config file in the repository root.
CONFIG_NAMES = (
    ".config/goreleaser.yml",
    ".config/goreleaser.yaml",
    ".goreleaser.yml",
    ".goreleaser.yaml",
    "goreleaser.yml",
    "goreleaser.yaml",
)
DEFAULT_GOOS = ("linux", "darwin", "windows")
DEFAULT_GOARCH = ("amd64", "arm64", "386")
# goarch -> (config key of its sub-architecture list, GoReleaser's default)
VARIANTS: dict[str, tuple[str, str]] = {
    "amd64": ("goamd64", "v1"),
    "arm": ("goarm", "6"),
    "arm64": ("goarm64", "v8.0"),
    "386": ("go386", "sse2"),
    "mips": ("gomips", "hardfloat"),
    "mipsle": ("gomips", "hardfloat"),
    "mips64": ("gomips", "hardfloat"),
    "mips64le": ("gomips", "hardfloat"),
    "ppc64": ("goppc64", "power8"),
    "ppc64le": ("goppc64", "power8"),
    "riscv64": ("goriscv64", "rva20u64"),
}
# The environment variable Go records in its build info for each sub-architecture key.
VARIANT_ENV = {
    "goamd64": "GOAMD64",
    "goarm": "GOARM",
    "goarm64": "GOARM64",
    "go386": "GO386",
    "gomips": "GOMIPS",
    "goppc64": "GOPPC64",
    "goriscv64": "GORISCV64",
}
DEFAULT_FILES = ("license*", "LICENSE*", "readme*", "README*", "changelog*", "CHANGELOG*")
# GoReleaser's ldflags when a build gives none.
DEFAULT_LDFLAGS = (
    "-s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}} -X main.builtBy=goreleaser"
)
_HOW = "release.build runs GoReleaser on the checkout's own config"


@dataclass(frozen=True, order=True)
class Target:
    """One platform of a build: ``linux_arm_6``, ``darwin_arm64_v8.0`` (GoReleaser's target names)."""

    goos: str
    goarch: str
    variant: str = ""

    @property
    def name(self) -> str:
        return "_".join(part for part in (self.goos, self.goarch, self.variant) if part)

    @property
    def platform(self) -> str:
        """``linux/arm/6``, for messages."""
        return "/".join(part for part in (self.goos, self.goarch, self.variant) if part)

    @property
    def variant_key(self) -> str:
        """The config key of the sub-architecture (``goarm``), or "" for an arch without one."""
        return VARIANTS[self.goarch][0] if self.goarch in VARIANTS else ""

    @property
    def go_env(self) -> dict[str, str]:
        """GOOS, GOARCH and the sub-architecture variable, as ``go build`` gets them."""
        env = {"GOOS": self.goos, "GOARCH": self.goarch}
        if self.variant and self.variant_key:
            env[VARIANT_ENV[self.variant_key]] = self.variant
        return env

    @classmethod
    def parse(cls, text: str) -> Target:
        """``linux_amd64_v1``; a target without its sub-architecture gets GoReleaser's default one."""
        parts = str(text).split("_", 2)
        if len(parts) < 2 or not all(parts):
            raise UserError(f"the GoReleaser config lists a target {text!r}, not of the form goos_goarch[_variant]")
        goos, goarch = parts[0], parts[1]
        variant = parts[2] if len(parts) == 3 else VARIANTS.get(goarch, ("", ""))[1]
        return cls(goos, goarch, variant)


@dataclass(frozen=True)
class Build:
    """One ``builds:`` entry, with GoReleaser's defaults filled in."""

    id: str
    main: str
    dir: str
    binary: str
    env: tuple[str, ...]
    flags: tuple[str, ...]
    ldflags: tuple[str, ...]
    gcflags: tuple[str, ...]
    asmflags: tuple[str, ...]
    tags: tuple[str, ...]
    targets: tuple[Target, ...]
    mod_timestamp: str
    overrides: bool

    @property
    def trimpath(self) -> bool:
        return any(flag in ("-trimpath", "-trimpath=true") for flag in self.flags)

    def env_map(self) -> dict[str, str]:
        """``env:`` as a mapping (``CGO_ENABLED=0`` -> {"CGO_ENABLED": "0"})."""
        pairs = (item.split("=", 1) for item in self.env if "=" in item)
        return {key: value for key, value in pairs}


@dataclass(frozen=True)
class FileEntry:
    """One ``archives[].files`` entry: a glob, where it goes, and whether its mtime is pinned."""

    src: str
    dst: str = ""
    strip_parent: bool = False
    mtime: str = ""
    owner: str = ""
    mode: str = ""


@dataclass(frozen=True)
class Archive:
    """One ``archives:`` entry."""

    id: str
    build_ids: tuple[str, ...]
    formats: tuple[str, ...]
    format_overrides: Mapping[str, tuple[str, ...]]
    files: tuple[FileEntry, ...]
    default_files: bool
    wrap_in_directory: str
    builds_info_mtime: str
    builds_info_owner: str

    def formats_for(self, goos: str) -> tuple[str, ...]:
        return self.format_overrides.get(goos, self.formats)


@dataclass(frozen=True)
class Nfpm:
    """One ``nfpms:`` entry (deb, rpm, ...; GoReleaser's built-in nfpm needs no external tool)."""

    id: str
    build_ids: tuple[str, ...]
    formats: tuple[str, ...]
    mtime: str
    contents_mtime: bool


@dataclass(frozen=True)
class GoreleaserConfig:
    """The parts of the config the checks need; ``raw`` keeps the whole parsed file."""

    path: Path
    project_name: str
    dist: str
    builds: tuple[Build, ...]
    archives: tuple[Archive, ...]
    nfpms: tuple[Nfpm, ...]
    sboms: bool
    checksum_disabled: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def build(self, build_id: str) -> Build:
        return next(b for b in self.builds if b.id == build_id)

    def builds_of(self, ids: Sequence[str]) -> list[Build]:
        """The builds an archive or package takes: those named, or all of them."""
        return [b for b in self.builds if not ids or b.id in ids]


def find_config(src: Path) -> Path:
    """The config GoReleaser itself would load from ``src``; none is one clear line."""
    for name in CONFIG_NAMES:
        if (src / name).is_file():
            return src / name
    raise UserError(f"{src} has no .goreleaser.yml (nor .goreleaser.yaml, goreleaser.yml, ...); {_HOW}")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int | float):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise UserError(f"the GoReleaser config's {where} is not a list of strings; check the config")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"the GoReleaser config's {where} is not a mapping; check the config")
    return value


def _entries(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UserError(f"the GoReleaser config's {key} is not a list; check the config")
    return [_mapping(item, f"{key}[{n}]") for n, item in enumerate(value)]


def valid_platforms() -> set[str]:
    """``go tool dist list``: the GOOS/GOARCH pairs this Go can build (GoReleaser drops the others)."""
    proc = subprocess.run(
        [find_go(), "tool", "dist", "list"], capture_output=True, text=True, env=go_env(), check=False
    )
    if proc.returncode != 0:
        raise UserError(f"`go tool dist list` failed: {proc.stderr.strip() or 'no output'}; check the Go installation")
    return set(proc.stdout.split())


def _ignored(target: Target, rules: Iterable[Mapping[str, Any]]) -> bool:
    for rule in rules:
        wanted = {key: str(value) for key, value in rule.items() if value not in (None, "")}
        got = {"goos": target.goos, "goarch": target.goarch}
        if target.variant_key:
            got[target.variant_key] = target.variant
        if wanted and all(got.get(key) == value for key, value in wanted.items()):
            return True
    return False


def build_matrix(entry: Mapping[str, Any], valid: set[str]) -> tuple[Target, ...]:
    """The targets of one build: ``targets:`` as given, else goos x goarch x sub-architectures minus ``ignore:``."""
    listed = _strings(entry.get("targets"), "builds[].targets")
    if listed:
        special = [t for t in listed if t.startswith("go_")]
        if special:
            raise UserError(f"the GoReleaser config uses targets: {special[0]}, which release.build cannot expand")
        return tuple(Target.parse(t) for t in listed)
    targets = []
    for goos in _strings(entry.get("goos"), "builds[].goos") or DEFAULT_GOOS:
        for goarch in _strings(entry.get("goarch"), "builds[].goarch") or DEFAULT_GOARCH:
            if f"{goos}/{goarch}" not in valid:
                continue
            key, default = VARIANTS.get(goarch, ("", ""))
            variants = (_strings(entry.get(key), f"builds[].{key}") or (default,)) if key else ("",)
            targets += [Target(goos, goarch, variant) for variant in variants]
    ignore = [_mapping(rule, "builds[].ignore[]") for rule in entry.get("ignore") or []]
    return tuple(t for t in targets if not _ignored(t, ignore))


def _build(entry: Mapping[str, Any], project: str, valid: set[str]) -> Build:
    builder = str(entry.get("builder") or "go")
    if builder != "go":
        raise UserError(f"the GoReleaser config has a {builder!r} build; release.build checks Go builds only")
    ldflags = _strings(entry.get("ldflags"), "builds[].ldflags") or (DEFAULT_LDFLAGS,)
    return Build(
        id=str(entry.get("id") or project),
        main=str(entry.get("main") or "."),
        dir=str(entry.get("dir") or "."),
        binary=str(entry.get("binary") or project),
        env=_strings(entry.get("env"), "builds[].env"),
        flags=_strings(entry.get("flags"), "builds[].flags"),
        ldflags=ldflags,
        gcflags=_strings(entry.get("gcflags"), "builds[].gcflags"),
        asmflags=_strings(entry.get("asmflags"), "builds[].asmflags"),
        tags=_strings(entry.get("tags"), "builds[].tags"),
        targets=build_matrix(entry, valid),
        mod_timestamp=str(entry.get("mod_timestamp") or ""),
        overrides=bool(entry.get("overrides")),
    )


def _file_entry(item: Any) -> FileEntry:
    if isinstance(item, str):
        return FileEntry(src=item)
    entry = _mapping(item, "archives[].files[]")
    info = _mapping(entry.get("info"), "archives[].files[].info")
    return FileEntry(
        src=str(entry.get("src") or ""),
        dst=str(entry.get("dst") or ""),
        strip_parent=bool(entry.get("strip_parent")),
        mtime=str(info.get("mtime") or ""),
        owner=str(info.get("owner") or ""),
        mode=str(info.get("mode") or ""),
    )


def _archive(entry: Mapping[str, Any]) -> Archive:
    formats = _strings(entry.get("formats"), "archives[].formats") + _strings(entry.get("format"), "archives[].format")
    overrides: dict[str, tuple[str, ...]] = {}
    for rule in entry.get("format_overrides") or []:
        rule = _mapping(rule, "archives[].format_overrides[]")
        chosen = _strings(rule.get("formats"), "format_overrides[].formats") + _strings(rule.get("format"), "format")
        overrides[str(rule.get("goos"))] = chosen
    files = [_file_entry(item) for item in entry.get("files") or []]
    info = _mapping(entry.get("builds_info"), "archives[].builds_info")
    wrap = entry.get("wrap_in_directory")
    return Archive(
        id=str(entry.get("id") or "default"),
        build_ids=_strings(entry.get("ids"), "archives[].ids") + _strings(entry.get("builds"), "archives[].builds"),
        formats=formats or ("tar.gz",),
        format_overrides=overrides,
        files=tuple(files) or tuple(FileEntry(src=glob) for glob in DEFAULT_FILES),
        default_files=not files,
        wrap_in_directory="" if wrap in (None, False, "false") else str(wrap),
        builds_info_mtime=str(info.get("mtime") or ""),
        builds_info_owner=str(info.get("owner") or ""),
    )


def _nfpm(entry: Mapping[str, Any]) -> Nfpm:
    contents = [_mapping(item, "nfpms[].contents[]") for item in entry.get("contents") or []]
    return Nfpm(
        id=str(entry.get("id") or "default"),
        build_ids=_strings(entry.get("ids"), "nfpms[].ids") + _strings(entry.get("builds"), "nfpms[].builds"),
        formats=_strings(entry.get("formats"), "nfpms[].formats"),
        mtime=str(entry.get("mtime") or ""),
        contents_mtime=bool(contents) and all(_mapping(c.get("file_info"), "file_info").get("mtime") for c in contents),
    )


def load_config(path: Path, *, valid: set[str] | None = None) -> GoreleaserConfig:
    """Parse ``path``; a file that is not a GoReleaser v2 config is one clear line."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise UserError(f"{path}{line} is not valid YAML; fix the GoReleaser config") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path} is not a GoReleaser config (no top-level mapping)")
    if raw.get("version") not in (2, "2"):
        raise UserError(f"{path} is not a GoReleaser v2 config (version: {raw.get('version')!r}); {_HOW} with v2")
    project = str(raw.get("project_name") or path.parent.name)
    platforms = valid if valid is not None else valid_platforms()
    builds = tuple(_build(entry, project, platforms) for entry in _entries(raw, "builds") or [{}])
    checksum = _mapping(raw.get("checksum"), "checksum")
    return GoreleaserConfig(
        path=path,
        project_name=project,
        dist=str(raw.get("dist") or "dist"),
        builds=builds,
        archives=tuple(_archive(entry) for entry in _entries(raw, "archives") or [{}]),
        nfpms=tuple(_nfpm(entry) for entry in _entries(raw, "nfpms")),
        sboms=bool(raw.get("sboms")),
        checksum_disabled=str(checksum.get("disable") or "").lower() == "true",
        raw=raw,
    )
