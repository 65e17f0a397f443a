"""The Homebrew formula, rendered from templates/litestream.rb.j2 for one release."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import jinja2

from common.errors import UserError
from common.versions import ReleaseVersion
from release.homebrew.checksums_source import Archive

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "litestream.rb.j2"
FORMULA_NAME = "litestream.rb"


def template_environment() -> jinja2.Environment:
    """Jinja2 over templates/, shared by the formula and the tap scaffolding."""
    # Ruby, not HTML: no autoescaping; StrictUndefined turns a template typo into an error, not an empty string.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_formula(version: ReleaseVersion, archives: list[Archive], *, url_base: str) -> str:
    """The formula text: one ``on_macos``/``on_linux`` block per OS, each archive's url and sha256 in it."""
    blocks = [(block, list(group)) for block, group in groupby(archives, key=lambda a: a.platform.block)]
    text = (
        template_environment()
        .get_template(TEMPLATE)
        .render(version=version, blocks=blocks, url_base=url_base.rstrip("/"))
    )
    # As GoReleaser does after rendering: no trailing spaces on any line.
    return "\n".join(line.rstrip() for line in text.split("\n"))


def write_formula(text: str, output: Path) -> None:
    """Write the rendered formula, creating its directory; a path that cannot be written is one clear line."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the formula to {output}: {exc.strerror or exc}; pass --output PATH") from None
