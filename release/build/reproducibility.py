"""``release.build --check-reproducible``: two GoReleaser builds of one commit, compared file by file, explained.

The second build runs from a clone at another path and depth, later, with every checked-out file's mtime moved a
day on, so whatever leaks the build path, the wall clock or the checkout's mtimes into an output shows up. Each
difference is traced to its cause by looking inside the two files (build paths in the binary, ``go version -m``,
tar/zip/ar entry headers, the SBOM's namespace), and every cause comes with the ``.goreleaser.yml`` change that
removes it (verified on Litestream v0.5.16, /work/notes/goreleaser.md section 5).
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from release.build.checksums import sha256_file
from release.build.goreleaser_config import GoreleaserConfig
from release.build.goreleaser_dist import (
    ARCHIVE,
    BINARY,
    CHECKSUM,
    PACKAGE,
    SBOM,
    Artifact,
    DistContents,
    Member,
    archive_members,
)
from release.build.toolchain import build_settings

REPORT_JSON = "reproducibility.json"
REPORT_MD = "reproducibility.md"
KINDS = (BINARY, ARCHIVE, PACKAGE, SBOM, CHECKSUM)

FIX_TRIMPATH = "builds:\n  - flags:\n      - -trimpath"
FIX_MOD_TIMESTAMP = (
    'builds:\n  - mod_timestamp: "{{ .CommitTimestamp }}"\narchives:\n  - builds_info:\n'
    '      mtime: "{{ .CommitDate }}"'
)
FIX_NFPM_MTIME = (
    'nfpms:\n  - mtime: "{{ .CommitDate }}"\n    contents:\n      - src: ...\n        file_info:\n'
    '          mtime: "{{ .CommitDate }}"'
)


def _fix_files(names: list[str], *, what: str) -> str:
    lines = ["archives:", "  - files:"]
    for name in names:
        lines += [f"      - src: {name}", "        info:"]
        if what == "mtime":
            lines.append('          mtime: "{{ .CommitDate }}"')
        elif what == "owner":
            lines += ["          owner: root", "          group: root"]
        else:
            lines.append("          mode: 0644")
    return "\n".join(lines)


@dataclass
class Cause:
    """One reason outputs differ, the evidence for it, and the config change that removes it."""

    id: str
    what: str
    why: str
    fix: str
    files: list[str] = field(default_factory=list)


@dataclass
class FileResult:
    """One output compared across the two builds."""

    name: str
    kind: str
    sha256_a: str | None
    sha256_b: str | None
    causes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.sha256_a is not None and self.sha256_a == self.sha256_b


@dataclass
class Report:
    """Everything ``--check-reproducible`` found; written as JSON and Markdown into --dist."""

    project: str
    version: str
    commit: str
    goreleaser: str
    go: str
    builds: list[str]
    varied: list[str]
    files: list[FileResult] = field(default_factory=list)
    causes: dict[str, Cause] = field(default_factory=dict)

    @property
    def differing(self) -> list[FileResult]:
        return [f for f in self.files if not f.same]

    @property
    def reproducible(self) -> bool:
        return bool(self.files) and not self.differing

    def blame(self, result: FileResult, cause: Cause) -> None:
        known = self.causes.setdefault(cause.id, cause)
        if result.name not in known.files:
            known.files.append(result.name)
        if cause.id not in result.causes:
            result.causes.append(cause.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "reproducible": self.reproducible,
            "project": self.project,
            "version": self.version,
            "commit": self.commit,
            "goreleaser": self.goreleaser,
            "go": self.go,
            "builds": self.builds,
            "varied": self.varied,
            "summary": self.summary(),
            "files": [{**asdict(f), "same": f.same} for f in self.files],
            "causes": [asdict(c) for c in self.causes.values()],
        }

    def summary(self) -> str:
        if self.reproducible:
            return f"reproducible: all {len(self.files)} files are byte-identical between the two builds"
        return f"not reproducible: {len(self.differing)} of {len(self.files)} files differ between the two builds"

    def to_markdown(self) -> str:
        lines = [
            f"# Reproducibility of {self.project} {self.version} ({self.commit[:12]})",
            "",
            f"Two builds of the same commit with GoReleaser {self.goreleaser} and {self.go}, compared file by file.",
            "Between them: " + "; ".join(self.varied) + ".",
            "",
            f"**{self.summary()}.**",
            "",
        ]
        if self.causes:
            lines += ["## What differs, why, and the `.goreleaser.yml` change that fixes it", ""]
            for cause in self.causes.values():
                shown = ", ".join(f"`{name}`" for name in cause.files[:6])
                more = f" and {len(cause.files) - 6} more" if len(cause.files) > 6 else ""
                lines += [
                    f"### {cause.what} ({len(cause.files)} files)",
                    "",
                    cause.why,
                    "",
                    f"Files: {shown}{more}",
                    "",
                ]
                if cause.fix.startswith(("builds:", "archives:", "nfpms:")):
                    lines += ["Fix:", "", "```yaml", cause.fix, "```", ""]
                else:
                    lines += [f"Fix: {cause.fix}", ""]
        lines += ["## Files", "", "| file | kind | same | sha256 (first build) | causes |", "|---|---|---|---|---|"]
        for f in self.files:
            mark = "yes" if f.same else "**no**"
            lines.append(f"| `{f.name}` | {f.kind} | {mark} | `{(f.sha256_a or '-')[:16]}` | {', '.join(f.causes)} |")
        return "\n".join(lines) + "\n"

    def write(self, dist: Path) -> tuple[Path, Path]:
        json_path, md_path = dist / REPORT_JSON, dist / REPORT_MD
        json_path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        return json_path, md_path


def _key(artifact: Artifact, dist: Path) -> str:
    """How an output is named in the report: binaries by their dist subpath (names repeat), others by name."""
    if artifact.type == BINARY:
        return str(artifact.path.relative_to(dist)) if artifact.path.is_relative_to(dist) else artifact.name
    return artifact.name


def _outputs(dist: DistContents) -> dict[str, Artifact]:
    return {_key(a, dist.dist): a for a in dist.artifacts if a.type in KINDS and a.path.is_file()}


# --- binaries ------------------------------------------------------------------------------------------------


def _binary_causes(
    report: Report, result: FileResult, a: Path, b: Path, roots: tuple[Path, Path], trimpath: bool
) -> None:
    data = a.read_bytes()
    hits = data.count(str(roots[0]).encode())
    if hits:
        why = (
            f"The binary embeds its build directory ({roots[0]}, {hits} times; the second build's is {roots[1]}), "
            "and the Go module cache path with it, because the build has no -trimpath: Go keeps every source "
            "file's absolute path in the binary's line table, even with -s -w. "
        )
        if trimpath:
            why += "The config does ask for -trimpath, so something else (cgo, -ldflags) put the path back."
        report.blame(result, Cause("build-path", "Build paths in the binaries", why, FIX_TRIMPATH))
        return
    first, second = build_settings(a), build_settings(b)
    changed = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    if any(k.startswith("vcs") for k in changed):
        report.blame(
            result,
            Cause(
                "vcs-stamp",
                "Version-control stamps differ",
                f"go version -m shows different {', '.join(k for k in changed if k.startswith('vcs'))}: "
                "Go stamps the tree's state (vcs.modified, vcs.time) into the binary.",
                "build from a clean, committed tree (release mode refuses a dirty one), or set GOFLAGS=-buildvcs=false",
            ),
        )
    elif "-ldflags" in changed:
        report.blame(
            result,
            Cause(
                "ldflags",
                "The ldflags differ between builds",
                f"go version -m shows -ldflags {first.get('-ldflags')!r} and {second.get('-ldflags')!r}: the "
                "ldflags template uses a value of the build, not of the commit.",
                "use {{ .CommitDate }} / {{ .CommitTimestamp }} instead of {{ .Date }} / {{ .Timestamp }} in ldflags",
            ),
        )
    else:
        report.blame(
            result,
            Cause(
                "binary-unexplained",
                "Binaries differ for a reason not found",
                f"No build path in the binary and go version -m differs in {changed or 'nothing'}.",
                "none known: compare the two binaries with `go tool nm` or diffoscope",
            ),
        )


# --- archives --------------------------------------------------------------------------------------------------


def _member_map(path: Path) -> dict[str, Member]:
    return {m.name: m for m in archive_members(path, with_data=True)}


def _archive_causes(
    report: Report, result: FileResult, a: Path, b: Path, binary_names: set[str], binary_causes: list[str]
) -> None:
    first, second = _member_map(a), _member_map(b)
    if set(first) != set(second):
        report.blame(
            result,
            Cause(
                "members",
                "Archives hold different files",
                f"{a.name}: {sorted(set(first) ^ set(second))}",
                "none known",
            ),
        )
        return
    content: list[str] = []
    mtime_bin: list[str] = []
    mtime_files: list[str] = []
    owner: list[str] = []
    mode: list[str] = []
    for name in sorted(first):
        x, y = first[name], second[name]
        is_binary = name.rsplit("/", 1)[-1] in binary_names
        if x.data != y.data:
            content.append(name)
        if x.mtime != y.mtime:
            (mtime_bin if is_binary else mtime_files).append(name)
        if (x.uid, x.gid, x.uname, x.gname) != (y.uid, y.gid, y.uname, y.gname):
            owner.append(name)
        if x.mode != y.mode:
            mode.append(name)
    if any(n.rsplit("/", 1)[-1] in binary_names for n in content):
        for cause_id in binary_causes:
            report.blame(result, report.causes[cause_id])
    if mtime_bin:
        report.blame(
            result,
            Cause(
                "binary-mtime",
                "Binary entries carry the build time",
                "The binary's entry in each archive has the time GoReleaser built it (e.g. "
                f"{first[mtime_bin[0]].mtime} and {second[mtime_bin[0]].mtime}), because builds have no mod_timestamp "
                "and archives no builds_info.mtime.",
                FIX_MOD_TIMESTAMP,
            ),
        )
    if mtime_files:
        names = sorted(mtime_files)
        report.blame(
            result,
            Cause(
                "file-mtime",
                "Extra files carry the checkout's mtimes",
                f"{', '.join(names)} keep the modification time of the checked-out file, which differs per clone; "
                "plain-string files: entries cannot pin it.",
                _fix_files(names, what="mtime"),
            ),
        )
    if owner:
        report.blame(
            result,
            Cause(
                "owner",
                "Entry owners follow the builder's user",
                f"{', '.join(owner)} carry the uid/gid and names of whoever built them.",
                _fix_files([n for n in owner if n.rsplit("/", 1)[-1] not in binary_names], what="owner")
                + "\n    builds_info:\n      owner: root\n      group: root",
            ),
        )
    if mode:
        report.blame(
            result,
            Cause(
                "mode",
                "Entry modes follow the builder's umask",
                f"{', '.join(mode)} have different permission bits.",
                _fix_files([n for n in mode if n.rsplit("/", 1)[-1] not in binary_names], what="mode")
                + "\n    builds_info:\n      mode: 0755",
            ),
        )
    if not result.causes:
        report.blame(
            result,
            Cause(
                "container",
                "Archive containers differ, entries do not",
                f"Every entry of {a.name} is the same in both builds; the compression or headers differ.",
                "none known: compare with diffoscope",
            ),
        )


# --- packages --------------------------------------------------------------------------------------------------


def _ar_members(path: Path) -> dict[str, tuple[int, bytes]]:
    """name -> (mtime, data) of an ar archive (a .deb)."""
    data = path.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        return {}
    members, offset = {}, 8
    while offset + 60 <= len(data):
        header = data[offset : offset + 60]
        name = header[:16].decode(errors="replace").strip().rstrip("/")
        mtime = int(header[16:28].strip() or 0)
        size = int(header[48:58].strip() or 0)
        members[name] = (mtime, data[offset + 60 : offset + 60 + size])
        offset += 60 + size + (size % 2)
    return members


def _tar_entries(name: str, blob: bytes) -> dict[str, tuple[int, bytes]]:
    try:
        raw = gzip.decompress(blob) if name.endswith(".gz") else lzma.decompress(blob) if name.endswith(".xz") else b""
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            return {
                m.name: (int(m.mtime), (tar.extractfile(m).read() if m.isfile() else b""))  # type: ignore[union-attr]
                for m in tar.getmembers()
            }
    except (OSError, EOFError, lzma.LZMAError, tarfile.TarError):
        return {}


def _package_causes(
    report: Report, result: FileResult, a: Path, b: Path, config: GoreleaserConfig, binary_causes: list[str]
) -> None:
    stamped = "nfpm stamps the build time into the package's headers and directory entries"
    unpinned = not all(n.mtime for n in config.nfpms)
    if a.name.endswith(".deb"):
        first, second = _ar_members(a), _ar_members(b)
        times = [n for n in first if n in second and first[n][0] != second[n][0]]
        binary_differs, inner_times = False, []
        for name in first:
            if name.startswith(("data.tar", "control.tar")) and name in second:
                x, y = _tar_entries(name, first[name][1]), _tar_entries(name, second[name][1])
                inner_times += [e for e in x if e in y and x[e][0] != y[e][0]]
                binary_differs |= any(e in y and x[e][1] != y[e][1] and "bin/" in e for e in x)
        if binary_differs:
            for cause_id in binary_causes:
                report.blame(result, report.causes[cause_id])
        if times or inner_times:
            shown = ", ".join((times + inner_times)[:5])
            report.blame(
                result,
                Cause(
                    "package-mtime", "Packages carry the build time", f"{stamped} (seen in {shown}).", FIX_NFPM_MTIME
                ),
            )
    else:
        for cause_id in binary_causes:
            report.blame(result, report.causes[cause_id])
        if unpinned:
            report.blame(
                result,
                Cause(
                    "package-mtime",
                    "Packages carry the build time",
                    f"{stamped} when nfpms[].mtime is unset, as it is here.",
                    FIX_NFPM_MTIME,
                ),
            )
    if not result.causes:
        report.blame(
            result,
            Cause(
                "package-unexplained", "Packages differ for a reason not found", a.name, "none known: use diffoscope"
            ),
        )


def _sbom_cause(report: Report, result: FileResult, a: Path, b: Path) -> None:
    try:
        first, second = json.loads(a.read_text()), json.loads(b.read_text())
    except (OSError, ValueError):
        first, second = {}, {}
    seen = [k for k in ("documentNamespace", "creationInfo") if first.get(k) != second.get(k)]
    report.blame(
        result,
        Cause(
            "sbom",
            "SBOMs are stamped per run",
            f"syft writes a random documentNamespace and the creation time into every SBOM (differ here: "
            f"{', '.join(seen) or 'content'}).",
            "none in .goreleaser.yml: SBOMs are never byte-reproducible; compare their package lists instead",
        ),
    )


def compare_builds(
    config: GoreleaserConfig, a: DistContents, b: DistContents, roots: tuple[Path, Path], report: Report
) -> Report:
    """Fill ``report`` with every output of both builds (sha256), and the causes of each difference."""
    first, second = _outputs(a), _outputs(b)
    binaries = {a_.name for a_ in a.of_type(BINARY)}
    trimpath = all(build.trimpath for build in config.builds)
    results: dict[str, FileResult] = {}
    for name in sorted(first.keys() | second.keys(), key=lambda n: (KINDS.index((first.get(n) or second[n]).type), n)):
        x, y = first.get(name), second.get(name)
        kind = (x or y).type  # type: ignore[union-attr]
        results[name] = FileResult(name, kind, sha256_file(x.path) if x else None, sha256_file(y.path) if y else None)
    report.files = list(results.values())
    binary_causes: set[str] = set()
    for name, result in results.items():
        x, y = first.get(name), second.get(name)
        if result.same:
            continue
        if x is None or y is None:
            report.blame(result, Cause("missing", "Only one build made it", name, "none known"))
        elif result.kind == BINARY:
            _binary_causes(report, result, x.path, y.path, roots, trimpath)
            binary_causes.update(result.causes)
    ordered = [c for c in report.causes if c in binary_causes]
    for name, result in results.items():
        x, y = first.get(name), second.get(name)
        if result.same or x is None or y is None:
            continue
        if result.kind == ARCHIVE:
            _archive_causes(report, result, x.path, y.path, binaries, ordered)
        elif result.kind == PACKAGE:
            _package_causes(report, result, x.path, y.path, config, ordered)
        elif result.kind == SBOM:
            _sbom_cause(report, result, x.path, y.path)
    for result in results.values():
        if result.kind == CHECKSUM and not result.same:
            report.blame(
                result,
                Cause(
                    "checksums",
                    "The checksums file lists the files above",
                    "It differs because the files it lists differ.",
                    "follows from the fixes above",
                ),
            )
    return report


def require_reproducible(report: Report, dist: Path) -> str:
    """The one line the task ends with; not reproducible is a failure, with the report kept in ``dist``."""
    if report.reproducible:
        return report.summary()
    causes = ", ".join(c.what.lower() for c in report.causes.values())
    raise UserError(f"{report.summary()} ({causes}); causes and .goreleaser.yml fixes in {dist / REPORT_MD}")
