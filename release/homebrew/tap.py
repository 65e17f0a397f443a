"""Publishing files to the tap with git: clone, change, commit, push; never force, rebase once when beaten.

A job hands ``sync_tap`` a *plan*: a function that, given the checked-out tap, returns the file changes it wants.
The plan runs again on the new tip when a push is rejected, which is what rebasing a one-commit change means,
without the conflicts ``git rebase`` would report when someone else rewrote the same file.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git import Actor, GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from common.errors import UserError
from release.homebrew.git_auth import TOKEN_ENV, GitAuth, describe_remote, git_auth


@dataclass(frozen=True)
class FileChange:
    """One file the job writes: its tap-relative path, the content before (None: new) and after."""

    path: str
    old: str | None
    new: str
    note: str = ""

    def diff(self) -> str:
        before = self.old.splitlines(keepends=True) if self.old is not None else []
        lines = difflib.unified_diff(
            before,
            self.new.splitlines(keepends=True),
            fromfile=f"a/{self.path}" if self.old is not None else "/dev/null",
            tofile=f"b/{self.path}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


Plan = Callable[[Path], list[FileChange]]


@dataclass(frozen=True)
class TapTarget:
    """Where to publish, and as whom."""

    url: str
    branch: str
    author_name: str
    author_email: str


@dataclass(frozen=True)
class SyncResult:
    status: str  # "up to date" | "dry run" | "pushed"
    changes: list[FileChange]
    commit: str | None = None
    rebased: bool = False


def read_text(root: Path, path: str) -> str | None:
    """A tap file's content, or None when the file does not exist."""
    file = root / path
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _git_reason(exc: GitCommandError, auth: GitAuth) -> str:
    """git's own explanation (its first fatal:/error: line), with any secret scrubbed."""
    raw = str(exc.stderr or "").strip()
    raw = raw.removeprefix("stderr: '").removesuffix("'")
    lines = [line.strip() for line in auth.redact(raw).splitlines() if line.strip()]
    picked = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines[-1:] or [f"exit {exc.status}"]
    reason = picked[0].removeprefix("fatal:").removeprefix("error:").strip()
    return reason.rstrip(".")


def _auth_hint(url: str, auth: GitAuth) -> str:
    if url.startswith(("https://", "http://")) and auth.secret is None:
        return f"; to push over https set {TOKEN_ENV}"
    return ""


@contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="litestream-tap-") as tmp:
        yield Path(tmp)


def _check_local_remote(url: str) -> None:
    """git says "does not exist" for a plain directory; say what it is instead."""
    if "://" in url or ":" in url.split("/", 1)[0]:
        return  # a URL or scp-style host:path
    try:
        Repo(url)
    except InvalidGitRepositoryError:
        raise UserError(
            f"the tap {url} is a directory but not a git repository; check --tap-repo (or tap.repo in ~/.invoke.yaml)"
        ) from None
    except NoSuchPathError:
        return  # git's own "repository ... does not exist" is clear


def _clone(target: TapTarget, dest: Path, auth: GitAuth) -> Repo:
    """Clone the tap and check out ``target.branch`` (an empty tap gets the branch as its first)."""
    shown = describe_remote(target.url)
    _check_local_remote(target.url)
    try:
        repo = Repo.clone_from(target.url, dest, env=auth.env)
    except GitCommandError as exc:
        raise UserError(
            f"cannot clone the tap {shown}: {_git_reason(exc, auth)}; check --tap-repo (or tap.repo in ~/.invoke.yaml)"
            f"{_auth_hint(target.url, auth)}"
        ) from None
    repo.git.update_environment(**auth.env)
    heads = [h for h in repo.git.for_each_ref("--format=%(refname:strip=3)", "refs/remotes/origin").split() if h]
    heads = [h for h in heads if h != "HEAD"]
    if target.branch in heads:
        repo.git.checkout("-B", target.branch, f"origin/{target.branch}")
    elif not heads:
        repo.git.symbolic_ref("HEAD", f"refs/heads/{target.branch}")
    else:
        raise UserError(f"the tap {shown} has no branch {target.branch} (it has {', '.join(heads)}); pass --branch")
    return repo


def _write_and_commit(repo: Repo, changes: list[FileChange], message: str, target: TapTarget) -> str:
    root = Path(repo.working_tree_dir or ".")
    for change in changes:
        file = root / change.path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(change.new, encoding="utf-8")
    repo.index.add([change.path for change in changes])
    author = Actor(target.author_name, target.author_email)
    commit = repo.index.commit(message, author=author, committer=author)
    return str(commit.hexsha)


def _push(repo: Repo, target: TapTarget, auth: GitAuth) -> str | None:
    """Push HEAD to the branch. None when it went through; the rejection reason when someone was first."""
    try:
        repo.git.push("origin", f"HEAD:refs/heads/{target.branch}")
    except GitCommandError as exc:
        text = auth.redact(str(exc.stderr or ""))
        for line in text.splitlines():
            if "[rejected]" in line or "[remote rejected]" in line:
                return line.split("(", 1)[1].rstrip(")'").strip() if "(" in line else "rejected"
        raise UserError(
            f"cannot push to the tap {describe_remote(target.url)}: {_git_reason(exc, auth)}"
            f"{_auth_hint(target.url, auth)}"
        ) from None
    return None


def _rebase(repo: Repo, target: TapTarget, auth: GitAuth) -> None:
    """Fetch the branch someone else moved and put our checkout on its tip (our commit is replayed after)."""
    try:
        repo.git.fetch("origin", target.branch)
        repo.git.reset("--hard", f"origin/{target.branch}")
    except GitCommandError as exc:
        raise UserError(f"cannot fetch {target.branch} from the tap to rebase: {_git_reason(exc, auth)}") from None


def sync_tap(
    target: TapTarget,
    plan: Plan,
    *,
    message: str,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
    workdir: Path | None = None,
) -> SyncResult:
    """Make the tap's branch hold what ``plan`` asks for, in at most one commit; see the module docstring."""
    shown = describe_remote(target.url)
    with _workdir(workdir) as work:
        # 1. auth: the token, if any, only through the environment of each git child.
        auth = git_auth(target.url, work)
        # 2. clone: a fresh checkout of the branch, in a temp dir.
        repo = _clone(target, work / "tap", auth)
        root = Path(repo.working_tree_dir or ".")
        say(f"tap: cloned {shown} ({target.branch})")
        # 3. plan: what must change (it also refuses layouts Homebrew would misread).
        changes = plan(root)
        if not changes:
            say(f"tap: already up to date on {target.branch}; nothing committed")
            return SyncResult("up to date", [])
        # 4. dry run: show the diff, touch nothing.
        if dry_run:
            for change in changes:
                say(change.diff().rstrip("\n"))
            say(f"tap: dry run; would commit {message!r} to {target.branch} of {shown}; nothing was pushed")
            return SyncResult("dry run", changes)
        # 5. commit and push; when beaten to it, rebase once onto the new tip and push again, never force.
        commit = _write_and_commit(repo, changes, message, target)
        rejected = _push(repo, target, auth)
        rebased = False
        if rejected is not None:
            say(f"tap: push to {target.branch} rejected ({rejected}); fetching and rebasing once")
            _rebase(repo, target, auth)
            rebased = True
            changes = plan(root)
            if not changes:
                say(f"tap: already up to date on {target.branch} after the rebase; nothing committed")
                return SyncResult("up to date", [], rebased=True)
            commit = _write_and_commit(repo, changes, message, target)
            again = _push(repo, target, auth)
            if again is not None:
                raise UserError(
                    f"push of {message!r} to {target.branch} of {shown} was rejected twice ({again}), "
                    "even after fetching and rebasing; nothing was forced; check the tap and run again"
                )
        say(f"tap: pushed {commit[:12]} {message!r} to {target.branch} of {shown}")
        return SyncResult("pushed", changes, commit=commit, rebased=rebased)
