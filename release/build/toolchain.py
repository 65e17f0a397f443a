"""The tools a build needs: a new enough Go (never auto-downloaded) and, for cgo, a C compiler."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from common.errors import UserError
from release.build.checkout import go_directive

_GO_VERSION = re.compile(r"^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?")
_DIRECTIVE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$")
_C_COMPILERS = ("gcc", "cc", "clang")


def go_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every go command runs with: GOTOOLCHAIN=local, so go never downloads a toolchain."""
    env = dict(os.environ)
    env.update(overrides or {})
    env["GOTOOLCHAIN"] = "local"
    return env


def find_go() -> str:
    go = shutil.which("go")
    if not go:
        raise UserError("no `go` on PATH; install Go (https://go.dev/dl/) and put its bin/ directory on PATH")
    return go


def version_key(match: re.Match[str], *, language: bool = False) -> tuple[int, int, int, int, int]:
    """Order Go versions like the go command: 1.25rc1 < 1.25.0.

    As a go.mod ``go`` line (``language``), a bare ``1.25`` is the language version, below 1.25rc1;
    as an installed Go, ``go1.20`` is the 1.20.0 release.
    """
    major, minor, patch, pre, pre_number = match.groups()
    rank = {"beta": 0, "rc": 1}.get(pre or "", 2)
    if language and patch is None and pre is None:
        rank = -1
    return (int(major), int(minor or 0), int(patch or 0), rank, int(pre_number or 0))


def check_go(src: Path) -> str:
    """The local Go's version (e.g. ``go1.26.8``), refusing one older than the checkout's go.mod ``go`` line."""
    go = find_go()
    required = go_directive(src)
    proc = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, env=go_env(), cwd=src, check=False)
    found = proc.stdout.strip()
    if proc.returncode != 0 or not found:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"`{go} env GOVERSION` failed: {tail}; check the Go installation on PATH")
    have, need = _GO_VERSION.match(found), _DIRECTIVE.match(required)
    if have and need and version_key(have) < version_key(need, language=True):
        raise UserError(
            f"{go} is {found}, older than go {required} that {src / 'go.mod'} requires; "
            f"install Go >= {required} (GOTOOLCHAIN=local: the build never downloads one)"
        )
    return found


def check_c_compiler() -> str:
    """The C compiler cgo will use for litestream-test: ``$CC`` if set, else the first of gcc, cc, clang."""
    chosen = os.environ.get("CC", "").strip()
    if chosen:
        words = shlex.split(chosen)
        if not shutil.which(words[0]):
            raise UserError(
                f"CC={chosen!r} is not a program on PATH; litestream-test needs a C compiler for cgo "
                "(mattn/go-sqlite3): set CC to one, or unset CC to use gcc/cc"
            )
        return chosen
    for name in _C_COMPILERS:
        if shutil.which(name):
            return name  # the bare name, as go itself would pick it: the build cache keys stay the same
    raise UserError(
        "no C compiler (gcc, cc or clang) on PATH and CC is not set; litestream-test needs one for cgo "
        "(mattn/go-sqlite3): install gcc (e.g. apt-get install gcc) or set CC"
    )


def build_settings(binary: Path) -> dict[str, str]:
    """The ``build`` lines of ``go version -m`` (CGO_ENABLED, GOOS, GOARCH, -ldflags, ...) of a Go binary."""
    proc = subprocess.run(
        [find_go(), "version", "-m", str(binary)], capture_output=True, text=True, env=go_env(), check=False
    )
    if proc.returncode != 0:
        raise UserError(f"`go version -m {binary}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    settings: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        parts = line.strip().split("\t", 1)
        if len(parts) == 2 and parts[0] == "build" and "=" in parts[1]:
            key, value = parts[1].split("=", 1)
            settings[key] = value.strip('"')
    return settings
