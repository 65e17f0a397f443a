"""Tasks: ``build`` (dev binaries) and ``release.build`` (the release matrix). PLACEHOLDER."""

from invoke.tasks import task

from common.errors import UserError, fail_cleanly


@task(help={"src": "Litestream checkout (default: LITESTREAM_SRC, then litestream.src)"})
@fail_cleanly
def build(c, src=None):  # type: ignore[no-untyped-def]
    """Build bin/litestream and bin/litestream-test with the version injected."""
    raise UserError("not built yet")


@task(help={"version": "release version vX.Y.Z"})
@fail_cleanly
def release_build(c, version=None):  # type: ignore[no-untyped-def]
    """Build the release archives and checksums.txt."""
    raise UserError("not built yet")
