"""Preflight: the cheap checks before anything slow, each a ✔/✘ line (the invocations ``release.status`` way).

Order matters only for reading: every check runs, so one look shows everything that needs fixing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
import git
import yaml
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.text import Text

from common.console import terminal
from common.errors import UserError
from common.settings import Settings as ProjectSettings
from common.versions import ReleaseVersion
from release.build import checkout as gosrc
from release.build import toolchain as gotoolchain
from release.build.litestream_release import ensure_release
from release.github import parse_github_url
from release.homebrew.git_auth import TOKEN_ENV as TAP_TOKEN_ENV
from release.homebrew.git_auth import describe_remote, git_auth
from soak.run.s3_server import ensure_versitygw

CheckStatus = Literal["ok", "fail", "warn", "skip"]
MARK: dict[CheckStatus, str] = {"ok": "✔", "fail": "✘", "warn": "⚠", "skip": "–"}


@dataclass
class Check:
    """One preflight line: ok, fail, warn (noted, not blocking) or skip (does not apply)."""

    name: str
    status: CheckStatus
    detail: str


@dataclass
class PreflightReport:
    """Every check's line, plus what later gates need to know (HEAD, whether the version is the tag at HEAD)."""

    checks: list[Check] = field(default_factory=list)
    head_sha: str | None = None
    describe: str | None = None
    tagged_at_head: bool | None = None  # None: the version check could not tell (the checkout did not open)

    @property
    def passed(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def key_figure(self) -> str:
        counts = {status: sum(1 for c in self.checks if c.status == status) for status in MARK}
        warned = [c.name for c in self.checks if c.status == "warn"]
        warnings = f"{counts['warn']} ⚠" + (f" ({', '.join(warned)})" if warned else "")
        return f"{counts['ok']} ✔, {counts['fail']} ✘, {warnings}, {counts['skip']} n/a"

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "head_sha": self.head_sha,
            "describe": self.describe,
            "tagged_at_head": self.tagged_at_head,
        }


@dataclass(frozen=True)
class Settings:
    """What preflight reads from the environment and the config files, resolved as the tasks resolve it."""

    s3_bucket: str
    s3_endpoint: str
    s3_region: str
    tap_repo: str
    tap_branch: str

    @classmethod
    def resolve(cls, settings: ProjectSettings | None = None) -> Settings:
        """The one precedence of common.settings (environment > user config > project config > default)."""
        settings = settings or ProjectSettings.for_project()
        return cls(
            s3_bucket=settings.get("s3.bucket"),
            s3_endpoint=settings.get("s3.endpoint"),
            s3_region=settings.get("s3.region"),
            tap_repo=settings.get("tap.repo"),
            tap_branch=settings.get("tap.branch"),
        )


# --- the checks, in the order they are shown ------------------------------------------------------------------


def check_checkout(src: Path, report: PreflightReport) -> Check:
    """The checkout at --src is clean: evidence must belong to a commit, not to uncommitted edits."""
    checkout = gosrc.open_checkout(src)
    report.head_sha, report.describe = checkout.head_sha, checkout.describe()
    if checkout.is_dirty():
        changed = checkout.dirty_entries()
        listed = ", ".join(line[3:] for line in changed[:5]) + (" …" if len(changed) > 5 else "")
        return Check("clean checkout", "fail", f"{checkout.path} has uncommitted changes: {listed}; commit or stash")
    return Check("clean checkout", "ok", f"HEAD {checkout.head_sha[:12]} ({checkout.describe()})")


def check_version(src: Path, version: ReleaseVersion, report: PreflightReport) -> Check:
    """--version is not tagged yet (snapshot build), or is the tag at HEAD (release build)."""
    checkout = gosrc.open_checkout(src)
    if version.tag in checkout.tags_at_head():
        report.tagged_at_head = True
        return Check("version tag", "ok", f"{version.tag} is the tag at HEAD: release build")
    report.tagged_at_head = False
    tags = {tag.name: tag for tag in git.Repo(checkout.path).tags}
    if version.tag in tags:
        elsewhere = tags[version.tag].commit.hexsha
        return Check(
            "version tag",
            "fail",
            f"{version.tag} is already tagged at {elsewhere[:12]}, not at HEAD {checkout.head_sha[:12]}; "
            "check out that tag or pick the next version",
        )
    return Check("version tag", "ok", f"{version.tag} is not tagged yet: snapshot build")


def check_go(src: Path) -> Check:
    """Go is installed and satisfies the checkout's go.mod."""
    return Check("go toolchain", "ok", str(gotoolchain.check_go(src)))


def check_c_compiler() -> Check:
    """A C compiler for cgo (litestream-test's SQLite driver and the race detector)."""
    return Check("c compiler", "ok", str(gotoolchain.check_c_compiler()))


def check_ruby() -> Check:
    """ruby, for ``ruby -c`` on the rendered formula."""
    ruby = shutil.which("ruby")
    if not ruby:
        return Check("ruby", "fail", "ruby is not on PATH; install it (apt-get install ruby) for the formula check")
    version = subprocess.run([ruby, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return Check("ruby", "ok", version or ruby)


def check_s3(settings: Settings) -> Check:
    """The configured S3 bucket answers HeadBucket; without one the soak's embedded S3 is installed (or found)."""
    if not settings.s3_bucket:
        return check_embedded_s3()
    client = boto3.client(
        "s3",
        region_name=settings.s3_region or None,
        endpoint_url=settings.s3_endpoint or None,
        config=BotoConfig(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )
    where = f"s3://{settings.s3_bucket}" + (f" at {settings.s3_endpoint}" if settings.s3_endpoint else "")
    try:
        client.head_bucket(Bucket=settings.s3_bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        return Check("s3 bucket", "fail", f"{where}: HeadBucket answered {code}; check the bucket name and credentials")
    except BotoCoreError as exc:
        return Check("s3 bucket", "fail", f"{where}: not reachable ({type(exc).__name__}); check endpoint and network")
    return Check("s3 bucket", "ok", f"{where} reachable")


def check_embedded_s3() -> Check:
    """No bucket configured: the soak runs on its embedded S3, so install it now (once, cached) rather than fail
    after the builds and the upstream suites."""
    try:
        binary = ensure_versitygw()
    except UserError as exc:
        return Check("s3 bucket", "fail", exc.line())
    return Check("s3 bucket", "ok", f"no S3 bucket configured: the soak uses its embedded S3, {binary}")


def check_baseline(baseline: ReleaseVersion) -> Check:
    """--baseline: install the release now (once, cached, as ``soak.overnight --litestream`` does), so a version the
    Go module proxy does not serve fails here instead of after the builds, the suites and the candidate's soak."""
    try:
        installed = ensure_release(baseline.tag, say=False)
    except UserError as exc:
        return Check("baseline release", "fail", exc.line())
    return Check("baseline release", "ok", f"{installed.version} installed in {installed.bin_dir}")


def check_tap_push(settings: Settings, publish: bool) -> Check:
    """With --publish: the tap token is set and can push to the tap (git push --dry-run)."""
    if not publish:
        return Check("tap push", "skip", "not publishing (pass --publish to require the tap token)")
    token = os.environ.get(TAP_TOKEN_ENV)
    if not token:
        return Check("tap push", "fail", f"{TAP_TOKEN_ENV} is not set; export a token that can push to the tap")
    if not settings.tap_repo:
        return Check(
            "tap push", "fail", "no tap repository configured; set INVOKE_TAP_REPO or tap.repo in ~/.invoke.yaml"
        )
    shown = describe_remote(settings.tap_repo)
    try:
        error = push_dry_run(settings.tap_repo, settings.tap_branch)
    except UserError as exc:  # e.g. a password in the URL, or a git too old to keep the token out of helpers
        return Check("tap push", "fail", exc.line())
    if error:
        return Check("tap push", "fail", f"cannot push to {shown}: {error}")
    return Check("tap push", "ok", f"{TAP_TOKEN_ENV} can push to {shown}")


def push_dry_run(repo_url: str, branch: str) -> str | None:
    """``git push --dry-run`` a throwaway commit to a probe branch; None when the remote would accept it.

    GitHub checks push rights when git asks for the receive-pack advertisement, so a dry run proves them
    without writing. The token travels as the tap tasks send it (release.homebrew.git_auth: GIT_ASKPASS, env only).
    """
    with tempfile.TemporaryDirectory(prefix="gate-tap-probe-") as tmp:
        auth = git_auth(repo_url, Path(tmp))
        repo = git.Repo.init(Path(tmp) / "probe")
        probe = git.Actor("release-gate", "release-gate@localhost")
        repo.index.commit("release gate push probe", author=probe, committer=probe)
        try:
            with repo.git.custom_environment(**auth.env):
                repo.git.push("--dry-run", "--porcelain", repo_url, f"HEAD:refs/heads/{branch}-release-gate-probe")
        except git.GitCommandError as exc:
            lines = [line.strip() for line in str(exc.stderr).splitlines() if line.strip()]
            return auth.redact(lines[-1].strip("'")) if lines else f"git push exited {exc.status}"
    return None


def check_goreleaser_brews(src: Path, settings: Settings, version: ReleaseVersion, publish: bool) -> Check:
    """.goreleaser.yml must not also publish ``brews:`` to our tap: two writers on one formula file."""
    config_path = next((src / name for name in (".goreleaser.yml", ".goreleaser.yaml") if (src / name).is_file()), None)
    if config_path is None:
        return Check("single tap writer", "ok", "no .goreleaser.yml in the checkout")
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except yaml.YAMLError as exc:
        return Check("single tap writer", "fail", f"{config_path.name} is not valid YAML: {exc}")
    tap = parse_github_url(settings.tap_repo)
    ours = tap.slug if tap else None
    for brew in config.get("brews") or []:
        repository = brew.get("repository") or brew.get("tap") or {}
        theirs = f"{repository.get('owner', '')}/{repository.get('name', '')}".lower()
        skip_upload = str(brew.get("skip_upload", "")).lower()
        if skip_upload == "true" or (skip_upload == "auto" and version.prerelease):
            continue
        if ours and theirs == ours:
            status: CheckStatus = "fail" if publish else "warn"
            return Check(
                "single tap writer",
                status,
                f"{config_path.name} brews: also publishes to {theirs}; set skip_upload: true there or drop brews:",
            )
    return Check("single tap writer", "ok", f"{config_path.name} does not publish brews: to {ours or 'our tap'}")


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    """A check that raises UserError (the toolchain checks do) is a ✘ line, not the end of preflight."""
    try:
        return check()
    except UserError as exc:
        return Check(name, "fail", exc.line())


def run_preflight(
    src: Path,
    version: ReleaseVersion,
    *,
    publish: bool,
    settings: Settings | None = None,
    baseline: ReleaseVersion | None = None,
) -> PreflightReport:
    """Every check, in order; the report says which failed. ``baseline`` (--baseline) adds its install check."""
    settings = settings or Settings.resolve()
    report = PreflightReport()
    report.checks.append(_guarded("clean checkout", lambda: check_checkout(src, report)))
    report.checks.append(_guarded("version tag", lambda: check_version(src, version, report)))
    report.checks.append(_guarded("go toolchain", lambda: check_go(src)))
    report.checks.append(_guarded("c compiler", check_c_compiler))
    report.checks.append(check_ruby())
    report.checks.append(check_s3(settings))
    if baseline is not None:
        report.checks.append(check_baseline(baseline))
    report.checks.append(check_tap_push(settings, publish))
    report.checks.append(check_goreleaser_brews(src, settings, version, publish))
    return report


def print_status(report: PreflightReport, console: Console | None = None) -> None:
    """The ✔/✘ status lines."""
    console = console or terminal()
    width = max(len(check.name) for check in report.checks)
    colour: dict[CheckStatus, str] = {"ok": "green", "fail": "red", "warn": "yellow", "skip": "dim"}
    for check in report.checks:
        console.print(
            Text.assemble((MARK[check.status], colour[check.status]), f" {check.name.ljust(width)}  {check.detail}")
        )


def write_report(report: PreflightReport, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "preflight.json"
    path.write_text(json.dumps(report.as_json(), indent=2) + "\n")
    return path
