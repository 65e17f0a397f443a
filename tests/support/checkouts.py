"""Helpers for the gate tests: a tiny real git checkout that looks like Litestream to the build's checks."""

from __future__ import annotations

from pathlib import Path

import git

GO_MOD = "module github.com/benbjohnson/litestream\n\ngo 1.21\n"
ACTOR = git.Actor("gate-test", "gate-test@localhost")


def make_checkout(root: Path, *, goreleaser: str | None = None) -> tuple[Path, git.Repo]:
    """A committed git repo whose go.mod declares Litestream's module (nothing is built from it)."""
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    (root / "go.mod").write_text(GO_MOD)
    (root / "main.go").write_text("package litestream\n")
    files = ["go.mod", "main.go"]
    if goreleaser is not None:
        (root / ".goreleaser.yml").write_text(goreleaser)
        files.append(".goreleaser.yml")
    repo.index.add(files)
    repo.index.commit("initial", author=ACTOR, committer=ACTOR)
    return root, repo


def commit_file(repo: git.Repo, name: str, text: str) -> str:
    path = Path(repo.working_tree_dir or ".") / name
    path.write_text(text)
    repo.index.add([name])
    return str(repo.index.commit(f"add {name}", author=ACTOR, committer=ACTOR).hexsha)
