"""Tasks: ``release.formula``, ``release.tap``, ``release.tap-setup``. PLACEHOLDER."""

from invoke.tasks import task

from common.errors import UserError, fail_cleanly


@task(help={"version": "release version vX.Y.Z"})
@fail_cleanly
def formula(c, version=None):  # type: ignore[no-untyped-def]
    """Render the Homebrew formula."""
    raise UserError("not built yet")


@task(help={"version": "release version vX.Y.Z"})
@fail_cleanly
def tap(c, version=None):  # type: ignore[no-untyped-def]
    """Publish the formula to the tap."""
    raise UserError("not built yet")


@task(help={"tap_repo": "tap repository URL"})
@fail_cleanly
def tap_setup(c, tap_repo=None):  # type: ignore[no-untyped-def]
    """Make the tap repository ready."""
    raise UserError("not built yet")
