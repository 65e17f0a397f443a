"""Real mitmdump between boto3 and the test S3 server: a fraction of requests get S3 503/500 answers, counted;
SigV4 still valid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from soak.faults.http_errors import HttpErrorProxy
from tests.soak.faults.conftest import FAKE_KEY, FAKE_SECRET


def put_many(s3: Any, n: int, bucket: str, retry_after: dict[str, set[str]] | None = None) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for i in range(n):
        try:
            s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x" * 64)
            outcomes["ok"] += 1
        except ClientError as exc:
            answer = f"{exc.response['ResponseMetadata']['HTTPStatusCode']} {exc.response['Error']['Code']}"
            outcomes[answer] += 1
            if retry_after is not None:
                headers = exc.response["ResponseMetadata"].get("HTTPHeaders", {})
                retry_after.setdefault(answer, set()).add(headers.get("retry-after", "none"))
    return outcomes


def test_half_of_the_requests_get_s3_errors_and_every_one_is_counted(
    mitmdump_bin: Path, tmp_path: Path, s3_endpoint: str, make_s3: Callable[..., Any]
) -> None:
    proxy = HttpErrorProxy(mitmdump_bin, s3_endpoint, tmp_path, rate=0.0, seed=11)
    s3 = make_s3(f"http://127.0.0.1:{proxy.start()}")
    try:
        s3.create_bucket(Bucket="errors-half")
        proxy.set_rate(0.5)
        retry_after: dict[str, set[str]] = {}
        outcomes = put_many(s3, 100, "errors-half", retry_after)
        injected = proxy.new_injections()
        proxy.set_rate(0.0)
        assert put_many(s3, 20, "errors-half") == Counter(ok=20)
    finally:
        proxy.stop()
    failed = 100 - outcomes["ok"]
    assert 35 <= failed <= 65, outcomes
    kinds = {"503 SlowDown", "500 InternalError", "429 TooManyRequests", "408 RequestTimeout"}
    assert set(outcomes) - {"ok"} == kinds
    # Throttling answers carry Retry-After, as providers send it; the 5xx ones none.
    assert retry_after == {
        "503 SlowDown": {"none"}, "500 InternalError": {"none"},
        "429 TooManyRequests": {"1"}, "408 RequestTimeout": {"1"},
    }  # fmt: skip
    assert len(injected) == failed, "each injected answer is logged exactly once"
    assert {f"{e.status} {e.code}" for e in injected} == kinds
    assert all(e.method == "PUT" and e.path.startswith("/errors-half/") for e in injected)
    assert proxy.new_injections() == []


def test_rate_zero_injects_nothing(
    mitmdump_bin: Path, tmp_path: Path, s3_endpoint: str, make_s3: Callable[..., Any]
) -> None:
    proxy = HttpErrorProxy(mitmdump_bin, s3_endpoint, tmp_path, rate=0.0, seed=1)
    s3 = make_s3(f"http://127.0.0.1:{proxy.start()}")
    try:
        s3.create_bucket(Bucket="errors-none")
        assert put_many(s3, 30, "errors-none") == Counter(ok=30)
        assert proxy.new_injections() == []
    finally:
        proxy.stop()


def test_s3_signature_still_validates_through_the_reverse_proxy(
    mitmdump_bin: Path, tmp_path: Path, s3_endpoint: str, make_s3: Callable[..., Any]
) -> None:
    """The test S3 server checks every SigV4 signature: through the proxy, good keys work and a wrong secret fails."""
    key, secret = FAKE_KEY, FAKE_SECRET
    proxy = HttpErrorProxy(mitmdump_bin, s3_endpoint, tmp_path, rate=0.0, seed=1)
    via = f"http://127.0.0.1:{proxy.start()}"
    try:
        good = make_s3(via, key=key, secret=secret)
        good.create_bucket(Bucket="signed-bucket")
        good.put_object(Bucket="signed-bucket", Key="a", Body=b"1")
        assert good.get_object(Bucket="signed-bucket", Key="a")["Body"].read() == b"1"
        with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
            make_s3(via, key=key, secret="wrong-secret-TESTONLY").list_objects_v2(Bucket="signed-bucket")
    finally:
        proxy.stop()
