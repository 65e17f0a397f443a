"""Reproducible release archives: the same inputs and commit time give byte-identical files.

Entries are sorted, every mtime is the commit time, owners are root (uid/gid 0), modes are fixed
(0755 for the binary, 0644 for the rest, whatever the umask), and the gzip header carries no
timestamp and no file name.
"""

from __future__ import annotations

import gzip
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from common.errors import UserError

# What .goreleaser.yml's archives.files puts next to the binary, taken from the checkout.
EXTRA_FILES = ("etc/litestream.yml", "etc/litestream.service", "README.md", "LICENSE")
GZIP_LEVEL = 6
_ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip entry can hold


@dataclass(frozen=True)
class Member:
    """One archive entry: its name inside the archive, the file it comes from, its mode."""

    name: str
    source: Path
    mode: int


def missing_extra_files(src: Path) -> list[str]:
    """The EXTRA_FILES the checkout lacks (checked before any build starts)."""
    return [name for name in EXTRA_FILES if not (src / name).is_file()]


def release_members(src: Path, binary: Path, binary_name: str) -> list[Member]:
    """The binary plus EXTRA_FILES, sorted by name as they will appear in the archive."""
    members = [Member(binary_name, binary, 0o755)]
    members += [Member(name, src / name, 0o644) for name in EXTRA_FILES]
    return sorted(members, key=lambda member: member.name)


def write_archive(path: Path, members: Sequence[Member], mtime: int) -> Path:
    """Write a .tar.gz or .zip (by ``path``'s name) atomically: a temp file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix=f".{path.name}.", dir=path.parent, delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            if path.name.endswith(".tar.gz"):
                _write_tar_gz(tmp, members, mtime)
            elif path.name.endswith(".zip"):
                _write_zip(tmp, members, mtime)
            else:
                raise UserError(f"unknown archive format for {path.name}; expected .tar.gz or .zip")
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
    tmp_path.chmod(0o644)  # NamedTemporaryFile makes 0600 files
    tmp_path.replace(path)
    return path


def _write_tar_gz(raw: IO[bytes], members: Sequence[Member], mtime: int) -> None:
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.size = member.source.stat().st_size
            info.mtime = mtime
            info.mode = member.mode
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with member.source.open("rb") as data:
                tar.addfile(info, data)


def _write_zip(raw: IO[bytes], members: Sequence[Member], mtime: int) -> None:
    date_time = time.gmtime(max(mtime, _ZIP_EPOCH))[:6]
    with zipfile.ZipFile(raw, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=GZIP_LEVEL) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = (0o100000 | member.mode) << 16
            with member.source.open("rb") as data, archive.open(info, mode="w") as entry:
                shutil.copyfileobj(data, entry, 1 << 20)
