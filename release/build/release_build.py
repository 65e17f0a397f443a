"""``invoke release.build``: the archives and checksums.txt Litestream publishes, reproducibly.

The matrix is cross-compiled in parallel (at most ``jobs`` at once, one shared Go build cache), with
GoReleaser's flags: ``CGO_ENABLED=0 -trimpath -ldflags "-s -w -X main.Version=X.Y.Z"``. Binaries stay
in ``<dist>/build/<os>-<arch>/`` next to the archives, for later checks.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from common.errors import UserError
from common.steps import Step, run_steps
from common.versions import ReleaseVersion, parse_version
from release.build.archives import missing_extra_files, release_members, write_archive
from release.build.checksums import CHECKSUMS_NAME, write_checksums
from release.build.gobuild import go_build, quoted, version_output
from release.build.matrix import TARGETS, Target
from release.build.source_steps import CHECK_GO, OPEN_CHECKOUT, SourceJob
from release.build.toolchain import build_settings, find_go, go_env

T = TypeVar("T")
R = TypeVar("R")


def parse_jobs(text: str | int | None) -> int:
    """``--jobs``: a positive integer; unset means one build per CPU."""
    if text is None or text == "":
        return os.cpu_count() or 1
    try:
        jobs = int(str(text).strip())
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise UserError(f"--jobs {text!r} is not a positive integer; give how many builds run at once, e.g. --jobs 4")
    return jobs


def run_parallel(items: Sequence[T], work: Callable[[T], R], jobs: int) -> list[R]:
    """``work`` on every item, at most ``jobs`` at once, results in item order.

    The first failure cancels the items not yet started, waits for the running ones, and is raised.
    """
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(work, item) for item in items]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()
        for future in futures:
            error = future.exception() if future.done() and not future.cancelled() else None
            if error is not None:
                raise error
        return [future.result() for future in futures]


def release_ldflags(version: ReleaseVersion) -> str:
    """GoReleaser's ldflags: stripped, and the version without its leading v (``0.5.16``)."""
    return f"-s -w -X main.Version={version.number}"


@dataclass
class ReleaseBuild(SourceJob):
    """What the release build knows so far; each step fills in a field."""

    dist: Path
    version: ReleaseVersion | None  # None only with snapshot: derived from the nearest tag
    jobs: int
    snapshot: bool = False
    targets: Sequence[Target] = TARGETS
    binaries: dict[Target, Path] = field(default_factory=dict)
    archives: list[Path] = field(default_factory=list)
    checksums: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def release(self) -> ReleaseVersion:
        assert self.version is not None, "resolve-version runs first"
        return self.version

    def binary_path(self, target: Target) -> Path:
        return self.dist / "build" / target.label / target.binary_name


def _check_files(job: ReleaseBuild) -> None:
    if job.dist.exists() and not job.dist.is_dir():
        raise UserError(f"--dist {job.dist} is a file, not a directory; pass another --dist or move the file")
    missing = missing_extra_files(job.src)
    if missing:
        raise UserError(f"{job.src} lacks {', '.join(missing)}, which every release archive carries; restore them")


def _resolve_version(job: ReleaseBuild) -> None:
    if job.version is None:  # snapshot without --version: GoReleaser's "{{ .Tag }}-next"
        job.version = parse_version(f"{job.checkout.nearest_tag() or 'v0.0.0'}-next", flag="snapshot version")
    print(f"  version {job.release.tag} (binaries say {job.release.number}), commit {job.checkout.head_sha[:12]}")


def _check_git_state(job: ReleaseBuild) -> None:
    problems = []
    if job.checkout.is_dirty():
        example = next(iter(job.checkout.dirty_entries()), "").strip()
        problems.append(f"{job.src} has uncommitted or untracked files (e.g. {example!r})")
    tags = job.checkout.tags_at_head()
    if job.release.tag not in tags:
        at_head = ", ".join(tags) or "none"
        problems.append(
            f"tag {job.release.tag} does not point at HEAD {job.checkout.head_sha[:12]} (tags at HEAD: {at_head})"
        )
    if problems and not job.snapshot:
        raise UserError("; ".join(problems) + "; commit and tag the release, or pass --snapshot for a test build")
    for problem in problems:
        print(f"  snapshot, building anyway: {problem}")


def _build(job: ReleaseBuild) -> None:
    ldflags = release_ldflags(job.release)

    def build_one(target: Target) -> Path:
        output = job.binary_path(target)
        go_build(
            job.src,
            "./cmd/litestream",
            output,
            env={"CGO_ENABLED": "0", **target.go_env()},
            ldflags=ldflags,
            trimpath=True,
            label=target.platform,
        )
        print(f"  built {target.platform}")
        return output

    try:
        paths = run_parallel(job.targets, build_one, job.jobs)
    except UserError as exc:
        raise UserError(str(exc), where=str(job.dist)) from None
    job.binaries = dict(zip(job.targets, paths, strict=True))


def _host_target(targets: Sequence[Target]) -> Target | None:
    proc = subprocess.run(
        [find_go(), "env", "GOHOSTOS", "GOHOSTARCH"], capture_output=True, text=True, env=go_env(), check=False
    )
    host = proc.stdout.split()
    return next((t for t in targets if [t.goos, t.goarch] == host and not t.goarm), None)


def _verify_binaries(job: ReleaseBuild) -> None:
    # With -trimpath Go leaves -ldflags out of the build info, so the version is checked by running the host's binary.
    kept = f"binaries kept in {job.dist / 'build'}"
    for target, binary in job.binaries.items():
        settings = build_settings(binary)
        wanted = {"GOOS": target.goos, "GOARCH": target.goarch, "CGO_ENABLED": "0", "-trimpath": "true"}
        if target.goarm:
            wanted["GOARM"] = target.goarm
        wrong = [f"{key}={settings.get(key)} (not {want})" for key, want in wanted.items() if settings.get(key) != want]
        if wrong:
            raise UserError(
                f"{binary} was not built for {target.platform} with cgo off: go version -m shows "
                f"{', '.join(wrong)}; {kept}"
            )
    host = _host_target(list(job.binaries))
    if host is not None:
        lines = version_output(job.binaries[host], kept=kept)
        if lines[:1] != [job.release.number]:
            printed = f"`litestream version` printed {quoted(lines[:1])}"
            raise UserError(f"{host.platform} {printed}, not {job.release.number}; {kept}")
        print(f"  {host.platform} binary prints {job.release.number}")


def _archive(job: ReleaseBuild) -> None:
    mtime = job.checkout.commit_time()

    def archive_one(target: Target) -> Path:
        members = release_members(job.src, job.binaries[target], target.binary_name)
        return write_archive(job.dist / target.archive_name(job.release.number), members, mtime)

    job.archives = run_parallel(list(job.binaries), archive_one, job.jobs)
    for path in job.archives:
        print(f"  {path}")


def _checksums(job: ReleaseBuild) -> None:
    job.checksums = write_checksums(job.archives, job.dist / CHECKSUMS_NAME)
    print(f"  {job.checksums}")


RELEASE_BUILD_STEPS: list[Step[ReleaseBuild]] = [
    OPEN_CHECKOUT,
    CHECK_GO,
    Step("check-files", "the checkout has the files every archive carries; --dist is a directory", _check_files),
    Step("resolve-version", "the release tag; with --snapshot and no --version, <nearest tag>-next", _resolve_version),
    Step("check-git-state", "refuse a dirty tree or a version not tagged at HEAD, unless --snapshot", _check_git_state),
    Step("build", "cross-compile the matrix in parallel, CGO_ENABLED=0 -trimpath -s -w -X main.Version", _build),
    Step("verify-binaries", "go version -m: platform, cgo off, version; run the host's binary", _verify_binaries),
    Step("archive", "pack each binary with etc/, README.md and LICENSE, reproducibly", _archive),
    Step("checksums", "write checksums.txt in sha256sum format, sorted by name", _checksums),
]


def run_release_build(
    src: Path,
    dist: Path,
    version: ReleaseVersion | None,
    *,
    jobs: int | None = None,
    snapshot: bool = False,
    targets: Sequence[Target] = TARGETS,
) -> ReleaseBuild:
    """Run the release build job. ``version`` may be None only with ``snapshot``."""
    if version is None and not snapshot:
        raise UserError("--version is required (e.g. --version v0.5.16), unless --snapshot")
    job = ReleaseBuild(
        src=src, dist=dist.resolve(), version=version, jobs=jobs or parse_jobs(None), snapshot=snapshot, targets=targets
    )
    job.timings = run_steps(RELEASE_BUILD_STEPS, job).timings
    return job
