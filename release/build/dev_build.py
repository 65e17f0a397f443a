"""``invoke build``: bin/litestream (pure Go) and bin/litestream-test (cgo), the version injected.

Both binaries are built into a staging directory and checked with their own ``version`` command;
only then do they replace what is in ``--out``, so a failed build leaves ``--out`` as it was.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import UserError
from common.steps import Step, run_steps
from release.build.gobuild import go_build, quoted, version_output
from release.build.source_steps import CHECK_GO, OPEN_CHECKOUT, SourceJob
from release.build.toolchain import check_c_compiler

EXE = ".exe" if sys.platform == "win32" else ""
LITESTREAM = "litestream" + EXE
LITESTREAM_TEST = "litestream-test" + EXE


@dataclass
class DevBuild(SourceJob):
    """What the dev build knows so far; each step fills in a field."""

    out: Path
    version: str = ""  # empty: git describe of the checkout
    cc: str = field(init=False)
    staging: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def kept(self) -> str:
        return f"{self.out} left as it was"

    def staged(self, name: str) -> Path:
        assert self.staging is not None, "stage-dir runs before the builds"
        return self.staging / name

    def installed(self, name: str) -> Path:
        return self.out / name


def _check_cc(job: DevBuild) -> None:
    job.cc = check_c_compiler()
    print(f"  CC={job.cc}")


def _resolve_version(job: DevBuild) -> None:
    job.version = job.version or job.checkout.describe()
    print(f"  version {job.version}, commit {job.checkout.head_sha}")


def _stage_dir(job: DevBuild) -> None:
    if job.out.exists() and not job.out.is_dir():
        raise UserError(f"--out {job.out} is a file, not a directory; pass another --out or move the file")
    job.out.parent.mkdir(parents=True, exist_ok=True)
    job.staging = Path(tempfile.mkdtemp(prefix=".litestream-build-", dir=job.out.parent))


def _build_litestream(job: DevBuild) -> None:
    go_build(
        job.src,
        "./cmd/litestream",
        job.staged(LITESTREAM),
        env={"CGO_ENABLED": "0"},
        ldflags=f"-X main.Version={job.version}",
        on_failure=job.kept,
    )


def _build_litestream_test(job: DevBuild) -> None:
    go_build(
        job.src,
        "./cmd/litestream-test",
        job.staged(LITESTREAM_TEST),
        env={"CGO_ENABLED": "1", "CC": job.cc},
        ldflags=f"-X main.Version={job.version} -X main.Commit={job.checkout.head_sha}",
        on_failure=job.kept,
    )


def _verify_versions(job: DevBuild) -> None:
    lines = version_output(job.staged(LITESTREAM), kept=job.kept)
    if lines[:1] != [job.version]:
        raise UserError(
            f"`litestream version` printed {quoted(lines[:1])}, not the injected {job.version!r}; {job.kept}"
        )
    lines = version_output(job.staged(LITESTREAM_TEST), kept=job.kept)
    wanted = [f"litestream-test {job.version}", f"commit: {job.checkout.head_sha}"]
    if lines[:2] != wanted:
        raise UserError(f"`litestream-test version` printed {quoted(lines[:2])}, not {quoted(wanted)}; {job.kept}")
    print(f"  both print {job.version}")


def _install(job: DevBuild) -> None:
    job.out.mkdir(parents=True, exist_ok=True)
    for name in (LITESTREAM, LITESTREAM_TEST):
        job.staged(name).replace(job.installed(name))
        print(f"  {job.installed(name)}")


DEV_BUILD_STEPS: list[Step[DevBuild]] = [
    OPEN_CHECKOUT,
    CHECK_GO,
    Step("check-cc", "find the C compiler cgo needs for litestream-test", _check_cc),
    Step("resolve-version", "use --version, else git describe --tags --always --dirty", _resolve_version),
    Step("stage-dir", "make a scratch directory so --out changes only when everything worked", _stage_dir),
    Step("build-litestream", "go build ./cmd/litestream, CGO_ENABLED=0, -X main.Version", _build_litestream),
    Step(
        "build-litestream-test",
        "go build ./cmd/litestream-test, CGO_ENABLED=1, -X main.Version and main.Commit",
        _build_litestream_test,
    ),
    Step("verify-versions", "run each binary's version command; it must print the injected version", _verify_versions),
    Step("install", "move both binaries into --out", _install),
]


def run_dev_build(src: Path, out: Path, version: str = "") -> DevBuild:
    """Run the dev build job; the staging directory is removed whatever happens."""
    job = DevBuild(src=src, out=out.resolve(), version=version)
    try:
        job.timings = run_steps(DEV_BUILD_STEPS, job).timings
    finally:
        if job.staging is not None:
            shutil.rmtree(job.staging, ignore_errors=True)
    return job
