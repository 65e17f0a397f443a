"""The terminal every task prints to: full width in CI logs, where rich would otherwise wrap at 80 columns."""

from __future__ import annotations

from rich.console import Console


def terminal() -> Console:
    """A console that does not squeeze lines to 80 columns when the output is a CI log rather than a terminal."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=160, soft_wrap=True)
