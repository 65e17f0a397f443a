"""One way for a task to fail: a sentence on stderr and an exit code, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from invoke.exceptions import Exit

P = ParamSpec("P")
R = TypeVar("R")


class UserError(Exception):
    """Bad input or a broken environment: the message says what is wrong and how to fix it.

    ``code`` is the exit status the task ends with (1 unless a job documents another, e.g. 2 for
    unreadable input to the analyzer). ``where`` names partial artifacts that were kept.
    """

    def __init__(self, message: str, *, code: int = 1, where: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.where = where

    def line(self) -> str:
        text = str(self)
        if self.where:
            text += f" (artifacts kept in {self.where})"
        return text


def fail_cleanly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a UserError raised by a task body into one ``error:`` line and a non-zero exit.

    Applied under ``@task`` so Invoke still sees the body's signature (via ``__wrapped__``).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            print(f"error: {exc.line()}", file=sys.stderr, flush=True)
            raise Exit(code=exc.code) from None

    return wrapper
