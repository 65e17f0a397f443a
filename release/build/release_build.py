"""``invoke release.build``: what ships, built the way it ships, by GoReleaser from the checkout's own config.

The pinned GoReleaser runs ``release`` (snapshot or release mode) on a scratch clone of the checkout at HEAD, with
publishing, signing, docker and announcing skipped, and SBOMs skipped only when syft is missing (said so). Its
dist/ then becomes ``--dist``, and the project's checks judge it against ``.goreleaser.yml``: the matrix, the
archive members, the build settings, the version the host binary prints, checksums.txt. ``release-build.json``
records the result for the gate. With ``check_reproducible`` a second build from another clone is compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.steps import Skip, Step, run_steps
from common.versions import ReleaseVersion
from release.build import dist_checks
from release.build.goreleaser_config import GoreleaserConfig, find_config, load_config
from release.build.goreleaser_dist import ARCHIVE, BINARY, PACKAGE, SBOM, DistContents, read_dist
from release.build.goreleaser_run import (
    ALWAYS_SKIP,
    goreleaser_env,
    healthcheck,
    release_argv,
    run_goreleaser,
    scratch_clone,
)
from release.build.goreleaser_tool import GORELEASER_VERSION, checked_goreleaser
from release.build.reproducibility import Report, compare_builds, require_reproducible
from release.build.source_steps import CHECK_GO, OPEN_CHECKOUT, SourceJob

EVIDENCE = "release-build.json"
LOG = "goreleaser.log"
# What a --dist may already hold to be replaced: an earlier release.build (or GoReleaser) output.
OURS = (EVIDENCE, "artifacts.json", "metadata.json", LOG)
DAY_S = 86400


def parse_jobs(text: str | int | None) -> int | None:
    """``--jobs``: GoReleaser's --parallelism, a positive integer; unset leaves GoReleaser's default (CPUs)."""
    if text is None or text == "":
        return None
    try:
        jobs = int(str(text).strip())
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise UserError(f"--jobs {text!r} is not a positive integer; give how many builds run at once, e.g. --jobs 4")
    return jobs


@dataclass
class ReleaseBuild(SourceJob):
    """What the release build knows so far; each step fills in a field."""

    dist: Path
    version: ReleaseVersion | None  # the release tag; with snapshot, the tag the snapshot is named after (optional)
    snapshot: bool = False
    jobs: int | None = None
    check_reproducible: bool = False
    config: GoreleaserConfig = field(init=False)
    goreleaser: Path = field(init=False)
    scratch: Path | None = None
    clone: Path = field(init=False)
    with_worktree: bool = False
    skips: dict[str, str] = field(default_factory=dict)  # pipe -> why
    contents: DistContents = field(init=False)
    fields: dict[str, str] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    report: Report | None = None
    started: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "snapshot" if self.snapshot else "release"

    @property
    def tag(self) -> str | None:
        return self.version.tag if self.version else None

    def goreleaser_argv(self) -> list[str]:
        return release_argv(self.goreleaser, snapshot=self.snapshot, skips=[*ALWAYS_SKIP, *self.skips], jobs=self.jobs)


def _find_config(job: ReleaseBuild) -> None:
    job.config = load_config(find_config(job.src))
    targets = sorted({t.name for b in job.config.builds for t in b.targets})
    print(f"  {job.config.path.name}: {len(targets)} targets ({', '.join(targets)})")


def _check_git_state(job: ReleaseBuild) -> None:
    problems = []
    dirty = job.checkout.is_dirty()
    if dirty:
        example = next(iter(job.checkout.dirty_entries()), "").strip()
        problems.append(f"{job.src} has uncommitted or untracked files (e.g. {example!r})")
    if job.version is not None:
        tags = job.checkout.tags_at_head()
        if job.version.tag not in tags:
            at_head = ", ".join(tags) or "none"
            problems.append(
                f"tag {job.version.tag} does not point at HEAD {job.checkout.head_sha[:12]} (tags at HEAD: {at_head})"
            )
    if problems and not job.snapshot:
        raise UserError("; ".join(problems) + "; commit and tag the release, or pass --snapshot for a test build")
    for problem in problems:
        print(f"  snapshot, building anyway: {problem}")
    job.with_worktree = job.snapshot and dirty


def _check_dist(job: ReleaseBuild) -> None:
    dist = job.dist
    if dist.is_relative_to(job.src.resolve()):
        raise UserError(
            f"--dist {dist} is inside the checkout {job.src}; release.build never writes there, pick another"
        )
    if dist.exists() and not dist.is_dir():
        raise UserError(f"--dist {dist} is a file, not a directory; pass another --dist or move the file")
    if dist.is_dir() and any(dist.iterdir()) and not any((dist / name).exists() for name in OURS):
        raise UserError(
            f"--dist {dist} holds other files; give a new or empty directory (a previous build is replaced)"
        )
    dist.parent.mkdir(parents=True, exist_ok=True)


def _install(job: ReleaseBuild) -> None:
    job.goreleaser = checked_goreleaser()
    print(f"  GoReleaser {GORELEASER_VERSION}: {job.goreleaser}")


def _clone(job: ReleaseBuild) -> None:
    job.scratch = Path(tempfile.mkdtemp(prefix=".release-build-", dir=job.dist.parent))
    job.clone = scratch_clone(
        job.src, job.checkout.head_sha, job.scratch / "a" / job.src.name, with_worktree=job.with_worktree
    )
    extra = " plus the uncommitted changes" if job.with_worktree else ""
    print(f"  {job.clone} at {job.checkout.head_sha[:12]}{extra}")


def _healthcheck(job: ReleaseBuild) -> None:
    for tool, pipe in healthcheck(job.goreleaser, job.clone).items():
        if pipe in ALWAYS_SKIP:
            continue
        job.skips[pipe] = f"{tool} is not on PATH"
        print(f"  skipping {pipe}: {tool} is not on PATH (install {tool} to build them)")
    print(f"  goreleaser {' '.join(job.goreleaser_argv()[1:])}")


def _scratch(job: ReleaseBuild) -> Path:
    assert job.scratch is not None, "clone runs first"
    return job.scratch


def _goreleaser(job: ReleaseBuild) -> None:
    job.started = time.time()
    log = _scratch(job) / LOG
    try:
        run_goreleaser(job.goreleaser_argv(), job.clone, log, env=goreleaser_env(job.tag))
    except UserError as exc:
        kept = _keep_dist(job)
        raise UserError(str(exc).replace(str(log), str(job.dist / LOG)), where=str(kept)) from None
    _keep_dist(job)


def _keep_dist(job: ReleaseBuild) -> Path:
    """The clone's dist/ (and the log) become --dist, replacing an earlier build's output."""
    produced = job.clone / job.config.dist
    if job.dist.exists():
        shutil.rmtree(job.dist)
    if produced.is_dir():
        produced.rename(job.dist)
    else:
        job.dist.mkdir(parents=True)
    log = _scratch(job) / LOG
    if log.exists():
        log.replace(job.dist / LOG)
    return job.dist


def _git_value(repo: Path, fmt: str) -> str:
    """One ``git log -1`` field of HEAD; dates as UTC RFC 3339, as GoReleaser's ``{{ .CommitDate }}``."""
    cmd = ["git", "log", "-1", f"--format={fmt}", "--date=format-local:%Y-%m-%dT%H:%M:%SZ"]
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, check=False).stdout.strip()


def _collect(job: ReleaseBuild) -> None:
    job.contents = read_dist(job.dist, job.config.dist)
    meta = job.contents.metadata
    if job.version is not None and meta.tag != job.version.tag:
        raise UserError(f"GoReleaser built tag {meta.tag!r}, not {job.version.tag}", where=str(job.dist))
    if not job.snapshot and job.version is not None and meta.version != job.version.number:
        raise UserError(f"GoReleaser stamped version {meta.version!r}, not {job.version.number}", where=str(job.dist))
    job.fields = dist_checks.template_fields(job.contents, _git_value(job.clone, "%cd"), _git_value(job.clone, "%ct"))
    counts = ", ".join(f"{len(job.contents.of_type(kind))} {kind}" for kind in (BINARY, ARCHIVE, PACKAGE, SBOM))
    print(f"  {job.dist}: version {meta.version}, tag {meta.tag}, commit {meta.commit[:12]}; {counts}")


def _checked(name: str, check: Callable[[ReleaseBuild], str]) -> Callable[[ReleaseBuild], None]:
    """A check as a step: its summary goes into ``job.checks``; its failure keeps the build in --dist."""

    def run(job: ReleaseBuild) -> None:
        try:
            summary = check(job)
        except UserError as exc:
            raise UserError(str(exc), where=str(job.dist)) from None
        job.checks[name] = summary
        print(f"  {summary}")

    return run


def _rebuild_elsewhere(job: ReleaseBuild) -> None:
    if not job.check_reproducible:
        raise Skip("no --check-reproducible")
    second = scratch_clone(
        job.src,
        job.checkout.head_sha,
        _scratch(job) / "elsewhere" / "b" / job.src.name,
        with_worktree=job.with_worktree,
    )
    later = time.time() + DAY_S
    for dirpath, dirs, files in os.walk(second):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            os.utime(Path(dirpath) / name, (later, later), follow_symlinks=False)
    time.sleep(max(0.0, job.started + 2 - time.time()))  # a later second on the build clock
    log = job.dist / "goreleaser.second.log"
    print(f"  second build in {second} (log: {log})")
    run_goreleaser(job.goreleaser_argv(), second, log, env=goreleaser_env(job.tag), echo=False)
    other = read_dist(second / job.config.dist, job.config.dist)
    report = Report(
        project=job.contents.metadata.project_name,
        version=job.contents.metadata.version,
        commit=job.contents.metadata.commit,
        goreleaser=GORELEASER_VERSION,
        go=job.go_version,
        builds=[str(job.clone), str(second)],
        varied=[
            f"the clone's path and depth ({job.clone} and {second})",
            "the wall-clock time of the build",
            "every checked-out file's mtime (one day later in the second clone)",
        ],
    )
    job.report = compare_builds(job.config, job.contents, other, (job.clone, second), report)


def _report_reproducibility(job: ReleaseBuild) -> None:
    if job.report is None:
        raise Skip("no --check-reproducible")
    json_path, md_path = job.report.write(job.dist)
    for cause in job.report.causes.values():
        print(f"  {cause.what}: {len(cause.files)} files")
    print(f"  {job.report.summary()}; {md_path}, {json_path}")
    write_evidence(job)
    require_reproducible(job.report, job.dist)


def write_evidence(job: ReleaseBuild) -> Path:
    """``release-build.json``: what was built and judged, for the gate (evidence is data)."""
    meta = job.contents.metadata

    def entry(kind: str) -> list[dict[str, Any]]:
        return [
            {"name": a.name, "target": a.target.name, "id": a.id, "path": str(a.path.relative_to(job.dist))}
            for a in job.contents.of_type(kind)
        ]

    checksums = job.contents.checksums_file()
    data = {
        "schema_version": 1,
        "mode": job.mode,
        "project": meta.project_name,
        "tag": meta.tag,
        "version": meta.version,
        "commit": meta.commit,
        "src": str(job.src),
        "config": job.config.path.name,
        "goreleaser": GORELEASER_VERSION,
        "go": job.go_version,
        "command": ["goreleaser", *job.goreleaser_argv()[1:]],
        "skipped": job.skips,
        "targets": sorted({t.name for b in job.config.builds for t in b.targets}),
        "binaries": entry(BINARY),
        "archives": entry(ARCHIVE),
        "packages": entry(PACKAGE),
        "sboms": entry(SBOM),
        "checksums": checksums.name if checksums else None,
        "checks": job.checks,
        "reproducible": job.report.reproducible if job.report else None,
    }
    path = job.dist / EVIDENCE
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def _evidence(job: ReleaseBuild) -> None:
    print(f"  {write_evidence(job)}")


RELEASE_BUILD_STEPS: list[Step[ReleaseBuild]] = [
    OPEN_CHECKOUT,
    CHECK_GO,
    Step("config", "read the checkout's .goreleaser.yml: build matrix, flags, archive files, packages", _find_config),
    Step("git-state", "refuse a dirty tree or a version not tagged at HEAD, unless --snapshot", _check_git_state),
    Step("dist", "--dist is new, empty, or an earlier build's output (replaced)", _check_dist),
    Step("goreleaser", f"the pinned GoReleaser {GORELEASER_VERSION}, installed into the tools cache once", _install),
    Step("clone", "a scratch clone at HEAD: GoReleaser writes dist/ and runs go mod tidy there, never here", _clone),
    Step("healthcheck", "goreleaser healthcheck: skip SBOMs only if syft is missing, say so", _healthcheck),
    Step("release", "goreleaser release --clean [--snapshot], skipping publish, announce, sign, docker", _goreleaser),
    Step("collect", "the dist becomes --dist; read metadata.json and artifacts.json", _collect),
    Step(
        "artifacts",
        "binaries, archives and packages are exactly the config's matrix",
        _checked("artifacts", lambda job: dist_checks.check_artifacts(job.config, job.contents)),
    ),
    Step(
        "archive-members",
        "each archive holds its binary and exactly the config's files:",
        _checked(
            "archive_members",
            lambda job: dist_checks.check_archive_members(job.config, job.contents, job.clone, job.fields),
        ),
    ),
    Step(
        "build-settings",
        "go version -m of every binary against the config's env, flags and ldflags",
        _checked("build_settings", lambda job: dist_checks.check_build_settings(job.config, job.contents, job.fields)),
    ),
    Step(
        "host-version",
        "run the host's binary: it prints the version GoReleaser stamped",
        _checked("host_version", lambda job: dist_checks.check_host_version(job.contents)),
    ),
    Step(
        "checksums",
        "sha256sum -c of the checksums file; every archive and package listed",
        _checked("checksums", lambda job: dist_checks.check_checksums(job.contents)),
    ),
    Step("evidence", f"write {EVIDENCE}: what was built and what the checks saw", _evidence),
    Step("rebuild-elsewhere", "with --check-reproducible: build again from another clone, later", _rebuild_elsewhere),
    Step(
        "compare",
        "with --check-reproducible: sha256 of every output, why each differs, the fix",
        _report_reproducibility,
    ),
]


def run_release_build(
    src: Path,
    dist: Path,
    version: ReleaseVersion | None,
    *,
    snapshot: bool = False,
    jobs: int | None = None,
    check_reproducible: bool = False,
) -> ReleaseBuild:
    """Run the release build job; the scratch clones are removed whatever happens."""
    if version is None and not snapshot:
        raise UserError("--version is required (e.g. --version v0.5.16), unless --snapshot")
    job = ReleaseBuild(
        src=src,
        dist=dist.resolve(),
        version=version,
        snapshot=snapshot,
        jobs=jobs,
        check_reproducible=check_reproducible,
    )
    try:
        job.timings = run_steps(RELEASE_BUILD_STEPS, job).timings
    finally:
        if job.scratch is not None:
            shutil.rmtree(job.scratch, ignore_errors=True)
    return job
