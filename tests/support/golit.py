"""Test helpers for the build tasks: git checkouts of the tiny Go module in fixtures/golit, and the invoke CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support import cli
from tests.support.paths import FIXTURES

FIXTURE = FIXTURES / "golit"
COMMIT_DATE = "2026-08-05T12:00:00+00:00"
COMMIT_TIME = 1785931200  # COMMIT_DATE as epoch seconds
TAG = "v0.5.16"

_GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Fixture",
    "GIT_AUTHOR_EMAIL": "fixture@example.invalid",
    "GIT_COMMITTER_NAME": "Fixture",
    "GIT_COMMITTER_EMAIL": "fixture@example.invalid",
    "GIT_AUTHOR_DATE": COMMIT_DATE,
    "GIT_COMMITTER_DATE": COMMIT_DATE,
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **_GIT_ENV}, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def make_checkout(dest: Path, *, tag: str | None = TAG, go_line: str | None = None) -> Path:
    """A real git repo holding the fixture module, one commit, optionally tagged; ``go_line`` rewrites go.mod."""
    shutil.copytree(FIXTURE, dest)
    if go_line is not None:
        gomod = dest / "go.mod"
        gomod.write_text(gomod.read_text().replace("go 1.22.0", f"go {go_line}"))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "fixture")
    if tag:
        git(dest, "tag", tag)
    return dest


def break_go_file(checkout: Path, package: str) -> None:
    """Append a syntax error to a package's main.go (uncommitted: the tree becomes dirty)."""
    main = checkout / "cmd" / package / "main.go"
    main.write_text(main.read_text() + "\nfunc broken( {\n")


def tools_dir(tmp: Path, *names: str) -> Path:
    """A directory holding symlinks to only the named programs, to stand in for a PATH lacking the rest."""
    bindir = tmp / "tools"
    bindir.mkdir(exist_ok=True)
    for name in names:
        found = shutil.which(name)
        assert found, f"{name} is needed on PATH to run this test"
        (bindir / name).symlink_to(found)
    return bindir


def clean_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without LITESTREAM_SRC or CC, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if key not in ("LITESTREAM_SRC", "CC")}
    env.update(overrides)
    return env


def run_invoke(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real invoke CLI with ``env`` as the whole environment (default: without Go/CC overrides)."""
    return cli.run_invoke(*args, base=env if env is not None else clean_env())
