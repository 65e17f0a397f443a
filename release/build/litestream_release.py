"""A released Litestream from the Go module proxy: ``soak.overnight --litestream vX.Y.Z|latest`` and the gate's
``--baseline``, on a machine with Go and no checkout.

``go install github.com/benbjohnson/litestream/cmd/litestream@vX.Y.Z`` (CGO off) and ``cmd/litestream-test`` (CGO on),
both with ``-ldflags "-X main.Version=vX.Y.Z"``, into a per-version cache,
``${XDG_CACHE_HOME:-~/.cache}/litestream-release-tools/litestream/vX.Y.Z/``. Both are checked the way ``invoke build``
checks its binaries (each ``version`` prints the injected version). A cached version is used without touching the
network. The build goes into a staging directory renamed into place only when both binaries are good, so an
interrupted install never looks installed. ``latest`` is the newest release (no pre-release) the proxy lists.
Go resolves the proxy as it always does: GOPROXY, GOFLAGS, GONOSUMDB etc. from the environment are respected.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from common.processes import in_one_line, tail_lines
from common.secrets import mask
from common.timestamps import utc_now
from common.tools import install_lock
from common.versions import parse_version
from release.build.gobuild import quoted, version_output
from release.build.toolchain import check_c_compiler

MODULE = "github.com/benbjohnson/litestream"
LATEST = "latest"
META = "release.json"  # beside the two binaries: what was installed, from where, when
LIST_TIMEOUT_S = 120.0
INSTALL_TIMEOUT_S = 1800.0
_RELEASE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def release_cache_dir() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/litestream-release-tools/litestream``: one directory per installed version."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base).expanduser() / "litestream-release-tools" / "litestream").resolve()


@dataclass(frozen=True)
class InstalledRelease:
    """A released Litestream, installed: the directory holding ``litestream`` and ``litestream-test``."""

    version: str
    bin_dir: Path
    cached: bool  # True: reused from the cache, no network touched

    def for_run_json(self) -> dict[str, str]:
        """run.json ``source`` (docs/rundir.md)."""
        return {"kind": "release", "version": self.version, "module": MODULE, "path": str(self.bin_dir)}


def _find_go() -> str:
    go = shutil.which("go")
    if go is None:
        raise UserError(
            f"--litestream installs Litestream with `go install {MODULE}/cmd/litestream@VERSION`, but `go` is not on "
            "PATH; install Go (https://go.dev/dl/) and put its bin/ directory on PATH, or use --src/--bin"
        )
    return go


def _go_env(**overrides: str) -> dict[str, str]:
    """go outside any module (GOWORK off, GO111MODULE on), the caller's GOPROXY/GOFLAGS/GOMODCACHE kept."""
    env = dict(os.environ)
    env.update({"GOWORK": "off", "GO111MODULE": "on"})
    env.update(overrides)
    return env


def _release_key(version: str) -> tuple[int, int, int]:
    match = _RELEASE.match(version)
    assert match is not None
    return (int(match[1]), int(match[2]), int(match[3]))


def newest_release(versions: list[str]) -> str | None:
    """The highest ``vX.Y.Z`` without a pre-release suffix (what ``@latest`` would pick), or None."""
    releases = [v for v in versions if _RELEASE.match(v)]
    return max(releases, key=_release_key) if releases else None


def proxy_versions() -> list[str]:
    """The versions the Go module proxy lists for Litestream (``go list -m -versions``); one line when unreachable."""
    go = _find_go()
    proxy = mask(os.environ.get("GOPROXY", "")) or "the default GOPROXY"
    with tempfile.TemporaryDirectory(prefix="litestream-versions-") as scratch:  # outside any go.mod
        try:
            proc = subprocess.run(
                [go, "list", "-m", "-versions", MODULE],
                cwd=scratch,
                env=_go_env(),
                capture_output=True,
                text=True,
                timeout=LIST_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise UserError(
                f"listing Litestream's versions on the Go module proxy ({proxy}) took over {LIST_TIMEOUT_S:g}s and "
                "nothing is cached; check the network and GOPROXY, or use --src/--bin"
            ) from None
    words = proc.stdout.split()
    if proc.returncode != 0 or not words or words[0] != MODULE:
        said = mask(in_one_line(tail_lines(proc.stderr or proc.stdout, 1), "no output"))
        raise UserError(
            f"cannot list Litestream's versions on the Go module proxy ({proxy}) and nothing is cached: {said}; "
            "check the network and GOPROXY, or use --src/--bin"
        )
    return words[1:]


def cached_versions(cache: Path | None = None) -> list[str]:
    """Versions installed in the cache (both binaries present), oldest first."""
    root = cache or release_cache_dir()
    found = [p.name for p in root.glob("v*") if (p / "litestream").is_file() and (p / "litestream-test").is_file()]
    return sorted(found, key=lambda v: _release_key(v) if _RELEASE.match(v) else (-1, -1, -1))


def resolve_version(spec: str, cache: Path | None = None) -> str:
    """``latest`` or ``vX.Y.Z`` to a version the proxy lists; a cached ``vX.Y.Z`` is taken without asking it, and
    ``latest`` falls back to the newest cached release (saying so) when the proxy cannot be reached."""
    spec = (spec or "").strip()
    if spec != LATEST:
        version = parse_version(spec, flag="--litestream").tag
        if version in cached_versions(cache):
            return version
    try:
        listed = proxy_versions()
    except UserError as exc:
        cached = cached_versions(cache)
        if spec != LATEST or not cached:
            raise
        print(f"  note: {exc}; using the newest cached release, {cached[-1]}", flush=True)
        return cached[-1]
    if spec == LATEST:
        newest = newest_release(listed)
        if newest is None:
            raise UserError(f"the Go module proxy lists no release of {MODULE}; give --litestream vX.Y.Z")
        return newest
    if version not in listed:
        newest = newest_release(listed) or "none"
        raise UserError(
            f"--litestream {version}: the Go module proxy does not list that version of {MODULE}; "
            f"the newest it lists is {newest} (or give --litestream latest)"
        )
    return version


def _go_install(go: str, package: str, version: str, gobin: Path, env: dict[str, str]) -> None:
    argv = [go, "install", "-ldflags", f"-X main.Version={version}", f"{MODULE}/{package}@{version}"]
    try:
        proc = subprocess.run(
            argv,
            env=_go_env(GOBIN=str(gobin), GOTOOLCHAIN="local", **env),
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UserError(
            f"`go install {MODULE}/{package}@{version}` took over {INSTALL_TIMEOUT_S:g}s; "
            "check the network and GOPROXY, or use --src/--bin"
        ) from None
    if proc.returncode != 0:
        said = mask(in_one_line(tail_lines(proc.stderr or proc.stdout, 3), "no output"))
        raise UserError(
            f"`go install {MODULE}/{package}@{version}` failed: {said}; check the network and GOPROXY "
            "(and a Go new enough for that release), or use --src/--bin"
        )


def check_versions(bin_dir: Path, version: str) -> None:
    """As ``invoke build`` checks its output: ``litestream version`` prints the injected version, and
    ``litestream-test version`` prints ``litestream-test <version>`` (no commit line: none is injected)."""
    kept = f"nothing installed for {version}"
    lines = version_output(bin_dir / "litestream", kept=kept)
    if lines[:1] != [version]:
        raise UserError(f"`litestream version` printed {quoted(lines[:1])}, not the injected {version!r}; {kept}")
    lines = version_output(bin_dir / "litestream-test", kept=kept)
    if lines[:1] != [f"litestream-test {version}"]:
        raise UserError(
            f'`litestream-test version` printed {quoted(lines[:1])}, not "litestream-test {version}"; {kept}'
        )


def install_release(version: str, cache: Path | None = None, *, say: bool = True) -> InstalledRelease:
    """Both binaries of a released ``version``: from the cache, else ``go install``-ed and checked, then cached."""
    root = cache or release_cache_dir()
    target = root / version
    if (target / "litestream").is_file() and (target / "litestream-test").is_file():
        return InstalledRelease(version, target, cached=True)
    go = _find_go()
    cc = check_c_compiler()  # litestream-test links mattn/go-sqlite3: cgo
    with install_lock(root):
        if (target / "litestream").is_file() and (target / "litestream-test").is_file():
            return InstalledRelease(version, target, cached=True)  # another process installed it meanwhile
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.partial-", dir=root))
        try:
            if say:
                print(f"  go install {MODULE}/cmd/litestream@{version} (CGO off) into {target}", flush=True)
            _go_install(go, "cmd/litestream", version, staging, {"CGO_ENABLED": "0"})
            if say:
                print(f"  go install {MODULE}/cmd/litestream-test@{version} (CGO on, CC={cc})", flush=True)
            _go_install(go, "cmd/litestream-test", version, staging, {"CGO_ENABLED": "1", "CC": cc})
            check_versions(staging, version)
            meta = {"module": MODULE, "version": version, "installed_at": utc_now(), "go": _go_version(go)}
            (staging / META).write_text(json.dumps(meta, indent=2) + "\n")
            if target.exists():
                shutil.rmtree(target)
            staging.chmod(0o755)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return InstalledRelease(version, target, cached=False)


def _go_version(go: str) -> str:
    proc = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, env=_go_env(), check=False)
    return proc.stdout.strip()


def ensure_release(spec: str, cache: Path | None = None, *, say: bool = True) -> InstalledRelease:
    """``--litestream``'s whole path: resolve ``latest``/``vX.Y.Z`` on the proxy (or the cache), then install."""
    return install_release(resolve_version(spec, cache), cache, say=say)


def main() -> None:
    """``python -m release.build.litestream_release [VERSION]``: install one release (CI starts it early)."""
    spec = sys.argv[1] if len(sys.argv) > 1 else LATEST
    try:
        installed = ensure_release(spec)
    except UserError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        raise SystemExit(exc.code) from None
    print(installed.bin_dir)


if __name__ == "__main__":
    main()
