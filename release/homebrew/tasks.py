"""Tasks: ``release.formula``, ``release.tap``, ``release.tap-setup`` (settings in, job functions called)."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from common.errors import fail_cleanly
from common.settings import PROJECT_ROOT, Settings
from release.homebrew.jobs import FormulaInputs, formula_job, tap_job, tap_setup_job
from release.homebrew.tap import TapTarget

DEFAULT_OUTPUT = PROJECT_ROOT / "Formula" / "litestream.rb"
CHECKSUMS_HELP = "checksums.txt path or URL (default: dist/checksums.txt of this version, else the GitHub release's)"
VERSION_HELP = "release tag vMAJOR.MINOR.PATCH[-pre], e.g. v0.5.16"


def _inputs(settings: Settings, version: str | None, checksums: str | None) -> FormulaInputs:
    return FormulaInputs(
        version=version,
        checksums=checksums,
        url_base=settings.get("release.url_base"),
        dist_file=PROJECT_ROOT / "dist" / "checksums.txt",
    )


def _target(settings: Settings, tap_repo: str | None, branch: str | None) -> TapTarget:
    return TapTarget(
        url=settings.get("tap.repo", tap_repo),
        branch=settings.get("tap.branch", branch),
        author_name=settings.get("tap.author_name"),
        author_email=settings.get("tap.author_email"),
    )


@task(
    help={
        "version": VERSION_HELP,
        "checksums": CHECKSUMS_HELP,
        "output": "formula file (default: Formula/litestream.rb)",
    }
)
@fail_cleanly
def formula(c: Context, version: str | None = None, checksums: str | None = None, output: str | None = None) -> None:
    """Render the Homebrew formula for a release from its checksums.txt."""
    formula_job(_inputs(Settings.from_context(c), version, checksums), Path(output) if output else DEFAULT_OUTPUT)


@task(
    help={
        "version": VERSION_HELP,
        "checksums": CHECKSUMS_HELP,
        "tap_repo": "tap git URL or path (default: tap.repo); https uses HOMEBREW_TAP_GITHUB_TOKEN",
        "branch": "tap branch to push to (default: tap.branch, main)",
        "path": "formula path in the tap (default: tap.path, litestream.rb at the root)",
        "dry_run": "print the formula's unified diff; commit and push nothing",
    }
)
@fail_cleanly
def tap(
    c: Context,
    version: str | None = None,
    checksums: str | None = None,
    tap_repo: str | None = None,
    branch: str | None = None,
    path: str | None = None,
    dry_run: bool = False,
) -> None:
    """Publish the formula to the Homebrew tap: one commit, pushed; nothing when already up to date."""
    settings = Settings.from_context(c)
    tap_job(
        _inputs(settings, version, checksums),
        _target(settings, tap_repo, branch),
        settings.get("tap.path", path),
        dry_run=dry_run,
    )


@task(
    help={
        "tap_repo": "tap git URL or path (default: tap.repo); https uses HOMEBREW_TAP_GITHUB_TOKEN",
        "branch": "tap branch (default: tap.branch, main)",
        "path": "formula path the README names (default: tap.path, litestream.rb)",
        "force": "replace README.md / tests.yml even when tap-setup did not create them (it says so)",
        "dry_run": "print the diffs; commit and push nothing",
    }
)
@fail_cleanly
def tap_setup(
    c: Context,
    tap_repo: str | None = None,
    branch: str | None = None,
    path: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> None:
    """Make the tap ready: README with the install command, formula path, brew test-bot CI."""
    settings = Settings.from_context(c)
    tap_setup_job(
        _target(settings, tap_repo, branch),
        settings.get("tap.path", path),
        force=force,
        dry_run=dry_run,
    )
