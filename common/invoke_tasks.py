"""Two things Invoke's ``@task`` cannot say: which flags get a short form, and a positional argument that may be
left out (``invoke soak.analyze`` and ``invoke soak.analyze DIR`` both work, and so does ``--run-dir DIR``).

Use it as ``@task(klass=Task, short_flags={"format": "f"}, optional_positional="run_dir", ...)``.

Invoke fills a positional argument from the first bare word only while its value is None, and then fails a
task whose positional argument got no word ("did not receive required positional arguments"). So the optional
one is declared with no default (it eats the first bare word), and just before that check its task default is
put in when no word came: a small wrap of Invoke's ``ParseMachine.complete_context``, which touches only
arguments of the class below. Invoke's ``auto_shortflags`` is off: it hands out letters in signature order and
ends in names such as ``--`` (a dash of ``rss-slope``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from invoke.parser.argument import Argument
from invoke.parser.parser import ParseMachine
from invoke.tasks import Task as InvokeTask


class OptionalPositional(Argument):
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
    """An Invoke task with chosen short flags and at most one positional argument that may be left out."""

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
            if name == self.optional_positional:
                arg = OptionalPositional(
                    names=names,
                    kind=arg.kind,
                    default=None,
                    help=arg.help,
                    positional=True,
                    attr_name=arg.attr_name,
                    absent=arg.default,
                )
            else:
                arg.names = names
            args.append(arg)
        return args
