"""Nox sessions: the project's own checks, then the release gate that runs the tasks in order."""

from __future__ import annotations

import nox

nox.needs_version = ">=2025.2.9"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "uv|virtualenv"

LINT_PATHS = ["common", "release", "soak", "tests", "bench", "tasks.py", "noxfile.py"]


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff: style and likely bugs."""
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)


@nox.session(python=False)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package and the task wiring."""
    session.run("mypy")


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """pytest; tests needing a real Litestream skip unless LITESTREAM_SRC is set."""
    session.run("pytest", "-q", "-rs", *session.posargs)
