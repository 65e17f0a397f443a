"""Task: ``soak.overnight``. PLACEHOLDER."""

from invoke.tasks import task

from common.errors import UserError, fail_cleanly


@task(help={"duration": "how long the load runs"})
@fail_cleanly
def overnight(c, duration="8h"):  # type: ignore[no-untyped-def]
    """Run the S3 overnight soak."""
    raise UserError("not built yet")
