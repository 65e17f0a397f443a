"""What Invoke's ``@task`` cannot say on its own: which flags get a short form, a typed flag whose bad value is one
line rather than a traceback, and a positional argument that may be left out (``invoke soak.analyze``,
``invoke soak.analyze DIR`` and ``--run-dir DIR`` all work).

Use it as ``@task(klass=Task, short_flags={"format": "f"}, optional_positional="run_dir", ...)``.

- Short flags: Invoke's ``auto_shortflags`` hands out the first free character of each name in signature order,
  digits and dashes included (``-3``, ``--`` for ``rss-slope``), so it is off and only the pinned letters exist.
- Typed flags: Invoke takes a flag's type from its default (``workers=8`` shows ``--workers=INT``), but a value
  that does not convert escapes its parser as a traceback; here it is a ParseError, one ``error:`` line.
- Optional positional: Invoke fills a positional argument from the first bare word only while its value is None,
  then fails a task whose positional argument got no word. So the optional one is declared with no default (it
  eats the first bare word), and just before that check its task default is put in when no word came: a small
  wrap of Invoke's ``ParseMachine.complete_context``, which touches only arguments of that class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from invoke.exceptions import ParseError
from invoke.parser.argument import Argument
from invoke.parser.parser import ParseMachine
from invoke.tasks import Task as InvokeTask

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


class OptionalPositional(CheckedArgument):
    """A positional argument that takes the task's default when no bare word was given for it."""

    def __init__(self, *, absent: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.absent = absent


def _complete_context(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def complete_context(machine: Any) -> None:
        context = machine.context
        for arg in getattr(context, "positional_args", None) or []:
            if isinstance(arg, OptionalPositional) and arg.value is None:
                arg.set_value(arg.absent, cast=False)
        original(machine)

    complete_context.wrapped_for_optional_positional = True  # type: ignore[attr-defined]
    return complete_context


if not getattr(ParseMachine.complete_context, "wrapped_for_optional_positional", False):
    ParseMachine.complete_context = _complete_context(ParseMachine.complete_context)  # type: ignore[method-assign,assignment]


class Task(InvokeTask[Any]):
    """An Invoke task with pinned short flags, checked typed flags and at most one positional that may be left out."""

    def __init__(
        self,
        body: Callable[..., Any],
        *,
        short_flags: Mapping[str, str] | None = None,
        optional_positional: str | None = None,
        **kwargs: Any,
    ) -> None:
        positional = list(kwargs.pop("positional", None) or [])
        if optional_positional is not None and optional_positional not in positional:
            positional.insert(0, optional_positional)
        super().__init__(body, auto_shortflags=False, positional=positional, **kwargs)
        self.short_flags = dict(short_flags or {})
        self.optional_positional = optional_positional

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        args: list[Argument] = []
        for arg in super().get_arguments(ignore_unknown_help):
            name = arg.attr_name or arg.name
            names = (*arg.names, self.short_flags[name]) if name in self.short_flags else tuple(arg.names)
            common = {"names": names, "kind": arg.kind, "help": arg.help, "attr_name": arg.attr_name}
            if name == self.optional_positional:
                args.append(OptionalPositional(default=None, positional=True, absent=arg.default, **common))
            else:
                args.append(
                    CheckedArgument(
                        default=arg.default,
                        positional=arg.positional,
                        optional=arg.optional,
                        incrementable=arg.incrementable,
                        **common,
                    )
                )
        return args
