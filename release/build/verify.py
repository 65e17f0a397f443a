"""``invoke release.verify``: after GoReleaser has published, does what was published come from the tag?

Downloads the release's checksums file and every archive (streamed, retried), checks each sha256, extracts the
binaries, and rebuilds each one from a scratch clone of ``--src`` at the tag: the Go toolchain the release was
built with (``go version`` of the published binary; ``GOTOOLCHAIN=goX.Y.Z`` fetches it from the module proxy),
the platform and VCS stamping it records (``go version -m``), and the tag's own ``.goreleaser.yml`` flags,
ldflags and env. Each platform then reproduces or not, with the reason; ``verify.json`` and ``verify.md`` say so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.steps import Step, run_steps
from common.versions import ReleaseVersion
from release.build.checksums import parse_checksums, sha256_file
from release.build.goreleaser_config import Build, GoreleaserConfig, Target, find_config, load_config
from release.build.goreleaser_dist import TAR_SUFFIXES, archive_members
from release.build.goreleaser_run import scratch_clone
from release.build.gotemplate import TemplateError, render
from release.build.source_steps import CHECK_GO, OPEN_CHECKOUT, SourceJob
from release.build.toolchain import build_settings, find_go, go_env
from release.homebrew.downloads import download, fetch_text

REPORT_JSON = "verify.json"
REPORT_MD = "verify.md"
CHECKSUM_NAMES = ("checksums.txt",)
ARCHIVE_SUFFIXES = (*TAR_SUFFIXES, ".zip")
_GO_VERSION = re.compile(r":\s+(go\d+\.\d+(?:\.\d+)?(?:rc\d+|beta\d+)?)\s*$")


@dataclass
class PlatformResult:
    """One published archive: its checksum, its binary, and whether the tagged source rebuilds it."""

    archive: str
    checksum_ok: bool = False
    binary: str = ""
    target: str = ""
    go: str = ""
    published_sha256: str = ""
    rebuilt_sha256: str = ""
    reproduces: bool | None = None  # None: not judged
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.checksum_ok and self.reproduces is True


@dataclass
class VerifyJob(SourceJob):
    """What release.verify knows so far; each step fills in a field."""

    version: ReleaseVersion
    url_base: str
    out: Path
    tag_sha: str = ""
    scratch: Path | None = None
    clone: Path = field(init=False)
    config: GoreleaserConfig = field(init=False)
    checksums_url: str = ""
    checksums: dict[str, str] = field(default_factory=dict)
    results: list[PlatformResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def release_url(self) -> str:
        return f"{self.url_base.rstrip('/')}/{self.version.tag}"

    def scratch_dir(self) -> Path:
        assert self.scratch is not None, "clone runs first"
        return self.scratch


def _tag(job: VerifyJob) -> None:
    proc = subprocess.run(
        ["git", "rev-list", "-n", "1", f"refs/tags/{job.version.tag}"],
        cwd=job.src, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UserError(
            f"{job.src} has no tag {job.version.tag}; fetch the tags (git fetch --tags) or point --src at a clone "
            "that has it"
        )
    job.tag_sha = proc.stdout.strip()
    print(f"  {job.version.tag} is {job.tag_sha[:12]}")


def _out(job: VerifyJob) -> None:
    if job.out.exists() and not job.out.is_dir():
        raise UserError(f"--out {job.out} is a file, not a directory; pass another --out")
    if job.out.is_dir() and any(job.out.iterdir()) and not (job.out / REPORT_JSON).exists():
        raise UserError(f"--out {job.out} holds other files; give a new or empty directory")
    for sub in ("downloads", "published", "rebuilt"):
        shutil.rmtree(job.out / sub, ignore_errors=True)
    job.out.mkdir(parents=True, exist_ok=True)


def _checksums(job: VerifyJob) -> None:
    job.checksums_url = f"{job.release_url}/checksums.txt"
    text = fetch_text(job.checksums_url, what="the release's checksums.txt", hint="is the release published?")
    (job.out / "downloads").mkdir(parents=True, exist_ok=True)
    (job.out / "downloads" / "checksums.txt").write_text(text, encoding="utf-8")
    job.checksums = parse_checksums(text, source=job.checksums_url)
    archives = sorted(name for name in job.checksums if name.endswith(ARCHIVE_SUFFIXES))
    if not archives:
        raise UserError(f"{job.checksums_url} lists no archives (.tar.gz or .zip); nothing to verify")
    job.results = [PlatformResult(name) for name in archives]
    others = len(job.checksums) - len(archives)
    print(f"  {len(archives)} archives to check ({others} other files listed: packages, SBOMs, not checked)")


def _download(job: VerifyJob) -> None:
    for result in job.results:
        path = job.out / "downloads" / result.archive
        got = download(f"{job.release_url}/{result.archive}", path, what=result.archive)
        result.checksum_ok = got == job.checksums[result.archive]
        if not result.checksum_ok:
            result.reasons.append(f"sha256 {got} differs from checksums.txt's {job.checksums[result.archive]}")
        print(f"  {result.archive}: sha256 {'ok' if result.checksum_ok else 'MISMATCH'}")


def _clone(job: VerifyJob) -> None:
    job.scratch = Path(tempfile.mkdtemp(prefix=".release-verify-", dir=job.out.parent))
    job.clone = scratch_clone(job.src, job.tag_sha, job.scratch / job.src.name)
    job.config = load_config(find_config(job.clone))
    print(f"  {job.clone} at {job.version.tag}; {job.config.path.name}: {len(job.config.builds)} build(s)")


def _binary_names(config: GoreleaserConfig) -> dict[str, Build]:
    names: dict[str, Build] = {}
    for build in config.builds:
        base = build.binary.rsplit("/", 1)[-1]
        names[base] = names[base + ".exe"] = build
    return names


def _extract(job: VerifyJob) -> None:
    names = _binary_names(job.config)
    for result in job.results:
        if not result.checksum_ok:
            result.reasons.append("not rebuilt: the archive does not match checksums.txt")
            continue
        archive = job.out / "downloads" / result.archive
        members = [m for m in archive_members(archive, with_data=True) if m.name.rsplit("/", 1)[-1] in names]
        if len(members) != 1:
            found = ", ".join(m.name for m in members) or "none"
            result.reasons.append(f"expected one binary named as the config's builds, found {found}")
            continue
        member = members[0]
        stem = result.archive.split(".tar")[0].removesuffix(".zip")
        path = job.out / "published" / stem / member.name.rsplit("/", 1)[-1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(member.data)
        result.binary = str(path.relative_to(job.out))
        result.published_sha256 = sha256_file(path)
    print(f"  {sum(1 for r in job.results if r.binary)} binaries extracted into {job.out / 'published'}")


def go_version_of(binary: Path) -> str:
    """``go version <binary>``: the toolchain that built it (``go1.25.12``), or ""."""
    proc = subprocess.run([find_go(), "version", str(binary)], capture_output=True, text=True, env=go_env())
    match = _GO_VERSION.search(proc.stdout.strip())
    return match.group(1) if match else ""


def _target(settings: dict[str, str]) -> Target:
    goos, goarch = settings.get("GOOS", ""), settings.get("GOARCH", "")
    candidate = Target(goos, goarch)
    key = candidate.variant_key
    variant = ""
    if key:
        env_name = {"goamd64": "GOAMD64", "goarm": "GOARM", "goarm64": "GOARM64"}.get(key, key.upper())
        variant = settings.get(env_name, "").split(",", 1)[0]
    return Target(goos, goarch, variant)


def _fields(job: VerifyJob, build: Build) -> dict[str, str]:
    def git(fmt: str) -> str:
        env = {**os.environ, "TZ": "UTC"}
        cmd = ["git", "log", "-1", f"--format={fmt}", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", job.tag_sha]
        return subprocess.run(cmd, cwd=job.clone, capture_output=True, text=True, env=env).stdout.strip()

    return {
        "ProjectName": job.config.project_name,
        "Version": job.version.number,
        "RawVersion": job.version.number.split("-", 1)[0],
        "Tag": job.version.tag,
        "Commit": job.tag_sha,
        "FullCommit": job.tag_sha,
        "ShortCommit": job.tag_sha[:7],
        "CommitDate": git("%cd"),
        "CommitTimestamp": git("%ct"),
    }


def _why_different(job: VerifyJob, published: Path, rebuilt: Path, build: Build) -> list[str]:
    first, second = build_settings(published), build_settings(rebuilt)
    reasons = []
    changed = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    if changed:
        shown = "; ".join(f"{k}: published {first.get(k)!r}, rebuilt {second.get(k)!r}" for k in changed[:4])
        reasons.append(f"go version -m differs: {shown}")
    if first.get("-trimpath") != "true":
        main = build.main.removeprefix("./").strip("/")
        pattern = rb"(?:/[A-Za-z0-9._@+-]+)+/" + re.escape(main.encode()) + rb"/[A-Za-z0-9_]+\.go"
        found = re.search(pattern, published.read_bytes())
        where = f" (e.g. {found.group().decode(errors='replace')})" if found else ""
        reasons.append(
            "built without -trimpath: the published binary holds its builder's paths"
            f"{where}, which no other machine reproduces; add -trimpath to builds[].flags"
        )
    return reasons or ["binaries differ, go version -m does not say why (compare them with diffoscope)"]


def _rebuild(job: VerifyJob) -> None:
    names = _binary_names(job.config)
    for result in job.results:
        if not result.binary:
            continue
        published = job.out / result.binary
        build = names[published.name]
        settings = build_settings(published)
        target = _target(settings)
        result.target, result.go = target.name, go_version_of(published)
        if not result.go:
            result.reasons.append("go version cannot read the published binary's toolchain")
            continue
        try:
            ldflags = render(" ".join(build.ldflags), _fields(job, build), os.environ)
        except TemplateError as exc:
            recorded = settings.get("-ldflags")
            if recorded is None:
                result.reasons.append(f"not rebuilt: ldflags use {exc}, a value of the original build run")
                continue
            ldflags = recorded
            result.reasons.append(f"ldflags use {exc}; took the -ldflags the binary records")
        flags = list(build.flags) + ([f"-tags={','.join(build.tags)}"] if build.tags else [])
        output = job.out / "rebuilt" / published.parent.name / published.name
        output.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **build.env_map(),
            **target.go_env,
            "GOTOOLCHAIN": result.go,
            "GOFLAGS": "-buildvcs=true" if "vcs.revision" in settings else "-buildvcs=false",
        }
        if "CGO_ENABLED" in settings:
            env["CGO_ENABLED"] = settings["CGO_ENABLED"]
        argv = [find_go(), "build", *flags, f"-ldflags={ldflags}", "-o", str(output), build.main]
        proc = subprocess.run(
            argv, cwd=job.clone / build.dir, env=env, capture_output=True, text=True, timeout=1800, check=False
        )
        if proc.returncode != 0 or not output.is_file():
            tail = " | ".join(line.strip() for line in (proc.stderr or proc.stdout).splitlines()[-3:])
            result.reasons.append(f"not judged: go build with {result.go} failed: {tail or 'no output'}")
            continue
        result.rebuilt_sha256 = sha256_file(output)
        result.reproduces = result.rebuilt_sha256 == result.published_sha256
        if not result.reproduces:
            result.reasons += _why_different(job, published, output, build)
        print(f"  {target.platform} ({result.go}): {'reproduces' if result.reproduces else 'DIFFERS'}")


def report_json(job: VerifyJob) -> dict[str, Any]:
    passed = bool(job.results) and all(r.passed for r in job.results)
    return {
        "schema_version": 1,
        "verdict": "pass" if passed else "fail",
        "tag": job.version.tag,
        "commit": job.tag_sha,
        "release": job.release_url,
        "checksums": job.checksums_url,
        "src": str(job.src),
        "config": job.config.path.name if hasattr(job, "config") else None,
        "platforms": [{**asdict(r), "passed": r.passed} for r in job.results],
        "not_checked": sorted(n for n in job.checksums if not n.endswith(ARCHIVE_SUFFIXES)),
    }


def report_markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# release.verify {data['tag']} ({str(data['commit'])[:12]})",
        "",
        f"Release: {data['release']}. Source: `{data['src']}` at the tag.",
        "",
        f"**Verdict: {data['verdict']}**",
        "",
        "| archive | sha256 | platform | Go | reproduces from the tag | why |",
        "|---|---|---|---|---|---|",
    ]
    for p in data["platforms"]:
        same = {True: "yes", False: "**no**", None: "not judged"}[p["reproduces"]]
        lines.append(
            f"| `{p['archive']}` | {'ok' if p['checksum_ok'] else '**mismatch**'} | {p['target'] or '-'} "
            f"| {p['go'] or '-'} | {same} | {'; '.join(p['reasons'])} |"
        )
    if data["not_checked"]:
        lines += ["", f"Not checked (no binary to rebuild): {', '.join(data['not_checked'])}."]
    return "\n".join(lines) + "\n"


def _report(job: VerifyJob) -> None:
    data = report_json(job)
    (job.out / REPORT_JSON).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (job.out / REPORT_MD).write_text(report_markdown(data), encoding="utf-8")
    failed = [r for r in job.results if not r.passed]
    if failed:
        first = failed[0]
        reason = first.reasons[0] if first.reasons else "not judged"
        raise UserError(
            f"{job.version.tag}: {len(failed)} of {len(job.results)} published archives are not reproduced from "
            f"the tag ({first.archive}: {reason}); report in {job.out / REPORT_MD}"
        )
    print(f"  all {len(job.results)} archives match checksums.txt and rebuild byte for byte from {job.version.tag}")


VERIFY_STEPS: list[Step[VerifyJob]] = [
    OPEN_CHECKOUT,
    CHECK_GO,
    Step("tag", "--src has the release tag", _tag),
    Step("out", "--out is new, empty or an earlier verify's", _out),
    Step("checksums", "download the release's checksums.txt", _checksums),
    Step("download", "download every archive (streamed, retried), check each sha256", _download),
    Step("clone", "a scratch clone of --src at the tag, and its .goreleaser.yml", _clone),
    Step("extract", "take each archive's binary out", _extract),
    Step("rebuild", "go build each binary at the tag with its own Go toolchain and the config's flags", _rebuild),
    Step("report", f"{REPORT_JSON} and {REPORT_MD}: per platform, reproduced or not, and why", _report),
]


def run_verify(src: Path, version: ReleaseVersion, url_base: str, out: Path) -> VerifyJob:
    """Run release.verify; the scratch clone is removed whatever happens."""
    job = VerifyJob(src=src, version=version, url_base=url_base, out=out.resolve())
    try:
        job.timings = run_steps(VERIFY_STEPS, job).timings
    finally:
        if job.scratch is not None:
            shutil.rmtree(job.scratch, ignore_errors=True)
    return job
