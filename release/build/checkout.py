"""The Litestream checkout a build reads: its go.mod and its git state (via GitPython)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Without git on PATH, GitPython would fail at import time with a traceback; let open_checkout say it instead.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
import git

from common.errors import UserError

LITESTREAM_MODULE = "github.com/benbjohnson/litestream"
_MODULE_LINE = re.compile(r"^\s*module\s+\"?([^\s\"]+)\"?", re.MULTILINE)
_GO_LINE = re.compile(r"^\s*go\s+(\S+)", re.MULTILINE)
_HOW = "point --src (or LITESTREAM_SRC, or litestream.src in ~/.invoke.yaml) at a Litestream git checkout"


@dataclass(frozen=True)
class Checkout:
    """A validated Litestream git checkout.

    Git runs with GIT_OPTIONAL_LOCKS=0 so reading status never rewrites the checkout's index:
    the build treats the checkout as read-only.
    """

    path: Path
    head_sha: str
    repo: git.Repo = field(repr=False, compare=False)

    def describe(self) -> str:
        """``git describe --tags --always --dirty``: the version ``make build`` injects."""
        return str(self.repo.git.describe("--tags", "--always", "--dirty"))

    def is_dirty(self) -> bool:
        """Modified, staged or untracked files, as GoReleaser's ``git status --porcelain`` check."""
        return bool(self.repo.is_dirty(untracked_files=True))

    def dirty_entries(self) -> list[str]:
        """``git status --porcelain`` lines, to name what makes the tree dirty."""
        return [line for line in str(self.repo.git.status("--porcelain")).splitlines() if line.strip()]

    def tags_at_head(self) -> list[str]:
        """Tags that point at HEAD (annotated or lightweight), sorted."""
        return sorted(str(self.repo.git.tag("--points-at", "HEAD")).split())

    def nearest_tag(self) -> str | None:
        """The closest tag reachable from HEAD, or None in an untagged history."""
        try:
            return str(self.repo.git.describe("--tags", "--abbrev=0"))
        except git.GitCommandError:
            return None

    def commit_time(self) -> int:
        """HEAD's committer time (epoch seconds): the mtime of every archive entry."""
        return int(self.repo.head.commit.committed_date)

    def go_directive(self) -> str:
        """The ``go`` line of go.mod (e.g. ``1.25.0``): the oldest Go that may build it."""
        return go_directive(self.path)


def read_go_mod(src: Path) -> str:
    gomod = src / "go.mod"
    try:
        return gomod.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{src} is not a Litestream checkout: it has no go.mod; {_HOW}") from None
    except OSError as exc:
        raise UserError(f"cannot read {gomod}: {exc.strerror}; {_HOW}") from None


def go_directive(src: Path) -> str:
    """The ``go`` line of ``src/go.mod``."""
    match = _GO_LINE.search(read_go_mod(src))
    if not match:
        raise UserError(f"{src / 'go.mod'} has no `go` line; the checkout looks broken")
    return match.group(1)


def open_checkout(src: Path) -> Checkout:
    """Check that ``src`` is a git checkout of Litestream's Go module and open it."""
    if not src.exists():
        raise UserError(f"--src {src} does not exist; {_HOW}")
    if not src.is_dir():
        raise UserError(f"--src {src} is not a directory; {_HOW}")
    match = _MODULE_LINE.search(read_go_mod(src))
    module = match.group(1) if match else None
    if module != LITESTREAM_MODULE:
        raise UserError(
            f"{src} is not a Litestream checkout: its go.mod declares module {module or '(none)'}, "
            f"not {LITESTREAM_MODULE}; {_HOW}"
        )
    try:
        repo = git.Repo(src)
        repo.git.update_environment(GIT_OPTIONAL_LOCKS="0")
        head_sha = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UserError(
            f"{src} is not a git repository; the build reads the version and commit from git, so use a clone"
        ) from None
    except git.GitCommandNotFound:
        raise UserError("no `git` on PATH; install git, which the build uses to read the version and commit") from None
    except ValueError:
        raise UserError(f"{src} has no commits yet; commit (and tag) the tree before building") from None
    return Checkout(path=src, head_sha=head_sha, repo=repo)
