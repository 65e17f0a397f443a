"""Reading what GoReleaser wrote: ``metadata.json``, ``artifacts.json`` and the archives themselves."""

from __future__ import annotations

import calendar
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from release.build.goreleaser_config import VARIANTS, Target

# artifacts.json "type" values release.build looks at.
BINARY, ARCHIVE, PACKAGE, CHECKSUM, SBOM = "Binary", "Archive", "Linux Package", "Checksum", "SBOM"
# Archive formats whose members can be listed here.
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar")


@dataclass(frozen=True)
class Artifact:
    """One artifacts.json entry, its path resolved into the final dist directory."""

    name: str
    type: str
    path: Path
    goos: str
    goarch: str
    variant: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def target(self) -> Target:
        return Target(self.goos, self.goarch, self.variant)

    @property
    def id(self) -> str:
        return str(self.extra.get("ID") or "")

    @property
    def format(self) -> str:
        return str(self.extra.get("Format") or "")

    @property
    def sha256(self) -> str:
        """From ``extra.Checksum`` (``sha256:<hex>``), or ""."""
        value = str(self.extra.get("Checksum") or "")
        return value.split(":", 1)[1] if value.startswith("sha256:") else ""


@dataclass(frozen=True)
class Metadata:
    """metadata.json: the version GoReleaser stamped, the tag and commit it built."""

    project_name: str
    tag: str
    version: str
    commit: str
    date: str


@dataclass
class DistContents:
    """A GoReleaser dist directory after the run."""

    dist: Path
    metadata: Metadata
    artifacts: list[Artifact]

    def of_type(self, kind: str) -> list[Artifact]:
        return [a for a in self.artifacts if a.type == kind]

    def checksums_file(self) -> Path | None:
        found = self.of_type(CHECKSUM)
        return found[0].path if found else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"GoReleaser left no {path.name} in {path.parent}; the run did not finish") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None


def _variant(entry: dict[str, Any]) -> str:
    """The sub-architecture an entry names; packages leave out the default one (arm64 v8.0), so it is filled in."""
    for key in {key for key, _ in VARIANTS.values()}:
        if entry.get(key):
            return str(entry[key])
    return VARIANTS.get(str(entry.get("goarch") or ""), ("", ""))[1]


def read_dist(dist: Path, config_dist: str = "dist") -> DistContents:
    """Parse ``dist``'s metadata.json and artifacts.json; artifact paths (``dist/...``) are resolved into ``dist``."""
    meta = _read_json(dist / "metadata.json")
    entries = _read_json(dist / "artifacts.json")
    if not isinstance(meta, dict) or not isinstance(entries, list):
        raise UserError(f"{dist} holds a metadata.json or artifacts.json GoReleaser did not write; run again")
    prefix = config_dist.strip("/").rstrip("/") + "/"
    artifacts = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        relative = str(entry.get("path") or "")
        relative = relative[len(prefix) :] if relative.startswith(prefix) else relative
        artifacts.append(
            Artifact(
                name=str(entry.get("name") or ""),
                type=str(entry.get("type") or ""),
                path=dist / relative,
                goos=str(entry.get("goos") or ""),
                goarch=str(entry.get("goarch") or ""),
                variant=_variant(entry),
                extra=dict(entry.get("extra") or {}),
            )
        )
    metadata = Metadata(
        project_name=str(meta.get("project_name") or ""),
        tag=str(meta.get("tag") or ""),
        version=str(meta.get("version") or ""),
        commit=str(meta.get("commit") or ""),
        date=str(meta.get("date") or ""),
    )
    return DistContents(dist=dist, metadata=metadata, artifacts=artifacts)


@dataclass(frozen=True)
class Member:
    """A file inside an archive, with what makes two archives differ."""

    name: str
    size: int
    mtime: int
    mode: int
    uid: int = 0
    gid: int = 0
    uname: str = ""
    gname: str = ""
    data: bytes = field(default=b"", repr=False, compare=False)


def archive_members(path: Path, *, with_data: bool = False) -> list[Member]:
    """The regular files of a tar(.gz/.xz/.bz2) or zip archive; other formats are a UserError."""
    name = path.name
    try:
        if name.endswith(TAR_SUFFIXES):
            with tarfile.open(path) as tar:
                members = []
                for info in tar.getmembers():
                    if not info.isfile():
                        continue
                    handle = tar.extractfile(info) if with_data else None
                    data = handle.read() if handle is not None else b""
                    members.append(
                        Member(
                            info.name,
                            info.size,
                            int(info.mtime),
                            info.mode,
                            info.uid,
                            info.gid,
                            info.uname,
                            info.gname,
                            data,
                        )
                    )
                return members
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = []
                for zinfo in archive.infolist():
                    if zinfo.is_dir():
                        continue
                    stamp = calendar.timegm((*zinfo.date_time, 0, 0, 0))  # zip times carry no zone
                    data = archive.read(zinfo) if with_data else b""
                    members.append(Member(zinfo.filename, zinfo.file_size, stamp, zinfo.external_attr >> 16, data=data))
                return members
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise UserError(f"cannot read the archive {path}: {exc}") from None
    raise UserError(f"{path.name} is an archive format release.build cannot open (tar.gz, tar.xz, tar, zip)")
