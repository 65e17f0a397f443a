"""The Homebrew formula, rendered from templates/litestream.rb.j2 for one release."""

from __future__ import annotations

from pathlib import Path

import jinja2

from common.errors import UserError
from common.versions import ReleaseVersion
from release.homebrew.checksums_source import Archive

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "litestream.rb.j2"
FORMULA_NAME = "litestream.rb"
PREVIEW_MARK = "# PREVIEW:"


def template_environment() -> jinja2.Environment:
    """Jinja2 over templates/, shared by the formula and the tap scaffolding."""
    # Ruby, not HTML: no autoescaping; StrictUndefined turns a template typo into an error, not an empty string.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_formula(version: ReleaseVersion, archives: list[Archive], *, url_base: str, preview: bool = False) -> str:
    """The formula text: each platform's url and sha256 in its ``on_macos``/``on_linux`` branch, one ``install``.

    ``preview`` marks it, in a comment line, as rendered from a local build's checksums (release.tap refuses it).
    """
    by_platform = {f"{a.platform.os}-{a.platform.arch}": a for a in archives}
    text = (
        template_environment()
        .get_template(TEMPLATE)
        .render(version=version, archives=by_platform, url_base=url_base.rstrip("/"), preview=preview)
    )
    # As GoReleaser does after rendering: no trailing spaces on any line.
    return "\n".join(line.rstrip() for line in text.split("\n"))


def is_preview(text: str) -> bool:
    """Whether a rendered formula carries the preview mark."""
    return any(line.startswith(PREVIEW_MARK) for line in text.splitlines()[:8])


def write_formula(text: str, output: Path) -> None:
    """Write the rendered formula, creating its directory; a path that cannot be written is one clear line."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the formula to {output}: {exc.strerror or exc}; pass --output PATH") from None
