"""The tap token reaches no child that does not push to the tap, and a URL's password is masked where it is shown."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from common.processes import Child, environ_without
from common.secrets import mask
from release.gate.go_test import go_test_env
from soak.run.s3 import S3Target

TOKEN = "ghp_not-a-real-token-0123456789"


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HOMEBREW_TAP_GITHUB_TOKEN", TOKEN)
    return TOKEN


def test_no_child_environment_carries_the_tap_token(token: str) -> None:
    litestream_env, _ = S3Target("b", "p", "us-east-1").child_env()
    for env in (environ_without("AWS_"), go_test_env(), litestream_env):
        assert "HOMEBREW_TAP_GITHUB_TOKEN" not in env and token not in env.values()


@pytest.mark.parametrize("explicit", [True, False], ids=["environ_without", "inherited"])
def test_a_real_child_does_not_see_the_token(token: str, explicit: bool, tmp_path: Path) -> None:
    """Read from the kernel: the running child's /proc/<pid>/environ, with an env given and with none."""
    argv = [sys.executable, "-c", "import time; time.sleep(30)"]
    child = Child("sleeper", argv, tmp_path / "c.log", env=environ_without("AWS_") if explicit else None).start()
    try:
        assert child.proc is not None
        time.sleep(0.2)
        environ = Path(f"/proc/{child.proc.pid}/environ").read_bytes()
        assert token.encode() not in environ and b"PATH=" in environ
    finally:
        child.stop(grace_s=1)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:s3cret@proxy.example/path", "https://user:***@proxy.example/path"),
        ("GOPROXY http://u:p@127.0.0.1:9/ failed", "GOPROXY http://u:***@127.0.0.1:9/ failed"),
        ("https://proxy.golang.org,direct", "https://proxy.golang.org,direct"),
    ],
)
def test_a_urls_password_is_masked(text: str, shown: str) -> None:
    assert mask(text) == shown
