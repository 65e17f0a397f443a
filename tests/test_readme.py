"""The README's test command is the one CI runs, and the README names every task."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support.paths import PROJECT_ROOT


def _readme_commands() -> list[str]:
    """The shell lines of the README's fenced blocks under 'Two commands'."""
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_has_exactly_two_commands() -> None:
    assert len(_readme_commands()) == 2


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _readme_commands()[1]
    ci_lines = [
        line.strip()
        for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci_lines[-1] == test_command


def test_readme_lists_every_task() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "invoke", "--list", "--list-format", "flat"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = re.findall(r"^  (\S+)", listing, flags=re.M)
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert names, listing
    for name in names:
        assert f"`invoke {name}" in readme, name
