"""The three formats of a report: text (a terminal), json (tools), markdown (a pull request)."""

from __future__ import annotations

import json
from itertools import groupby

from codegen.diff.model import Change, severity, short
from codegen.diff.rules import LEVELS

FORMATS = ("text", "json", "markdown")
DOCUMENT = "(document)"


def summary(changes: list[Change]) -> str:
    return ", ".join(f"{sum(c.level == level for c in changes)} {level}" for level in LEVELS)


def text(changes: list[Change]) -> str:
    """One line per change, grouped by operation (document-level first), then the counts."""
    lines = []
    for operation, group in groupby(changes, key=lambda c: c.operation):
        lines.append(operation or DOCUMENT)
        for change in group:
            lines.append(f"  {change.level:<12}  {change.location}: {change.message} "
                         f"({short(change.old)} → {short(change.new)})")
    if not changes:
        lines.append("no changes")
    lines.append(summary(changes))
    return "\n".join(lines) + "\n"


def as_json(changes: list[Change]) -> str:
    return json.dumps([change.to_json() for change in changes], indent=2, ensure_ascii=False, default=str) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _code(value: object) -> str:
    return "`" + _cell(short(value)).replace("`", "'") + "`"


def markdown(changes: list[Change]) -> str:
    """A table for a pull-request comment, breaking first."""
    counts = summary(changes)
    if not changes:
        return f"**No API changes** ({counts}).\n"
    lines = [f"**API changes**: {counts}", "", "| level | operation | location | change | old | new |",
             "| --- | --- | --- | --- | --- | --- |"]
    for change in sorted(changes, key=lambda c: severity(c.level)):  # stable: keeps each level's order
        lines.append(f"| {change.level} | {_cell(change.operation or DOCUMENT)} | {_cell(change.location)} "
                     f"| {_cell(change.message)} (`{change.id}`) | {_code(change.old)} | {_code(change.new)} |")
    return "\n".join(lines) + "\n"


RENDERERS = {"text": text, "json": as_json, "markdown": markdown}


def render(changes: list[Change], fmt: str) -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](list(changes))
