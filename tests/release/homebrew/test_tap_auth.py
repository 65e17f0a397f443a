"""HOMEBREW_TAP_GITHUB_TOKEN over a real smart-HTTP git server with Basic auth: it works and leaks nowhere."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from common.errors import UserError
from release.homebrew.git_auth import TOKEN_ENV, git_auth
from release.homebrew.jobs import tap_job
from release.homebrew.tap import TapTarget
from tests.support.cli import run_invoke
from tests.support.homebrew import (
    FAKE_TOKEN,
    OLDER,
    ServedRelease,
    commit_count,
    git_http_server,
    make_tap,
    show,
)

SECRETS = (FAKE_TOKEN, base64.b64encode(f"x-access-token:{FAKE_TOKEN}".encode()).decode())


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"token found in {where}"


def test_push_with_token_and_the_token_appears_nowhere(
    published: ServedRelease, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    make_tap(tmp_path / "srv", {"litestream.rb": OLDER.read_text()})
    trace = tmp_path / "git-trace.log"
    monkeypatch.setenv(TOKEN_ENV, FAKE_TOKEN)
    monkeypatch.setenv("GIT_TRACE", str(trace))
    monkeypatch.setenv("GIT_TRACE_CURL", str(trace))
    work = tmp_path / "work"
    said: list[str] = []
    with git_http_server(tmp_path / "srv", FAKE_TOKEN) as (base, app):
        url = f"{base}/tap.git"
        result = tap_job(
            published.inputs(),
            TapTarget(url, "main", "Bot", "bot@example.invalid"),
            "litestream.rb",
            dry_run=False,
            say=said.append,
            workdir=work,
        )
    assert result.status == "pushed"
    assert show(tmp_path / "srv" / "tap.git", "litestream.rb") == published.formula()
    assert any(a.startswith("Basic ") for a in app.authorizations), "the server never saw credentials"
    clone = work / "tap"
    assert_no_secret((clone / ".git" / "config").read_text(), ".git/config")
    assert git_remote_url(clone) == url
    assert_no_secret((work / "askpass.sh").read_text(), "the askpass script")
    assert_no_secret("\n".join(said), "task output")
    out, err = capfd.readouterr()
    assert_no_secret(out + err, "captured stdout/stderr")
    traced = trace.read_text(errors="replace")
    assert "run_command:" in traced and "askpass.sh" in traced  # argv of every git child is in here
    assert_no_secret(traced, "GIT_TRACE/GIT_TRACE_CURL output (argv, headers)")
    for path in clone.rglob("*"):
        if path.is_file():
            assert_no_secret(path.read_text(errors="replace"), str(path))


def git_remote_url(clone: Path) -> str:
    from git import Repo

    return str(Repo(clone).remotes.origin.url)


def test_without_the_token_the_push_fails_with_a_hint(
    published: ServedRelease, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tap(tmp_path / "srv", {"litestream.rb": OLDER.read_text()})
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with git_http_server(tmp_path / "srv", FAKE_TOKEN) as (base, _), pytest.raises(UserError, match=f"set {TOKEN_ENV}"):
        tap_job(
            published.inputs(),
            TapTarget(f"{base}/tap.git", "main", "B", "b@x"),
            "litestream.rb",
            dry_run=False,
            say=print,
        )
    assert commit_count(tmp_path / "srv" / "tap.git") == 1


def test_wrong_token_fails_cleanly_without_echoing_it(
    published: ServedRelease, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tap(tmp_path / "srv", {"litestream.rb": OLDER.read_text()})
    monkeypatch.setenv(TOKEN_ENV, "wrong-fake-token-TESTONLY")
    with git_http_server(tmp_path / "srv", FAKE_TOKEN) as (base, _), pytest.raises(UserError) as caught:
        tap_job(
            published.inputs(),
            TapTarget(f"{base}/tap.git", "main", "B", "b@x"),
            "litestream.rb",
            dry_run=False,
            say=print,
        )
    assert "wrong-fake-token-TESTONLY" not in str(caught.value)
    assert "Authentication failed" in str(caught.value)


def test_token_through_the_real_cli_with_git_trace(published: ServedRelease, tmp_path: Path) -> None:
    make_tap(tmp_path / "srv", {"litestream.rb": OLDER.read_text()})
    with git_http_server(tmp_path / "srv", FAKE_TOKEN) as (base, _):
        result = run_invoke(
            "release.tap",
            "--version",
            "v0.5.16",
            "--tap-repo",
            f"{base}/tap.git",
            env={
                TOKEN_ENV: FAKE_TOKEN,
                "GIT_TRACE": "1",
                "GIT_TRACE_CURL": "1",
                "INVOKE_RELEASE_URL_BASE": published.url_base,
            },
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pushed" in result.stdout
    assert_no_secret(result.stdout + result.stderr, "CLI output with GIT_TRACE=1")
    assert commit_count(tmp_path / "srv" / "tap.git") == 2


def test_password_in_the_url_is_refused_and_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        git_auth(f"https://me:{FAKE_TOKEN}@github.com/benbjohnson/homebrew-litestream.git", tmp_path)
    assert FAKE_TOKEN not in str(caught.value) and TOKEN_ENV in str(caught.value)


def test_token_is_never_sent_over_plain_http_to_another_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, FAKE_TOKEN)
    with pytest.raises(UserError, match="refusing to send"):
        git_auth("http://example.invalid/tap.git", tmp_path)


def test_auth_env_disables_credential_helpers_and_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, FAKE_TOKEN)
    auth = git_auth("https://github.com/benbjohnson/homebrew-litestream.git", tmp_path)
    assert auth.env["GIT_CONFIG_KEY_0"] == "credential.helper" and auth.env["GIT_CONFIG_VALUE_0"] == ""
    assert auth.env["GIT_TERMINAL_PROMPT"] == "0"
    assert FAKE_TOKEN not in "".join(auth.env.values())
    assert os.access(auth.env["GIT_ASKPASS"], os.X_OK)


def test_old_git_that_ignores_env_config_is_refused_when_a_token_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class OldGit:
        version_info = (2, 30, 9)

    monkeypatch.setenv(TOKEN_ENV, FAKE_TOKEN)
    monkeypatch.setattr("release.homebrew.git_auth.Git", OldGit)
    with pytest.raises(UserError, match=r"git 2\.30 cannot take settings from the environment.*git >= 2\.31"):
        git_auth("https://github.com/benbjohnson/homebrew-litestream.git", tmp_path)
