"""A real Litestream for the tests on every machine: LITESTREAM_BIN_DIR (already built), else a build of the
LITESTREAM_SRC checkout, else the pinned release installed from the Go module proxy through ``--litestream``'s own
code path (release/build/litestream_release.py), cached per version in ``${XDG_CACHE_HOME:-~/.cache}``.

Only the tests of ``invoke build`` and ``release.build`` need a git checkout (tags, dirty state); everything else that
needs Litestream's binaries (the soak, its restore checks, the formula's test block, the config read by the real
binary, the gate with a short soak, the fault layer) runs in CI on the pinned release.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import git

from release.build.dev_build import run_dev_build
from release.build.litestream_release import MODULE, install_release

PINNED = "v0.5.16"  # the release the project was built against; LITESTREAM_SRC points at its tag in development


@dataclass(frozen=True)
class RealLitestream:
    """Where the binaries are and how ``soak.overnight`` is told to use them."""

    bin_dir: Path
    origin: str  # "bin", "checkout" or "release"
    version: str
    src: Path | None = None  # the checkout, when LITESTREAM_SRC gave one

    @property
    def litestream(self) -> Path:
        return self.bin_dir / "litestream"

    @property
    def litestream_test(self) -> Path:
        return self.bin_dir / "litestream-test"

    def soak_args(self) -> list[str]:
        """The release goes through ``--litestream`` itself (cached: no network); the others through ``--bin``."""
        return ["--litestream", self.version] if self.origin == "release" else ["--bin", str(self.bin_dir)]


def real_litestream(scratch: Path) -> RealLitestream:
    """LITESTREAM_BIN_DIR, else LITESTREAM_SRC built into ``scratch``, else the pinned release."""
    prebuilt = os.environ.get("LITESTREAM_BIN_DIR")
    if prebuilt and (Path(prebuilt) / "litestream").is_file():
        return RealLitestream(Path(prebuilt), "bin", _version(Path(prebuilt) / "litestream"))
    src = os.environ.get("LITESTREAM_SRC")
    if src and (Path(src) / "go.mod").is_file():
        job = run_dev_build(Path(src), scratch / "bin")
        return RealLitestream(job.out, "checkout", job.version, Path(src))
    installed = install_release(PINNED, say=False)
    return RealLitestream(installed.bin_dir, "release", installed.version)


def _version(binary: Path) -> str:
    done = subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip().splitlines()[0]


def build_litestream(dest: Path, version: str | None) -> Path:
    """``litestream`` with ``-X main.Version=<version>`` (None: nothing injected), as a GoReleaser build stamps it,
    from LITESTREAM_SRC when set, else from the pinned release's module source (``go install ...@v0.5.16``)."""
    ldflags = ["-ldflags", f"-X main.Version={version}"] if version is not None else []
    dest.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "0", "GOWORK": "off", "GOTOOLCHAIN": "local"}
    src = os.environ.get("LITESTREAM_SRC")
    if src and (Path(src) / "go.mod").is_file():
        argv = ["go", "build", *ldflags, "-o", str(dest), "./cmd/litestream"]
        subprocess.run(argv, cwd=src, env=env, check=True, capture_output=True)
        return dest
    with tempfile.TemporaryDirectory(prefix="gobin-") as gobin:
        argv = ["go", "install", *ldflags, f"{MODULE}/cmd/litestream@{PINNED}"]
        subprocess.run(argv, env={**env, "GOBIN": gobin}, check=True, capture_output=True, cwd=gobin)
        shutil.move(str(Path(gobin) / "litestream"), dest)
    return dest


def release_checkout(dest: Path, version: str = PINNED) -> Path:
    """A git checkout of a released Litestream made from its module source on the proxy, tagged ``version`` at HEAD:
    what the gate needs (a clean tree, the tag) on a machine without a clone of the repository."""
    proc = subprocess.run(
        ["go", "mod", "download", "-json", f"{MODULE}@{version}"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GOWORK": "off", "GO111MODULE": "on"},
        cwd=tempfile.gettempdir(),
    )
    module_dir = Path(json.loads(proc.stdout)["Dir"])
    shutil.copytree(module_dir, dest)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # the module cache is read-only
    repo = git.Repo.init(dest, initial_branch="main")
    repo.git.add("-A")
    actor = git.Actor("release-checkout", "release-checkout@localhost")
    repo.index.commit(f"{MODULE} {version} from the Go module proxy", author=actor, committer=actor)
    repo.create_tag(version)
    return dest
