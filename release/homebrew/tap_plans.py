"""What each tap job wants the tap to hold: the formula (release.tap) and the scaffolding (release.tap-setup)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from release.github import parse_github_url
from release.homebrew.formula import template_environment
from release.homebrew.tap import FileChange, Plan, read_text
from release.homebrew.tap_layout import check_formula_path

# The first line of every file tap-setup writes; a file without it was made by someone else.
MARKER = "Created by `invoke release.tap-setup`"
SETUP_FILES = {"README.md": "tap-README.md.j2", ".github/workflows/tests.yml": "tap-tests.yml.j2"}
DEFAULT_TAP = "benbjohnson/litestream"


def tap_name(url: str) -> str:
    """``user/repo`` as ``brew`` names the tap: github.com/benbjohnson/homebrew-litestream -> benbjohnson/litestream."""
    repo = parse_github_url(url)
    return (repo.tap if repo else None) or DEFAULT_TAP


def formula_plan(path: PurePosixPath, text: str) -> Plan:
    """Write the rendered formula at ``path``, unless Homebrew would ignore it there or it is already there."""

    def plan(root: Path) -> list[FileChange]:
        check_formula_path(root, path)
        old = read_text(root, str(path))
        return [] if old == text else [FileChange(str(path), old, text)]

    return plan


def setup_plan(*, tap: str, branch: str, formula_path: PurePosixPath, force: bool, say: Callable[[str], None]) -> Plan:
    """Create or refresh the README and CI workflow; a file tap-setup did not create is kept unless ``force``."""
    env = template_environment()
    wanted = {
        path: env.get_template(template).render(tap=tap, branch=branch, formula_path=str(formula_path))
        for path, template in SETUP_FILES.items()
    }

    def plan(root: Path) -> list[FileChange]:
        check_formula_path(root, formula_path)
        changes = []
        for path, text in wanted.items():
            old = read_text(root, path)
            if old == text:
                say(f"tap-setup: {path} is up to date")
            elif old is None:
                changes.append(FileChange(path, None, text, "create"))
            elif MARKER in old.split("\n", 1)[0]:
                changes.append(FileChange(path, old, text, "update"))
            elif force:
                say(f"tap-setup: replacing {path}, which tap-setup did not create (--force)")
                changes.append(FileChange(path, old, text, "replace"))
            else:
                say(f"tap-setup: left {path} as it is: tap-setup did not create it; pass --force to replace it")
        for change in changes:
            say(f"tap-setup: {change.note} {change.path}")
        return changes

    return plan
