"""The embedded S3: a pinned versitygw (a real S3 gateway, Apache-2.0) serving a directory over 127.0.0.1.

Why versitygw and not moto: moto keeps objects of ~5 MB and up in unlinked temp files and joins a multipart upload
in memory (2-4x the object's size in RAM at completion), so an 8-hour soak's multi-GB snapshots cannot finish.
versitygw's posix backend writes each object as a plain file under ``<dir>/<bucket>/`` (metadata in user xattrs),
so the replica is on disk where ``du`` and the soak's disk check see it, and its memory does not grow with object
size.

It is ``go install``-ed once into the tools cache (like Toxiproxy and GoReleaser). Its root keys are made up per
run and reach it through its environment only (``ROOT_ACCESS_KEY_ID``/``ROOT_SECRET_ACCESS_KEY``), never argv.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

import requests

from common.errors import UserError
from common.processes import Child, environ_without, free_port
from common.tools import go_install, tools_cache_dir

VERSITYGW_VERSION = "v1.8.0"
VERSITYGW_MODULE = "github.com/versity/versitygw/cmd/versitygw"
INSTALL_TIMEOUT_S = 900.0  # cold: 1-3 min measured on a loaded 2-core machine
START_TIMEOUT_S = 30.0
# What to do instead when the server cannot be installed or run: any S3 works through these flags.
OTHER_S3 = "or point the soak at an existing S3 server with --endpoint URL --bucket NAME"
_XATTR_PROBE = "user.litestream-soak-probe"


def versitygw_binary(cache: Path | None = None) -> Path:
    return (cache or tools_cache_dir()) / "versitygw" / VERSITYGW_VERSION / "versitygw"


def install_command() -> str:
    """What a maintainer can run by hand to pre-install it."""
    return f"GOBIN={versitygw_binary().parent} go install {VERSITYGW_MODULE}@{VERSITYGW_VERSION}"


def ensure_versitygw(cache: Path | None = None) -> Path:
    """The pinned versitygw binary: reused from the cache, else ``go install``-ed into it once.

    Built into a staging directory renamed into place only on success, under the install lock, so a failed or
    interrupted install never looks installed. No Go, or no module proxy: one line naming ``--endpoint``.
    """
    return go_install(
        versitygw_binary(cache),
        VERSITYGW_MODULE,
        VERSITYGW_VERSION,
        what=f"the embedded S3 (versitygw {VERSITYGW_VERSION})",
        no_go=f"the embedded S3 (versitygw {VERSITYGW_VERSION}) is installed with Go, but `go` is not on PATH; "
        f"install Go (https://go.dev/dl/), {OTHER_S3}",
        fix=f"the Go module proxy (GOPROXY) must be reachable once, or pre-install it with "
        f"`{install_command()}`, {OTHER_S3}",
        env={"GOTOOLCHAIN": "auto"},
        timeout=INSTALL_TIMEOUT_S,
    )


def check_xattrs(directory: Path) -> None:
    """versitygw's posix backend keeps object metadata in user xattrs; a filesystem without them is one line."""
    try:
        os.setxattr(directory, _XATTR_PROBE, b"1")
        os.removexattr(directory, _XATTR_PROBE)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.EACCES):
            raise UserError(
                f"{directory} is on a filesystem without user extended attributes ({exc.strerror}), which the "
                "embedded S3 (versitygw's posix backend) stores object metadata in; pass --s3-dir DIR on ext4, "
                f"xfs, btrfs or tmpfs, {OTHER_S3}"
            ) from None
        raise UserError(f"cannot use {directory} for the embedded S3: {exc.strerror}; pass --s3-dir DIR") from None


class EmbeddedS3:
    """versitygw over ``data_dir`` on a free loopback port, in its own process group, with per-run root keys."""

    def __init__(
        self,
        binary: Path,
        data_dir: Path,
        log: Path,
        *,
        region: str = "us-east-1",
        root_keys: tuple[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.region = region
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        # Made up per run unless given (tests give dummy ones): nothing to leak beyond it, no secret in the repository.
        self.access_key, self.secret_key = root_keys or (f"soak{secrets.token_hex(8)}", secrets.token_urlsafe(30))
        env = {
            **environ_without("AWS_", "ROOT_", "VGW_"),
            "ROOT_ACCESS_KEY_ID": self.access_key,
            "ROOT_SECRET_ACCESS_KEY": self.secret_key,
            "VGW_REGION": region,
        }
        argv = [str(binary), "--port", f"127.0.0.1:{self.port}", "--quiet", *extra_args, "posix", str(data_dir)]
        self.child = Child(name=f"the embedded S3 (versitygw {VERSITYGW_VERSION})", argv=argv, log=log, env=env)

    @property
    def keys(self) -> dict[str, str]:
        """Its root keys as the AWS SDKs read them from the environment."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def start(self, timeout_s: float = START_TIMEOUT_S) -> EmbeddedS3:
        """Check the directory, start versitygw and wait until it answers HTTP."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        check_xattrs(self.data_dir)
        self.child.start().wait_ready(self._answers, timeout_s=timeout_s, fix=f"see {self.child.log}, {OTHER_S3}")
        return self

    def _answers(self) -> bool:
        try:
            requests.get(self.endpoint, timeout=1)  # anonymous: 403 AccessDenied, which is an answer
            return True
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.child.stop(grace_s=5)
