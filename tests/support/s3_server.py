"""The one S3 server of the tests: the soak's own embedded versitygw (soak.run.s3_server), a real process on
127.0.0.1 over a temporary directory, installed once into the tools cache.

Its root keys are the tests' dummy ``FAKE_CREDS``; an IAM file adds ``NO_POLICY_USER``, an account with the
``user`` role and no bucket of its own, so access-denied answers are real too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from soak.run.s3_server import EmbeddedS3, ensure_versitygw

FAKE_CREDS = {"AWS_ACCESS_KEY_ID": "fake-key-TESTONLY", "AWS_SECRET_ACCESS_KEY": "fake-secret-TESTONLY"}
NO_POLICY_USER = {"AWS_ACCESS_KEY_ID": "fake-user-TESTONLY", "AWS_SECRET_ACCESS_KEY": "fake-user-secret-TESTONLY"}


class S3Server:
    """versitygw on a free loopback port with the dummy root keys and one unprivileged user."""

    def __init__(self, root: Path) -> None:
        iam = root / "iam"
        iam.mkdir(parents=True, exist_ok=True)
        user = {
            "access": NO_POLICY_USER["AWS_ACCESS_KEY_ID"],
            "secret": NO_POLICY_USER["AWS_SECRET_ACCESS_KEY"],
            "role": "user",
            "userID": 0,
            "groupID": 0,
            "projectID": 0,
        }
        (iam / "users.json").write_text(json.dumps({"accessAccounts": {user["access"]: user}}))
        self.server = EmbeddedS3(
            ensure_versitygw(),
            root / "data",
            root / "s3.log",
            root_keys=(FAKE_CREDS["AWS_ACCESS_KEY_ID"], FAKE_CREDS["AWS_SECRET_ACCESS_KEY"]),
            extra_args=("--iam-dir", str(iam)),
        ).start()
        self.endpoint = self.server.endpoint
        self.child = self.server.child

    def client(self, **creds: str) -> Any:
        """boto3 S3 on this server, as root unless ``aws_access_key_id``/``aws_secret_access_key`` say otherwise."""
        config = Config(retries={"total_max_attempts": 2}, s3={"addressing_style": "path"})
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            config=config,
            aws_access_key_id=creds.get("aws_access_key_id", FAKE_CREDS["AWS_ACCESS_KEY_ID"]),
            aws_secret_access_key=creds.get("aws_secret_access_key", FAKE_CREDS["AWS_SECRET_ACCESS_KEY"]),
        )

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("s3-server"))
    yield server
    server.stop()
