"""Tasks: ``soak.analyze`` and ``soak.compare``. PLACEHOLDER."""

from invoke.tasks import task

from common.errors import UserError, fail_cleanly


@task(help={"run_dir": "soak run directory"})
@fail_cleanly
def analyze(c, run_dir="latest"):  # type: ignore[no-untyped-def]
    """Analyze a soak run directory."""
    raise UserError("not built yet")


@task(help={"run_a": "first run dir", "run_b": "second run dir"})
@fail_cleanly
def compare(c, run_a, run_b):  # type: ignore[no-untyped-def]
    """Compare two soak runs."""
    raise UserError("not built yet")
