"""Where the replica goes: the embedded S3 (soak.run.s3_server) or a configured bucket; credentials, preflight,
listings.

Two endpoints are kept apart on purpose: ``endpoint`` is what the harness itself talks to (preflight,
monitor listings, catch-up, restore); ``litestream_endpoint`` is what ``litestream.yml`` points at, so a
fault layer can put a proxy between litestream and S3 without blinding the harness.

Credentials for a configured bucket are never copied: the harness's boto3 session and litestream's own AWS SDK each
resolve the standard chain (``AWS_PROFILE``, SSO, an assumed role, keys in the environment, an instance role) and
refresh what expires, so SSO or assumed-role credentials outlive an 8-hour soak. Only the embedded S3's per-run root
keys are handed to litestream, as environment variables.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config

from common.errors import UserError
from common.secrets import without_tokens
from soak.run.s3_server import VERSITYGW_VERSION, EmbeddedS3

LTX_KEY = re.compile(r"(?:^|/)(?P<lvl>[0-9a-f]{4})/(?P<min>[0-9a-f]{16})-(?P<max>[0-9a-f]{16})\.ltx$")
SNAPSHOT_LEVEL = 9
# What selects or carries credentials in the standard chain; replaced, for the embedded S3, by its root keys.
CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
)


@dataclass
class S3Target:
    """A bucket and prefix; the endpoint is empty for AWS itself."""

    bucket: str
    prefix: str
    region: str
    endpoint: str = ""
    embedded: bool = False
    litestream_endpoint: str = ""
    server_dir: Path | None = None  # the embedded S3's directory
    # Given keys (the embedded S3's root keys, a test's IAM user); empty: the standard chain, refreshed.
    fixed_keys: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.litestream_endpoint:
            self.litestream_endpoint = self.endpoint

    @property
    def replica_url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def restore_url(self, *, via_faults: bool = False) -> str:
        """The URL ``litestream restore`` reads: a custom endpoint must travel in the query (``?endpoint=...``);
        a restore from a URL takes its settings from the URL alone, not from LITESTREAM_S3_ENDPOINT.
        ``via_faults``: through ``litestream_endpoint`` (the fault proxies when there are any), as replication goes."""
        query = {"region": self.region}
        endpoint = (self.litestream_endpoint or self.endpoint) if via_faults else self.endpoint
        if endpoint:
            query.update(endpoint=endpoint, forcePathStyle="true")
        return f"{self.replica_url}?{urlencode(query)}"

    def session(self) -> boto3.Session:
        """The harness's AWS session: the fixed keys, else the standard chain, whose credentials refresh themselves."""
        keys = self.fixed_keys
        if keys:
            # Given keys need no profile: AWS_PROFILE (the maintainer's SSO profile, say) must not be looked up.
            return boto3.Session(
                botocore_session=botocore.session.Session(session_vars={"profile": (None, None, None, None)}),
                aws_access_key_id=keys.get("AWS_ACCESS_KEY_ID"),
                aws_secret_access_key=keys.get("AWS_SECRET_ACCESS_KEY"),
                aws_session_token=keys.get("AWS_SESSION_TOKEN"),
                region_name=self.region,
            )
        return boto3.Session(region_name=self.region)

    def client(self) -> Any:
        """A boto3 S3 client for the harness's own endpoint."""
        return self.session().client(
            "s3",
            endpoint_url=self.endpoint or None,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30),
        )

    def child_env(self, base: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
        """Environment for litestream, and notes on what was changed.

        With fixed keys they replace whatever selects credentials (a profile, other keys); without, the environment
        is passed as it is, so litestream's SDK finds the same profile, SSO session or role and refreshes it.
        """
        env = without_tokens(os.environ if base is None else base)  # litestream never needs the tap token
        notes: list[str] = []
        if self.fixed_keys:
            for key in CREDENTIAL_VARS:
                env.pop(key, None)
            env.update(self.fixed_keys)
        env["TZ"] = "UTC"
        endpoint = self.litestream_endpoint or self.endpoint
        if endpoint.startswith("http://") and env.pop("AWS_CA_BUNDLE", None) is not None:
            notes.append(
                "AWS_CA_BUNDLE dropped from litestream's environment: it is useless for a plain-http endpoint and "
                'makes litestream\'s S3 client fail ("unable to add custom RootCAs HTTPClient")'
            )
        return env, notes

    def for_run_json(self) -> dict[str, Any]:
        return {
            "embedded": self.embedded,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "region": self.region,
            "endpoint": self.endpoint or None,
            "litestream_endpoint": self.litestream_endpoint or None,
            "replica_url": self.replica_url,
            "server_dir": str(self.server_dir) if self.server_dir else None,
            "server": f"versitygw {VERSITYGW_VERSION}" if self.embedded else None,
        }


def check_credentials(region: str) -> str:
    """That boto3's standard chain finds credentials, and how (``sso``, ``assume-role``, ``env``, ...).

    Nothing is frozen or copied: the harness and litestream each resolve (and refresh) them on their own.
    """
    try:
        found = boto3.Session(region_name=region).get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise UserError(f"cannot load AWS credentials: {exc}; fix the profile or SSO login (aws sso login)") from None
    if found is None:
        raise UserError(
            "no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, "
            "or run `aws sso login` (or omit --bucket/S3_BUCKET to use the embedded local S3)"
        )
    return str(getattr(found, "method", None) or "the standard chain")


def embedded_target(server: EmbeddedS3, prefix: str, region: str, stamp: str) -> S3Target:
    """The target on the embedded server, with its bucket created."""
    target = S3Target(
        bucket=f"litestream-soak-{stamp}",
        prefix=prefix,
        region=region,
        endpoint=server.endpoint,
        embedded=True,
        fixed_keys=server.keys,
        server_dir=server.data_dir,
    )
    # Outside us-east-1, S3 wants the region named again when the bucket is created.
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        target.client().create_bucket(Bucket=target.bucket, **where)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise UserError(f"the embedded S3 did not create its bucket in region {region}: {exc}") from None
    return target


_WRONG_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
}


def classify_s3_error(exc: BaseException, target: S3Target) -> UserError:
    """One sentence for each way S3 can refuse us, with the fix."""
    where = f"s3://{target.bucket}" + (f" at {target.endpoint}" if target.endpoint else "")
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return UserError(
            "no AWS credentials found; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, "
            "or run `aws sso login`"
        )
    if isinstance(exc, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError):
        return UserError(
            f"S3 endpoint unreachable: {target.endpoint or 'AWS S3'} does not accept connections; "
            "check --endpoint (host:port, scheme) and the network"
        )
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _WRONG_CREDENTIALS:
            return UserError(
                f"wrong S3 credentials for {where} ({code}); "
                "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile"
            )
        if code in ("NoSuchBucket", "404") or status == 404:
            return UserError(f"no such bucket: {where} does not exist; create it or fix --bucket/S3_BUCKET")
        if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
            return UserError(
                f"access denied to {where}/{target.prefix}/ ({code or status}); grant s3:ListBucket, s3:GetObject, "
                "s3:PutObject and s3:DeleteObject on the bucket and prefix"
            )
        return UserError(f"S3 refused the preflight on {where}: {code or status} {err.get('Message', '')}".rstrip())
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return UserError(f"S3 preflight on {where} failed: {exc}")
    raise exc


def preflight(target: S3Target) -> float:
    """Head the bucket, then put/get/delete a probe object under the prefix; seconds it took."""
    started = time.monotonic()
    client = target.client()
    key = f"{target.prefix}/.soak-preflight-{uuid.uuid4().hex}"
    body = b"litestream soak preflight\n"
    try:
        try:
            client.head_bucket(Bucket=target.bucket)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 403:
                raise
            # A HEAD 403 carries no error code; the probe PUT's error says credentials or policy.
            client.put_object(Bucket=target.bucket, Key=key, Body=body)
            client.delete_object(Bucket=target.bucket, Key=key)
            raise
        client.put_object(Bucket=target.bucket, Key=key, Body=body)
        got = client.get_object(Bucket=target.bucket, Key=key)["Body"].read()
        client.delete_object(Bucket=target.bucket, Key=key)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise classify_s3_error(exc, target) from None
    if got != body:
        raise UserError(f"S3 preflight read back different bytes from s3://{target.bucket}/{key}; check the endpoint")
    return time.monotonic() - started


@dataclass
class LevelStats:
    objects: int = 0
    bytes: int = 0
    max_txid: int = 0

    def add(self, size: int, max_txid: int) -> None:
        self.objects += 1
        self.bytes += size
        self.max_txid = max(self.max_txid, max_txid)


@dataclass
class Listing:
    """One pass over the replica: objects and bytes per LTX level, and the requests it cost."""

    objects: int = 0
    bytes: int = 0
    requests: int = 0
    levels: dict[int, LevelStats] = field(default_factory=dict)

    def add(self, name: str, size: int) -> None:
        self.objects += 1
        self.bytes += size
        match = LTX_KEY.search(name)
        if match:
            level = int(match.group("lvl"), 16)
            self.levels.setdefault(level, LevelStats()).add(size, int(match.group("max"), 16))

    @property
    def l0_max_txid(self) -> int | None:
        stats = self.levels.get(0)
        return stats.max_txid if stats and stats.objects else None

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "bytes": self.bytes,
            "requests": self.requests,
            "levels": {str(k): vars(v).copy() for k, v in sorted(self.levels.items())},
        }


class S3Lister:
    """Lists the replica with one paginated ListObjectsV2 pass, counting every HTTP request sent."""

    def __init__(self, target: S3Target) -> None:
        self.target = target
        self.client = target.client()
        self.requests_sent = 0
        self.page_size: int | None = None  # None: S3's default of 1000 keys per page
        self.client.meta.events.register("before-send.s3", self._count)

    def _count(self, **_: Any) -> None:
        self.requests_sent += 1

    def listing(self, level: int | None = None) -> Listing:
        """The whole replica, or one level's folder (catch-up only needs L0)."""
        prefix = f"{self.target.prefix}/" + (f"{level:04x}/" if level is not None else "")
        before = self.requests_sent
        out = Listing()
        paging = {"PageSize": self.page_size} if self.page_size else {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.target.bucket, Prefix=prefix, PaginationConfig=paging
        )
        for page in pages:
            for obj in page.get("Contents", []):
                out.add(obj["Key"], int(obj["Size"]))
        out.requests = self.requests_sent - before
        return out


class FileLister:
    """The same listing for a ``file`` replica: ``<root>/ltx/<level decimal>/<min>-<max>.ltx``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def listing(self, level: int | None = None) -> Listing:
        out = Listing()
        base = self.root / "ltx"
        for path in sorted(base.glob(f"{level}/*.ltx" if level is not None else "*/*.ltx")):
            try:
                size = path.stat().st_size
            except OSError:
                continue  # removed by retention between glob and stat
            out.add(f"{int(path.parent.name):04x}/{path.name}", size)
        return out


def local_txid(meta_dir: Path) -> int | None:
    """The newest TXID litestream has staged locally (``.<db>-litestream/ltx/<level>/``)."""
    best: int | None = None
    for path in meta_dir.glob("ltx/*/*.ltx"):
        match = LTX_KEY.search(f"0000/{path.name}")
        if match:
            best = max(best or 0, int(match.group("max"), 16))
    return best
