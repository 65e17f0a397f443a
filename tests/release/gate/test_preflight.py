"""Preflight checks against real git repos, the real test S3 server (versitygw) and a local bare tap remote."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import git
import pytest

from common.processes import free_port
from common.versions import parse_version
from release.build.litestream_release import install_release
from release.gate import preflight
from tests.support.checkouts import commit_file, make_checkout
from tests.support.litestream import PINNED, RealLitestream
from tests.support.s3_server import FAKE_CREDS, S3Server, s3_server

__all__ = ["s3_server"]

FAKE_TOKEN = "fake-token-TESTONLY"
BREWS_TO_OUR_TAP = """\
brews:
  - name: litestream
    repository:
      owner: benbjohnson
      name: homebrew-litestream
      token: "{{ .Env.HOMEBREW_TAP_GITHUB_TOKEN }}"
"""


def _settings(**overrides: str) -> preflight.Settings:
    values = {
        "s3_bucket": "",
        "s3_endpoint": "",
        "s3_region": "us-east-1",
        "tap_repo": "https://github.com/benbjohnson/homebrew-litestream.git",
        "tap_branch": "main",
    }
    values.update(overrides)
    return preflight.Settings(**values)


def _check(report: preflight.PreflightReport, name: str) -> preflight.Check:
    return next(check for check in report.checks if check.name == name)


def test_clean_checkout_untagged_version_passes_the_git_checks(tmp_path: Path) -> None:
    src, repo = make_checkout(tmp_path / "src")
    report = preflight.run_preflight(src, parse_version("v0.6.0"), publish=False, settings=_settings())
    assert _check(report, "clean checkout").status == "ok"
    version = _check(report, "version tag")
    assert version.status == "ok" and "not tagged yet: snapshot build" in version.detail
    assert report.head_sha == repo.head.commit.hexsha
    assert report.tagged_at_head is False
    assert _check(report, "s3 bucket").status == "ok", "no bucket: the embedded S3 is found or installed"
    assert _check(report, "tap push").status == "skip"


def test_dirty_checkout_fails_naming_the_files(tmp_path: Path) -> None:
    src, _ = make_checkout(tmp_path / "src")
    (src / "main.go").write_text("package litestream // edited\n")
    (src / "notes.txt").write_text("untracked\n")
    report = preflight.run_preflight(src, parse_version("v0.6.0"), publish=False, settings=_settings())
    check = _check(report, "clean checkout")
    assert check.status == "fail"
    assert "main.go" in check.detail and "notes.txt" in check.detail
    assert not report.passed
    # The key figure counts every failed line; on a machine without ruby that line fails too.
    failed = sum(1 for c in report.checks if c.status == "fail")
    assert failed == 1 + (shutil.which("ruby") is None)
    assert f"{failed} ✘" in report.key_figure()


def test_version_tagged_at_head_is_a_release_build(tmp_path: Path) -> None:
    src, repo = make_checkout(tmp_path / "src")
    repo.create_tag("v0.5.16", message="v0.5.16")
    report = preflight.run_preflight(src, parse_version("v0.5.16"), publish=False, settings=_settings())
    assert _check(report, "version tag").status == "ok"
    assert report.tagged_at_head is True


def test_version_tagged_elsewhere_fails(tmp_path: Path) -> None:
    src, repo = make_checkout(tmp_path / "src")
    tagged = repo.head.commit.hexsha
    repo.create_tag("v0.5.16")
    commit_file(repo, "later.go", "package litestream\n")
    report = preflight.run_preflight(src, parse_version("v0.5.16"), publish=False, settings=_settings())
    check = _check(report, "version tag")
    assert check.status == "fail"
    assert f"already tagged at {tagged[:12]}" in check.detail


def test_not_a_checkout_is_a_failed_line_not_a_crash(tmp_path: Path) -> None:
    report = preflight.run_preflight(tmp_path / "nowhere", parse_version("v0.6.0"), publish=False, settings=_settings())
    assert _check(report, "clean checkout").status == "fail"
    assert "does not exist" in _check(report, "clean checkout").detail


def test_goreleaser_brews_to_our_tap_warns_without_publish_and_fails_with_it(tmp_path: Path) -> None:
    src, _ = make_checkout(tmp_path / "src", goreleaser=BREWS_TO_OUR_TAP)
    version = parse_version("v0.6.0")
    warn = preflight.check_goreleaser_brews(src, _settings(), version, publish=False)
    assert warn.status == "warn" and "benbjohnson/homebrew-litestream" in warn.detail
    report = preflight.PreflightReport(checks=[warn])
    assert report.passed and report.key_figure() == "0 ✔, 0 ✘, 1 ⚠ (single tap writer), 0 n/a"
    assert preflight.check_goreleaser_brews(src, _settings(), version, publish=True).status == "fail"
    other_tap = _settings(tap_repo="git@github.com:someone/homebrew-other.git")
    assert preflight.check_goreleaser_brews(src, other_tap, version, publish=True).status == "ok"


def test_goreleaser_brews_with_skip_upload_is_not_a_second_writer(tmp_path: Path) -> None:
    config = BREWS_TO_OUR_TAP.replace("  - name: litestream\n", "  - name: litestream\n    skip_upload: true\n")
    src, _ = make_checkout(tmp_path / "src", goreleaser=config)
    check = preflight.check_goreleaser_brews(src, _settings(), parse_version("v0.6.0"), publish=True)
    assert check.status == "ok"


def test_publish_without_token_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(preflight.TAP_TOKEN_ENV, raising=False)
    check = preflight.check_tap_push(_settings(), publish=True)
    assert check.status == "fail" and preflight.TAP_TOKEN_ENV in check.detail


def test_publish_token_can_push_to_the_tap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tap = tmp_path / "tap.git"
    git.Repo.init(tap, bare=True)
    monkeypatch.setenv(preflight.TAP_TOKEN_ENV, FAKE_TOKEN)
    check = preflight.check_tap_push(_settings(tap_repo=str(tap)), publish=True)
    assert check.status == "ok", check.detail
    assert FAKE_TOKEN not in check.detail
    assert list(git.Repo(tap).heads) == []  # a dry run pushes nothing


def test_publish_to_an_unreachable_tap_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(preflight.TAP_TOKEN_ENV, FAKE_TOKEN)
    check = preflight.check_tap_push(_settings(tap_repo=str(tmp_path / "missing.git")), publish=True)
    assert check.status == "fail" and "cannot push" in check.detail
    assert FAKE_TOKEN not in check.detail


def test_publish_sends_the_token_through_askpass_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over https the token goes to git via GIT_ASKPASS; it appears in no message (127.0.0.1, nothing listens)."""
    monkeypatch.setenv(preflight.TAP_TOKEN_ENV, FAKE_TOKEN)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check = preflight.check_tap_push(_settings(tap_repo=f"http://127.0.0.1:{port}/tap.git"), publish=True)
    assert check.status == "fail" and "cannot push to http://127.0.0.1" in check.detail
    assert FAKE_TOKEN not in check.detail


def test_tap_url_with_a_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(preflight.TAP_TOKEN_ENV, FAKE_TOKEN)
    check = preflight.check_tap_push(_settings(tap_repo="https://user:hunter2@github.com/o/tap.git"), publish=True)
    assert check.status == "fail" and "hunter2" not in check.detail


def test_s3_bucket_reachable_and_missing(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in FAKE_CREDS.items():
        monkeypatch.setenv(key, value)
    s3_server.client().create_bucket(Bucket="gate-soak")
    ok = preflight.check_s3(_settings(s3_bucket="gate-soak", s3_endpoint=s3_server.endpoint))
    assert ok.status == "ok", ok.detail
    missing = preflight.check_s3(_settings(s3_bucket="no-such-bucket", s3_endpoint=s3_server.endpoint))
    assert missing.status == "fail" and "404" in missing.detail


def test_no_bucket_installs_the_embedded_s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without a bucket the soak needs its embedded S3: found in the tools cache, or a failed install is the line."""
    found = preflight.check_s3(_settings(s3_bucket=""))
    assert found.status == "ok" and "embedded S3" in found.detail and "versitygw" in found.detail, found.detail
    monkeypatch.setenv("LITESTREAM_TOOLS_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no go
    missing = preflight.check_s3(_settings(s3_bucket=""))
    assert missing.status == "fail" and "`go` is not on PATH" in missing.detail and "--endpoint" in missing.detail


# --- --baseline: the release is installed before anything long runs ------------------------------------------------


def test_a_baseline_release_is_installed_in_preflight(tmp_path: Path, litestream: RealLitestream) -> None:
    """The pinned release (the cache CI fills at its start): preflight names it and where it is."""
    install_release(PINNED, say=False)
    src, _ = make_checkout(tmp_path / "src")
    report = preflight.run_preflight(
        src, parse_version("v0.6.0"), publish=False, settings=_settings(), baseline=parse_version(PINNED)
    )
    check = _check(report, "baseline release")
    assert check.status == "ok" and check.detail.startswith(f"{PINNED} installed in ")
    without = preflight.run_preflight(src, parse_version("v0.6.0"), publish=False, settings=_settings())
    assert "baseline release" not in [c.name for c in without.checks], "no --baseline, no row"


def test_a_baseline_the_proxy_cannot_serve_fails_preflight_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the builds, the suites and the candidate's soak: not an hour later, when the baseline soak starts."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("GOPROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "empty-gomod"))
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    src, _ = make_checkout(tmp_path / "src")
    report = preflight.run_preflight(
        src, parse_version("v0.6.0"), publish=False, settings=_settings(), baseline=parse_version("v0.5.15")
    )
    check = _check(report, "baseline release")
    assert check.status == "fail" and "\n" not in check.detail
    assert "cannot list Litestream's versions" in check.detail and "GOPROXY" in check.detail
