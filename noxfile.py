"""Nox sessions: the project's own checks, then the release gate that runs the tasks in order."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import nox

# The gate sessions import this project's modules (release/, common/); nox does not put this folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


# --- the release gate: preflight → go_test → build → soak → analyze → formula, fail-fast through requires= -------
# Every session gets the same posargs (`nox -s release_gate -- --src DIR --version vX.Y.Z ...`); each gate parses
# them and records itself in the ledger, <out>/gate-report.json. The logic lives in release/gate*.py.


def _quiet_libraries() -> None:
    """nox logs at DEBUG; the libraries' own debug lines (every git command, every config level) are noise here."""
    for name in ("invoke", "git", "botocore", "boto3", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _gate(session: nox.Session, name: str) -> None:
    _quiet_libraries()
    from common.errors import UserError
    from release.gate import gates as gate_steps

    try:
        record = gate_steps.run(name, list(session.posargs))
    except UserError as exc:
        session.error(f"error: {exc.line()}")
    if record.status == "fail":
        session.error(f"gate {name} failed: {record.reason}")
    if record.status == "skipped":
        session.skip(f"{name} skipped: {record.reason}")


@nox.session(python=False, default=False, tags=["release"])
def preflight(session: nox.Session) -> None:
    """Gate 1: clean checkout, version tag, toolchains, S3, tap token, single tap writer."""
    _gate(session, "preflight")


@nox.session(python=False, default=False, tags=["release"], requires=["preflight"])
def go_test(session: nox.Session) -> None:
    """Gate 2: Litestream's own go test -race ./... (cgo on, no AWS_* env)."""
    _gate(session, "go_test")


@nox.session(python=False, default=False, tags=["release"], requires=["go_test"])
def build(session: nox.Session) -> None:
    """Gate 3: invoke build and invoke release.build (snapshot unless the version is the tag at HEAD)."""
    _gate(session, "build")


@nox.session(python=False, default=False, tags=["release"], requires=["build"])
def soak(session: nox.Session) -> None:
    """Gate 4: invoke soak.overnight for --soak-duration; rows and restore digests must match."""
    _gate(session, "soak")


@nox.session(python=False, default=False, tags=["release"], requires=["soak"])
def analyze(session: nox.Session) -> None:
    """Gate 5: invoke soak.analyze on the soak's run; a failed criterion fails the gate."""
    _gate(session, "analyze")


@nox.session(python=False, default=False, tags=["release"], requires=["analyze"])
def formula(session: nox.Session) -> None:
    """Gate 6: invoke release.formula, ruby -c, invoke release.tap --dry-run."""
    _gate(session, "formula")


@nox.session(python=False, default=False, tags=["release"], requires=["formula"])
def release_gate(session: nox.Session) -> None:
    """All gates in order, then one verdict: gate-report.json and gate-report.md in --out (gate-evidence/)."""
    _quiet_libraries()
    from common.errors import UserError
    from release.gate import gates as gate_steps

    try:
        ledger = gate_steps.finish(list(session.posargs))
    except UserError as exc:
        session.error(f"error: {exc.line()}")
    if ledger.verdict not in ("pass", "partial"):
        bad = [gate.name for gate in ledger.gates if gate.status in ("fail", "aborted")]
        session.error(f"release gate {ledger.verdict}: {', '.join(bad)}")
