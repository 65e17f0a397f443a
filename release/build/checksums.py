"""``checksums.txt`` in ``sha256sum`` format, as GoReleaser writes it: read by the checks, verify and Homebrew."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from common.errors import UserError

CHECKSUMS_NAME = "checksums.txt"
# sha256sum prints "<hex>  <name>"; "<hex> *<name>" is its binary-mode spelling.
_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](\S.*)$")


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def format_checksums(digests: Mapping[str, str]) -> str:
    """One ``<hex>  <name>`` line per file, sorted by name."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def parse_checksums(text: str, *, source: str = CHECKSUMS_NAME) -> dict[str, str]:
    """``{name: hex}`` from sha256sum output; a malformed or repeated line is a UserError naming its number."""
    digests: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            raise UserError(f"{source} line {number} is not '<sha256>  <file name>': {line[:80]!r}")
        digest, name = match.group(1).lower(), match.group(2).strip()
        if digests.get(name, digest) != digest:
            raise UserError(f"{source} line {number} repeats {name} with another sha256; each file must be listed once")
        digests[name] = digest
    return digests
