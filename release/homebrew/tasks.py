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
CHECKSUMS_HELP = "a published checksums.txt, URL or path (default: <release.url_base>/<tag>/checksums.txt)"
PREVIEW_HELP = "render from a local build's dist/checksums.txt (or --checksums PATH); marked as a preview"
DIST_HELP = "the local build's directory for --preview (default: dist)"
VERSION_HELP = "release tag vMAJOR.MINOR.PATCH[-pre], e.g. v0.5.16"


def _inputs(settings: Settings, version: str | None, checksums: str | None, preview: bool, dist: str) -> FormulaInputs:
    return FormulaInputs(
        version=version,
        checksums=checksums,
        url_base=settings.get("release.url_base"),
        dist=Path(dist),
        preview=preview,
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
        "preview": PREVIEW_HELP,
        "dist": DIST_HELP,
    }
)
@fail_cleanly
def formula(
    c: Context,
    version: str | None = None,
    checksums: str | None = None,
    output: str | None = None,
    preview: bool = False,
    dist: str = "dist",
) -> None:
    """Render the Homebrew formula for a release from its published checksums.txt (a local build: --preview)."""
    inputs = _inputs(Settings.from_context(c), version, checksums, preview, dist)
    formula_job(inputs, Path(output) if output else DEFAULT_OUTPUT)


@task(
    help={
        "version": VERSION_HELP,
        "checksums": CHECKSUMS_HELP,
        "tap_repo": "tap git URL or path (default: tap.repo); https uses HOMEBREW_TAP_GITHUB_TOKEN",
        "branch": "tap branch to push to (default: tap.branch, main)",
        "path": "formula path in the tap (default: tap.path, litestream.rb at the root)",
        "dry_run": "print the formula's unified diff; commit and push nothing",
        "preview": "with --dry-run only: show a preview's diff (a preview is never published)",
        "dist": DIST_HELP,
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
    preview: bool = False,
    dist: str = "dist",
) -> None:
    """Publish the formula to the Homebrew tap after checking every archive it names: one commit, pushed."""
    settings = Settings.from_context(c)
    tap_job(
        _inputs(settings, version, checksums, preview, dist),
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
