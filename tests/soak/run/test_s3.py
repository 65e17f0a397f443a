"""The S3 side against the real embedded S3 server (versitygw): preflight classification and per-level listings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from common.errors import UserError
from common.processes import free_port
from soak.run.s3 import (
    FileLister,
    S3Lister,
    S3Target,
    check_credentials,
    embedded_target,
    local_txid,
    preflight,
)
from soak.run.s3_server import EmbeddedS3, ensure_versitygw
from tests.support.cli import assert_one_error_line
from tests.support.s3_server import FAKE_CREDS, NO_POLICY_USER, S3Server, s3_server
from tests.support.soak import STANDINS, invoke_cli

__all__ = ["s3_server"]


def target(server: S3Server, bucket: str, **creds: str) -> S3Target:
    return S3Target(
        bucket=bucket,
        prefix="soak/pre",
        region="us-east-1",
        endpoint=server.endpoint,
        fixed_keys={**FAKE_CREDS, **creds},
    )


@pytest.fixture(scope="module")
def auth_bucket(s3_server: S3Server) -> str:
    """A bucket of the root account, which the unprivileged user may not touch."""
    s3_server.client().create_bucket(Bucket="auth-bucket")
    return "auth-bucket"


def test_preflight_passes_and_leaves_no_probe(s3_server: S3Server) -> None:
    client: Any = s3_server.client()
    client.create_bucket(Bucket="preflight-ok")
    seconds = preflight(target(s3_server, "preflight-ok"))
    assert seconds >= 0
    assert client.list_objects_v2(Bucket="preflight-ok").get("KeyCount", 0) == 0


def test_preflight_bucket_missing(s3_server: S3Server) -> None:
    with pytest.raises(UserError, match="no such bucket: s3://does-not-exist-bucket"):
        preflight(target(s3_server, "does-not-exist-bucket"))


def test_preflight_no_credentials(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No keys given and none in the standard chain: boto3 cannot sign, and the line says where keys come from."""
    _no_aws_environment(monkeypatch, tmp_path)
    with pytest.raises(UserError, match="no AWS credentials found; set AWS_ACCESS_KEY_ID"):
        preflight(S3Target("auth-bucket", "soak/pre", "us-east-1", endpoint=s3_server.endpoint))


def test_preflight_endpoint_unreachable() -> None:
    closed = S3Target("any-bucket", "p", "us-east-1", endpoint=f"http://127.0.0.1:{free_port()}", fixed_keys=FAKE_CREDS)
    with pytest.raises(UserError, match="S3 endpoint unreachable"):
        preflight(closed)


def test_preflight_unknown_access_key_is_wrong_credentials(s3_server: S3Server, auth_bucket: str) -> None:
    with pytest.raises(UserError, match=r"wrong S3 credentials .*InvalidAccessKeyId"):
        preflight(target(s3_server, auth_bucket, AWS_ACCESS_KEY_ID="fake-unknown-TESTONLY"))


def test_preflight_wrong_secret_is_wrong_credentials(s3_server: S3Server, auth_bucket: str) -> None:
    with pytest.raises(UserError, match=r"wrong S3 credentials .*SignatureDoesNotMatch"):
        preflight(target(s3_server, auth_bucket, AWS_SECRET_ACCESS_KEY="fake-wrong-secret-TESTONLY"))


def test_preflight_user_without_policy_is_access_denied(s3_server: S3Server, auth_bucket: str) -> None:
    with pytest.raises(UserError, match=r"access denied to s3://auth-bucket.*AccessDenied.*s3:PutObject"):
        preflight(target(s3_server, auth_bucket, **NO_POLICY_USER))


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_embedded_target_creates_its_bucket(region: str, tmp_path: Path) -> None:
    """In any region: the server is started in the soak's region, and outside us-east-1 the bucket needs its
    location named (AWS_REGION=eu-west-1 reaches both)."""
    server = EmbeddedS3(ensure_versitygw(), tmp_path / "s3", tmp_path / "s3.log", region=region).start()
    try:
        stamp = f"20260101-{region.replace('-', '')}"
        t = embedded_target(server, "pre", region, stamp)
        assert t.embedded and t.bucket == f"litestream-soak-{stamp}" and t.region == region
        assert t.fixed_keys == server.keys
        preflight(t)
        assert (tmp_path / "s3" / t.bucket).is_dir(), "the bucket is a directory under the server's directory"
    finally:
        server.stop()


def _put(client: Any, bucket: str, key: str, size: int) -> None:
    client.put_object(Bucket=bucket, Key=key, Body=b"\0" * size)


def test_listing_per_level_with_pagination(s3_server: S3Server) -> None:
    client: Any = s3_server.client()
    client.create_bucket(Bucket="listing-levels")
    keys = {
        "soak/pre/0000/0000000000000001-0000000000000001.ltx": 100,
        "soak/pre/0000/0000000000000002-000000000000000a.ltx": 10,
        "soak/pre/0001/0000000000000001-0000000000000008.ltx": 50,
        "soak/pre/0009/0000000000000001-0000000000000005.ltx": 500,
        "soak/pre/notes.txt": 7,  # counted in the totals, not in a level
        "soak/other/0000/0000000000000001-00000000000000ff.ltx": 1,  # another prefix: not ours
    }
    for key, size in keys.items():
        _put(client, "listing-levels", key, size)
    lister = S3Lister(target(s3_server, "listing-levels"))
    lister.page_size = 2
    listing = lister.listing()
    assert (listing.objects, listing.bytes) == (5, 667)
    assert listing.requests == 3  # five keys in pages of two: one paginated pass, three requests
    levels = listing.to_json()["levels"]
    assert levels["0"] == {"objects": 2, "bytes": 110, "max_txid": 10}
    assert levels["1"] == {"objects": 1, "bytes": 50, "max_txid": 8}
    assert levels["9"] == {"objects": 1, "bytes": 500, "max_txid": 5}
    assert listing.l0_max_txid == 10
    only_l0 = lister.listing(level=0)
    assert (only_l0.objects, only_l0.l0_max_txid, only_l0.requests) == (2, 10, 1)


def test_file_replica_listing_and_local_txid(tmp_path: Path) -> None:
    for level, name in [(0, "0000000000000003-0000000000000004.ltx"), (9, "0000000000000001-0000000000000002.ltx")]:
        (tmp_path / "ltx" / str(level)).mkdir(parents=True, exist_ok=True)
        (tmp_path / "ltx" / str(level) / name).write_bytes(b"x" * 3)
    listing = FileLister(tmp_path).listing()
    assert set(listing.to_json()["levels"]) == {"0", "9"}
    assert listing.l0_max_txid == 4
    assert local_txid(tmp_path) == 4


def test_restore_url_carries_the_custom_endpoint() -> None:
    t = S3Target("b-bucket", "pre/fix", "us-east-1", endpoint="http://127.0.0.1:9000")
    assert t.restore_url() == (
        "s3://b-bucket/pre/fix?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&forcePathStyle=true"
    )
    assert S3Target("b-bucket", "p", "eu-west-1").restore_url() == "s3://b-bucket/p?region=eu-west-1"


def test_child_env_has_the_fixed_keys_and_no_ca_bundle_for_http() -> None:
    t = S3Target("b-bucket", "p", "us-east-1", endpoint="http://127.0.0.1:9", fixed_keys=FAKE_CREDS)
    base = {"AWS_CA_BUNDLE": "/etc/ca.pem", "AWS_SESSION_TOKEN": "stale-TESTONLY", "AWS_PROFILE": "sso", "PATH": "/bin"}
    env, notes = t.child_env(base)
    assert env["AWS_ACCESS_KEY_ID"] == FAKE_CREDS["AWS_ACCESS_KEY_ID"]
    assert "AWS_CA_BUNDLE" not in env and "AWS_SESSION_TOKEN" not in env
    assert "AWS_PROFILE" not in env, "the fixed keys, not the maintainer's profile, for the embedded S3"
    assert notes and "AWS_CA_BUNDLE" in notes[0]
    https = S3Target("b-bucket", "p", "us-east-1", endpoint="https://s3.example", fixed_keys=FAKE_CREDS)
    assert https.child_env({"AWS_CA_BUNDLE": "/etc/ca.pem"})[0]["AWS_CA_BUNDLE"] == "/etc/ca.pem"


# ------------------------------------------------------------------ through the real invoke CLI


def _cli_s3(tmp_path: Path, endpoint: str, bucket: str, env: dict[str, str] | None = None) -> Any:
    run = tmp_path / "run"
    done = invoke_cli(
        "--bin", str(STANDINS), "--bucket", bucket, "--endpoint", endpoint, "--test-dir", str(run), env=env
    )
    return done, run


def test_cli_endpoint_unreachable(tmp_path: Path) -> None:
    done, run = _cli_s3(tmp_path, f"http://127.0.0.1:{free_port()}", "any-bucket")
    assert_one_error_line(done, "S3 endpoint unreachable", "--endpoint")
    assert not run.exists()


def test_cli_bucket_missing(s3_server: S3Server, tmp_path: Path) -> None:
    done, _ = _cli_s3(tmp_path, s3_server.endpoint, "missing-bucket-cli")
    assert_one_error_line(done, "no such bucket")


def test_cli_wrong_credentials(s3_server: S3Server, auth_bucket: str, tmp_path: Path) -> None:
    env = {**NO_POLICY_USER, "AWS_SECRET_ACCESS_KEY": "fake-wrong-secret-TESTONLY"}
    done, _ = _cli_s3(tmp_path, s3_server.endpoint, auth_bucket, env=env)
    line = assert_one_error_line(done, "wrong S3 credentials")
    assert "fake-wrong-secret-TESTONLY" not in done.stdout + done.stderr
    assert NO_POLICY_USER["AWS_ACCESS_KEY_ID"] not in line


def _no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254 from a test


def test_no_credentials_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_aws_environment(monkeypatch, tmp_path)
    with pytest.raises(UserError, match="no AWS credentials found; set AWS_ACCESS_KEY_ID"):
        check_credentials("us-east-1")


def test_a_broken_profile_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(UserError, match=r"cannot load AWS credentials: .*no-such-profile.*aws sso login"):
        check_credentials("us-east-1")


def test_credentials_from_the_environment_are_found_not_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-chain-key-TESTONLY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-chain-secret-TESTONLY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert check_credentials("us-east-1") == "env"


CREDENTIAL_PROCESS = """#!{python}
# Hands out short-lived credentials, as SSO or an assumed role does; counts how often it was asked.
import datetime, json, pathlib
counter = pathlib.Path({counter!r})
n = int(counter.read_text() or 0) + 1 if counter.exists() else 1
counter.write_text(str(n))
expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
print(json.dumps({{"Version": 1, "AccessKeyId": {key!r}, "SecretAccessKey": {secret!r},
                  "Expiration": expires.isoformat()}}))
"""


def test_a_profile_passes_through_to_litestream_and_the_harness_refreshes(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Expiring credentials (credential_process, as SSO): boto3 asks again as they expire; nothing is frozen."""
    _no_aws_environment(monkeypatch, tmp_path)
    counter, script = tmp_path / "asked", tmp_path / "creds.py"
    keys = {"key": FAKE_CREDS["AWS_ACCESS_KEY_ID"], "secret": FAKE_CREDS["AWS_SECRET_ACCESS_KEY"]}
    script.write_text(CREDENTIAL_PROCESS.format(python=sys.executable, counter=str(counter), **keys))
    script.chmod(0o755)
    (tmp_path / "config").write_text(f"[profile soak]\ncredential_process = {script}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "soak")
    assert check_credentials("us-east-1") == "custom-process"

    t = S3Target("refreshing-creds", "pre", "us-east-1", endpoint=s3_server.endpoint)
    client: Any = t.client()
    client.create_bucket(Bucket="refreshing-creds")
    for _ in range(3):
        client.list_objects_v2(Bucket="refreshing-creds")
    assert int(counter.read_text()) >= 3, "credentials near expiry must be fetched again, not frozen once"

    env, _ = t.child_env()
    assert env["AWS_PROFILE"] == "soak" and env["AWS_CONFIG_FILE"] == str(tmp_path / "config")
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(env), "no keys handed over"
