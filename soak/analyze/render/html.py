"""analysis.html: ONE self-contained file - checklist on top, inline PNG charts, every section.

No external scripts, styles or images: the charts are base64 data URIs, the CSS is inline.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from soak.analyze.render.charts import render_charts
from soak.analyze.render.text import TITLES, flatten


def render_html(data: dict[str, Any], charts: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("soak.analyze.render", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    sections = [
        (name, flatten({k: v for k, v in section.items() if k not in ("no_data", "why")}))
        for name, section in data["sections"].items()
    ]
    template = env.get_template("analysis.html.j2")
    return template.render(data=data, charts=render_charts(charts), sections=sections, titles=TITLES)
