"""Nox sessions: the project's own checks, then the release gate that runs the tasks in order."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import nox

# The gate sessions import this project's modules (release/, common/); nox does not put this folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _quiet_libraries() -> None:
    """nox logs at DEBUG; the libraries' own debug lines (every git command, every config level) are noise here."""
    for name in ("invoke", "git", "botocore", "boto3", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


_quiet_libraries()  # before the imports below: GitPython runs `git version` as it loads

from common.errors import UserError  # noqa: E402
from release.gate import gates  # noqa: E402
from release.gate.runner import Gate  # noqa: E402

nox.needs_version = ">=2025.2.9"
nox.options.sessions = ["lint", "typecheck", "tests"]
# Every session runs on this environment (python=False): no virtualenv is made, and none needs uv.
nox.options.default_venv_backend = "virtualenv"


class _NoUvProbeNoise(logging.Filter):
    """nox probes for uv before every session, even one without a virtualenv, and logs "uv binary not found."."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "uv binary not found."


logging.getLogger("nox").addFilter(_NoUvProbeNoise())

# The check tools run from the environment nox itself runs in (their pinned versions, pyproject's [dev]), never
# from whatever else is first on PATH.
TOOL = (sys.executable, "-m")
LINT_PATHS = ["common", "release", "soak", "tests", "bench", "tasks.py", "noxfile.py"]


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff: style and likely bugs."""
    session.run(*TOOL, "ruff", "check", *LINT_PATHS)
    session.run(*TOOL, "ruff", "format", "--check", *LINT_PATHS)


@nox.session(python=False)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package and the task wiring."""
    session.run(*TOOL, "mypy")


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """pytest; real-Litestream tests use the pinned release (or LITESTREAM_SRC); checkout-only ones skip without it.

    In TEST_WORKERS processes (default 4, pytest-xdist): most of the time goes to real soaks, restores and fault
    experiments that wait on their children, so four share two cores well. ``TEST_WORKERS=0`` runs them in one."""
    workers = os.environ.get("TEST_WORKERS", "4")
    parallel = ["-n", workers] if workers not in ("", "0", "1") else []
    session.run(*TOOL, "pytest", "-q", "-rs", *parallel, *session.posargs)


# --- the release gate: preflight → go_test → build → upstream_suites → soak → analyze → formula (requires=) -----
# The sessions are generated from the one gate list, release/gate/gates.py GATES (name, one-line purpose, body).
# Every session gets the same posargs (`nox -s release_gate -- --src DIR --version vX.Y.Z ...`); each gate parses
# them and records itself in the ledger, <out>/gate-report.json.


def _gate(session: nox.Session, name: str) -> None:
    try:
        record = gates.run(name, list(session.posargs))
    except UserError as exc:
        session.error(f"error: {exc.line()}")
    if record.status == "fail":
        session.error(f"gate {name} failed: {record.reason}")
    if record.status == "skipped":
        session.skip(f"{name} skipped: {record.reason}")


def _gate_session(number: int, gate: Gate, requires: list[str]) -> None:
    """Register gate ``number`` as a nox session named after it, tagged ``release``, after ``requires``."""

    def session_body(session: nox.Session) -> None:
        _gate(session, gate.name)

    session_body.__name__ = gate.name
    session_body.__doc__ = f"Gate {number}: {gate.purpose}."
    nox.session(name=gate.name, python=False, default=False, tags=["release"], requires=requires)(session_body)


for _number, _gate_def in enumerate(gates.GATES, 1):
    _gate_session(_number, _gate_def, [gates.GATES[_number - 2].name] if _number > 1 else [])


@nox.session(python=False, default=False, tags=["release"], requires=[gates.GATES[-1].name])
def release_gate(session: nox.Session) -> None:
    """All gates in order, then one verdict: gate-report.json and gate-report.md in --out (gate-evidence/)."""
    try:
        ledger = gates.finish(list(session.posargs))
    except UserError as exc:
        session.error(f"error: {exc.line()}")
    if ledger.verdict not in ("pass", "partial"):
        bad = [gate.name for gate in ledger.gates if gate.status in ("fail", "aborted")]
        session.error(f"release gate {ledger.verdict}: {', '.join(bad)}")
