"""The pinned GoReleaser: ``go install``-ed once into the tools cache, then reused without network.

Pinned, not "latest" (Litestream's CI uses ``version: latest``): archive layout, compression and defaults change
between GoReleaser versions, so a gate that checks what ships must run one known version, the one its checks and
the reproducibility findings were verified with (v2.17.0, /work/notes/goreleaser.md). Building it needs Go 1.26.4
or newer; with ``GOTOOLCHAIN=auto`` an older Go fetches that toolchain from the Go module proxy itself.

A cold install downloads about 2.2 GB of modules and compiles for minutes, so CI starts it early in the
background (``.ci/run``); an install lock makes anyone else who asks meanwhile wait for that build.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from common.errors import UserError
from common.tools import go_install, tools_cache_dir

GORELEASER_VERSION = "v2.17.0"
GORELEASER_MODULE = "github.com/goreleaser/goreleaser/v2"
INSTALL_TIMEOUT_S = 1800.0  # cold: 6 min measured on a loaded 2-core machine


def goreleaser_binary(cache: Path | None = None) -> Path:
    return (cache or tools_cache_dir()) / "goreleaser" / GORELEASER_VERSION / "goreleaser"


def install_command() -> str:
    """What a maintainer can run by hand to pre-install it."""
    return f"GOBIN={goreleaser_binary().parent} go install {GORELEASER_MODULE}@{GORELEASER_VERSION}"


def ensure_goreleaser(cache: Path | None = None) -> Path:
    """The pinned GoReleaser binary: reused from the cache, else ``go install``-ed into it once.

    The build goes to a staging directory renamed into place only when it succeeded, so a failed or interrupted
    install never leaves something that looks installed. A failure is one line with the fix.
    """
    return go_install(
        goreleaser_binary(cache),
        GORELEASER_MODULE,
        GORELEASER_VERSION,
        what=f"GoReleaser {GORELEASER_VERSION}",
        no_go=f"release.build runs GoReleaser {GORELEASER_VERSION}, which is installed with Go, but `go` is not on "
        "PATH; install Go (https://go.dev/dl/) and put its bin/ directory on PATH",
        fix=f"check that the Go module proxy is reachable (GOPROXY), or pre-install it: {install_command()}",
        env={"GOTOOLCHAIN": "auto"},  # GoReleaser's go.mod asks for Go 1.26.4; an older local Go fetches it
        timeout=INSTALL_TIMEOUT_S,
    )


def goreleaser_version(binary: Path) -> str:
    """``GitVersion`` from ``goreleaser --version`` (``v2.17.0``), or "" when it does not say."""
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.strip().startswith("GitVersion:"):
            return line.split(":", 1)[1].strip()
    return ""


def checked_goreleaser(cache: Path | None = None) -> Path:
    """``ensure_goreleaser`` plus a check that the cached binary really is the pinned version."""
    binary = ensure_goreleaser(cache)
    found = goreleaser_version(binary)
    if found != GORELEASER_VERSION:
        raise UserError(
            f"{binary} reports GoReleaser {found or 'no version'}, not the pinned {GORELEASER_VERSION}; "
            f"delete {binary.parent} and run again to reinstall it"
        )
    return binary
