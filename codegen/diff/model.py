"""What a finding is (``Change``) and where findings are gathered while comparing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from codegen.diff.rules import LEVELS, rule

SHORT_VALUE = 80  # characters of old/new shown on one line; the JSON format keeps them whole


def severity(level: str) -> int:
    """0 for breaking, 1 for non-breaking, 2 for info: sorts and compares levels."""
    return LEVELS.index(level)


def short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= SHORT_VALUE else text[: SHORT_VALUE - 1] + "…"


def at(base: str, keyword: str) -> str:
    """``request body .name`` + ``maxLength`` → ``request body .name: maxLength``."""
    return f"{base}: {keyword}" if base else keyword


@dataclass(frozen=True)
class Change:
    id: str  # kebab-case kind, see codegen/diff/rules.py
    level: str  # one of LEVELS
    operation: str | None  # "POST /api/org/{slug}/projects"; None for document-level findings
    location: str  # "request body .name", "response 200 body .org.residency", "x-rateLimit"
    old: object  # JSON-able value before (None when added)
    new: object  # JSON-able value after (None when removed)

    @property
    def message(self) -> str:
        return rule(self.id).message

    def __str__(self) -> str:
        place = f"{self.operation}  " if self.operation else "(document)  "
        return f"{self.level}  {place}{self.location}: {self.message} ({short(self.old)} → {short(self.new)})"

    def __hash__(self) -> int:  # old/new may be dicts: hash their JSON
        return hash((self.id, self.level, self.operation, self.location, short(self.old), short(self.new)))

    def to_json(self) -> dict:
        return {"id": self.id, "level": self.level, "operation": self.operation,
                "location": self.location, "old": self.old, "new": self.new}


@dataclass
class Findings:
    """Collects changes; the level always comes from the rules table, never from the caller."""

    changes: list[Change] = field(default_factory=list)

    def add(self, change_id: str, operation: str | None, location: str, old: object = None, new: object = None) -> None:
        self.changes.append(Change(change_id, rule(change_id).level, operation, location, old, new))
