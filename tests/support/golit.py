"""Test helpers for the build tasks: git checkouts of the tiny Go module in fixtures/golit, its GoReleaser
config and a Litestream-v0.5.16-like variant of it, and the invoke CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support import cli
from tests.support.paths import FIXTURES

FIXTURE = FIXTURES / "golit"
GORELEASER_YML = FIXTURE / ".goreleaser.yml"
# What GoReleaser names the fixture's release archives at TAG (release mode: no "v").
RELEASE_ARCHIVES = [
    "litestream-0.5.16-darwin-arm64.tar.gz",
    "litestream-0.5.16-darwin-x86_64.tar.gz",
    "litestream-0.5.16-linux-arm64.tar.gz",
    "litestream-0.5.16-linux-armv6.tar.gz",
    "litestream-0.5.16-linux-armv7.tar.gz",
    "litestream-0.5.16-linux-x86_64.tar.gz",
    "litestream-0.5.16-windows-arm64.zip",
    "litestream-0.5.16-windows-x86_64.zip",
]
EXTRAS = ["LICENSE", "README.md", "etc/litestream.service", "etc/litestream.yml"]
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


def fixture_config() -> dict[str, Any]:
    """The fixture's .goreleaser.yml, parsed (anchors expanded)."""
    data = yaml.safe_load(GORELEASER_YML.read_text())
    assert isinstance(data, dict)
    return data


def stock_config(targets: tuple[str, ...] = ("linux_amd64_v1", "windows_amd64_v1")) -> str:
    """Litestream v0.5.16's config as it is: no -trimpath, no mod_timestamp, plain files:, nfpm without mtime.

    Fewer targets than the real one: without -trimpath the standard library compiles again per target.
    """
    data = fixture_config()
    build = data["builds"][0]
    for key in ("flags", "mod_timestamp", "goos", "goarch", "goarm", "ignore"):
        build.pop(key, None)
    build["targets"] = list(targets)
    archive = data["archives"][0]
    archive.pop("builds_info")
    archive["files"] = [entry["src"] for entry in archive["files"]]
    nfpm = data["nfpms"][0]
    nfpm.pop("mtime")
    for item in nfpm["contents"]:
        item.pop("file_info")
    return yaml.safe_dump(data, sort_keys=False)


def commit_config(checkout: Path, text: str, *, tag: str | None = TAG) -> None:
    """Replace the checkout's .goreleaser.yml in a new commit, and move ``tag`` onto it."""
    (checkout / ".goreleaser.yml").write_text(text)
    git(checkout, "commit", "-q", "-am", "goreleaser config")
    if tag:
        git(checkout, "tag", "-f", tag)
