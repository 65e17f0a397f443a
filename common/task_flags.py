"""Invoke tasks whose flags show their type in ``--help`` and refuse a value of the wrong type in one line.

Invoke takes a flag's type from its default (``workers=8`` shows ``--workers=INT``), but a value that does not
convert (``--workers eight``) escapes its parser as a traceback; and its automatic short flags take the first free
character of the name, digits and dashes included (``-3``, ``--``). ``FlagTask`` turns the bad value into one
``error:`` line, and gives short flags only where they are pinned (``short=``), so each letter means its flag.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from invoke.exceptions import ParseError
from invoke.parser.argument import Argument
from invoke.tasks import Task

_KIND = {int: "a whole number", float: "a number"}


class CheckedArgument(Argument):
    """An Argument whose failed conversion is a ParseError, which Invoke prints as one line (and exits 1)."""

    def set_value(self, value: Any, cast: bool = True) -> None:
        try:
            super().set_value(value, cast)
        except ValueError:
            kind = _KIND.get(self.kind, self.kind.__name__)
            flag = f"--{self.names[0]}"
            example = f", e.g. {flag} {self.default}" if self.default is not None else ""
            raise ParseError(f"error: {flag} {value!r} is not {kind}; give {kind}{example}") from None

    @classmethod
    def of(cls, arg: Any) -> CheckedArgument:
        return cls(
            names=arg.names,
            kind=arg.kind,
            default=arg.default,
            help=arg.help,
            positional=arg.positional,
            optional=arg.optional,
            incrementable=arg.incrementable,
            attr_name=arg.attr_name,
        )


class FlagTask(Task[Callable[..., Any]]):
    """A Task with checked typed flags; ``short`` maps parameter names to their one-letter flags (no others)."""

    def __init__(self, body: Callable[..., Any], *, short: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(body, auto_shortflags=False, **kwargs)
        self.short = dict(short or {})

    def arg_opts(self, name: str, default: Any, taken_names: set[str]) -> dict[str, Any]:
        opts: dict[str, Any] = super().arg_opts(name, default, taken_names)
        if name in self.short:
            opts["names"] = [*opts["names"], self.short[name]]
        return opts

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        return [CheckedArgument.of(arg) for arg in super().get_arguments(ignore_unknown_help)]
