"""The jinja2 environment of every Pathmode text the server renders: agent prompts, export
files and the public review page (``handlers/pathmode/templates/``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=autoescape,  # HTML only; markdown and JSON texts are not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
    )
    env.filters["pretty_json"] = _pretty_json
    return env


def render(name: str, **values) -> str:
    return _environment(name.endswith(".html.jinja")).get_template(name).render(**values)
