"""Placeholder until the semantic engine lands: operation-level comparison only."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS = ("breaking", "non-breaking", "info")


@dataclass(frozen=True)
class Change:
    id: str
    level: str
    operation: str | None
    location: str
    old: object = None
    new: object = None

    def __str__(self) -> str:
        return f"{self.level:<12} {self.operation or '(document)'}  {self.location}"


def _base(document: dict) -> str:
    servers = document.get("servers") or [{"url": "/"}]
    return re.sub(r"^[a-z]+://[^/]+", "", servers[0]["url"]).rstrip("/")


def _operations(document: dict) -> dict[str, dict]:
    base = _base(document)
    return {f"{method.upper()} {base}{path}": op for path, item in document.get("paths", {}).items()
            for method, op in item.items() if isinstance(op, dict) and method != "parameters"}


def compare(old: dict, new: dict) -> list[Change]:
    before, after = _operations(old), _operations(new)
    changes = [Change("operation-added", "non-breaking", key, "operation") for key in sorted(set(after) - set(before))]
    changes += [Change("operation-removed", "breaking", key, "operation") for key in sorted(set(before) - set(after))]
    for key in sorted(set(before) & set(after)):
        for part in ("parameters", "requestBody", "responses"):
            if before[key].get(part) != after[key].get(part):
                changes.append(Change(f"{part}-changed", "info", key, part))
    return changes
