"""The few GoReleaser template fields a release's ldflags use (``{{ .Version }}``, ``{{ .Commit }}``, ...).

Only plain field references are evaluated; anything else (functions, conditionals) raises, so a check that
needs a value it cannot compute says so instead of comparing against a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ACTION = re.compile(r"(\s*)\{\{(-?)\s*(.*?)\s*(-?)\}\}(\s*)", re.DOTALL)
_FIELD = re.compile(r"^\.([A-Za-z]+)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")


class TemplateError(ValueError):
    """A template uses something beyond plain fields; the message names it."""


def render(template: str, fields: Mapping[str, str], env: Mapping[str, str] | None = None) -> str:
    """Replace ``{{ .Field }}`` and ``{{ .Env.NAME }}``; ``{{-``/``-}}`` trim the whitespace beside them."""

    def substitute(match: re.Match[str]) -> str:
        before, trim_left, expression, trim_right, after = match.groups()
        field = _FIELD.match(expression)
        if not field:
            raise TemplateError(f"{{{{ {expression} }}}}")
        name, sub = field.groups()
        if name == "Env" and sub:
            if env is None or sub not in env:
                raise TemplateError(f"{{{{ .Env.{sub} }}}} (not set)")
            value = env[sub]
        elif sub is None and name in fields:
            value = fields[name]
        else:
            raise TemplateError(f"{{{{ {expression} }}}}")
        return ("" if trim_left else before) + value + ("" if trim_right else after)

    return _ACTION.sub(substitute, template)
