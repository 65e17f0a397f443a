"""Tasks: ``build`` (dev binaries), ``release.build`` (GoReleaser on the checkout's own config, checked) and
``release.verify`` (a published release against its tag).

Thin on purpose: parse flags, resolve settings, call release.build.dev_build / release_build / verify.
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
from release.build.verify import run_verify

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
        "version": "release tag vMAJOR.MINOR.PATCH[-pre] at HEAD; with --snapshot, the tag the snapshot is named after",
        "src": SRC_HELP,
        "dist": "GoReleaser's dist/ goes here, replacing an earlier build's (default: dist)",
        "jobs": "GoReleaser's --parallelism, a positive integer (default: CPU count)",
        "snapshot": "GoReleaser --snapshot: allow a dirty tree and a version that is not a tag at HEAD",
        "check_reproducible": "build twice from two clones and report what differs, why, and the config fix",
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
    check_reproducible: bool = False,
) -> None:
    """Build the release with GoReleaser from the checkout's .goreleaser.yml, then check what it made."""
    release = parse_version(version) if version or not snapshot else None
    workers = parse_jobs(jobs)
    checkout = resolve_src(Settings.from_context(c), src)
    job = run_release_build(
        checkout, Path(dist), release, snapshot=snapshot, jobs=workers, check_reproducible=check_reproducible
    )
    meta = job.contents.metadata
    print(f"{job.mode} {meta.version} of {meta.commit[:12]} in {job.dist}: {len(job.checks)} checks passed")


@task(
    help={
        "version": "the published release tag, vMAJOR.MINOR.PATCH[-pre]",
        "src": SRC_HELP + "; it must have the tag",
        "out": "downloads, extracted and rebuilt binaries, verify.json and verify.md (default: verify/<tag>)",
    }
)
@fail_cleanly
def release_verify(c: Context, version: str | None = None, src: str | None = None, out: str | None = None) -> None:
    """Check a published release: archives against checksums.txt, binaries rebuilt from the tag byte for byte."""
    release = parse_version(version)
    settings = Settings.from_context(c)
    job = run_verify(
        resolve_src(settings, src), release, settings.get("release.url_base"), Path(out or f"verify/{release.tag}")
    )
    print(f"{release.tag}: {len(job.results)} archives verified and reproduced; report in {job.out}")
