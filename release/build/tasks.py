"""Tasks: ``build`` (dev binaries) and ``release.build`` (the release matrix).

Thin on purpose: parse flags, resolve settings, call release.build.dev_build / release.build.release_build.
"""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from common.errors import fail_cleanly
from common.settings import Settings, resolve_src
from common.versions import parse_version
from release.build.dev_build import run_dev_build
from release.build.release_build import parse_jobs, run_release_build

SRC_HELP = "Litestream checkout (default: LITESTREAM_SRC, then litestream.src in ~/.invoke.yaml or invoke.yaml)"


@task(
    help={
        "src": SRC_HELP,
        "out": "directory for litestream and litestream-test (default: bin); left as it was if the build fails",
        "version": "version to inject, vMAJOR.MINOR.PATCH[-pre] (default: git describe --tags --always --dirty)",
    }
)
@fail_cleanly
def build(c: Context, src: str | None = None, out: str = "bin", version: str | None = None) -> None:
    """Build bin/litestream (CGO_ENABLED=0) and bin/litestream-test (cgo), version injected and checked."""
    tag = parse_version(version).tag if version else ""
    job = run_dev_build(resolve_src(Settings.from_context(c), src), Path(out), tag)
    print(f"built {job.out}/litestream and {job.out}/litestream-test, version {job.version}")


@task(
    help={
        "version": "release tag vMAJOR.MINOR.PATCH[-pre] pointing at HEAD (optional with --snapshot)",
        "src": SRC_HELP,
        "dist": "directory for the archives, checksums.txt and build/ (default: dist)",
        "jobs": "how many go builds run at once, a positive integer (default: CPU count)",
        "snapshot": "test build: allow a dirty tree and a version that is not a tag at HEAD",
    }
)
@fail_cleanly
def release_build(
    c: Context,
    version: str | None = None,
    src: str | None = None,
    dist: str = "dist",
    jobs: str | None = None,
    snapshot: bool = False,
) -> None:
    """Build the release matrix: 8 reproducible archives and checksums.txt, as GoReleaser publishes them."""
    release = parse_version(version) if version or not snapshot else None
    workers = parse_jobs(jobs)
    checkout = resolve_src(Settings.from_context(c), src)
    job = run_release_build(checkout, Path(dist), release, jobs=workers, snapshot=snapshot)
    print(f"{len(job.archives)} archives and {job.checksums} for {job.release.tag} in {job.dist}")
