"""analysis.html: ONE self-contained file - checklist on top, inline PNG charts, every section as tables.

No external scripts, styles or images: the charts are base64 data URIs, the CSS is inline.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from soak.analyze.render.charts import render_charts
from soak.analyze.render.tables import TITLES, VERDICT_WORD, checklist, excerpts, missing_lines, section_tables


def render_html(data: dict[str, Any], charts: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("soak.analyze.render", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    sections = [(name, section_tables(section), excerpts(section)) for name, section in data["sections"].items()]
    template = env.get_template("analysis.html.j2")
    return template.render(
        data=data,
        checklist=zip(data["criteria"], checklist(data).rows, strict=True),
        missing=missing_lines(data),
        charts=render_charts(charts),
        sections=sections,
        titles=TITLES,
        verdict_word=VERDICT_WORD.get(str(data["verdict"]), str(data["verdict"]).upper()),
    )
