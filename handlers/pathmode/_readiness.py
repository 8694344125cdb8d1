"""Readiness of an intent (evaluateIntentReadiness): one function for prompt and export.

An intent is *substantive* when its title is meaningful and it says something beyond the
title (a meaningful objective or at least one outcome); it is *ready for execution* when it
has a meaningful title, a meaningful objective and at least one outcome. ``score`` (0-100)
weighs those three (25 + 25 + 30) plus edge cases (10) and constraints or health metrics (10).
"""

from __future__ import annotations

import re

from spec_server.errors import Unprocessable

# Texts that only hold a place: an intent whose title or objective is one of these says nothing
PLACEHOLDERS = frozenset({
    "", "tbd", "todo", "to do", "n/a", "na", "none", "placeholder", "untitled", "untitled intent",
    "new intent", "test", "testing", "xxx", "lorem ipsum", "...", "-", "?", "wip", "fixme",
    "description", "objective", "title", "intent",
})
MIN_LETTERS = 3
MIN_OBJECTIVE_WORDS = 2

SUGGESTION = ("Add a meaningful title, a real objective and at least one concrete outcome "
              "before handing this intent to an agent.")


def _normal(text) -> str:
    return re.sub(r"\s+", " ", text).strip().lower().rstrip(".!") if isinstance(text, str) else ""


def is_meaningful(text, *, min_words: int = 1) -> bool:
    normal = _normal(text)
    if normal in PLACEHOLDERS or sum(ch.isalpha() for ch in normal) < MIN_LETTERS:
        return False
    return len(normal.split()) >= min_words


def outcome_texts(outcomes) -> list[str]:
    texts = []
    for outcome in outcomes or []:
        text = outcome.get("text") if isinstance(outcome, dict) else outcome
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
    return texts


def evaluate(spec: dict) -> dict:
    """``spec`` is the API intent shape (title, objective, outcomes, edgeCases, ...)."""
    title_ok = is_meaningful(spec.get("title"))
    objective_ok = is_meaningful(spec.get("objective"), min_words=MIN_OBJECTIVE_WORDS)
    outcomes = outcome_texts(spec.get("outcomes"))
    blockers, warnings = [], []
    if not title_ok:
        blockers.append("Title is missing or a placeholder.")
    if not objective_ok:
        blockers.append("Objective is missing or a placeholder.")
    if not outcomes:
        blockers.append("No outcomes: add at least one observable outcome.")
    if not spec.get("edgeCases"):
        warnings.append("No edge cases listed.")
    if not (spec.get("constraints") or spec.get("healthMetrics")):
        warnings.append("No constraints or health metrics listed.")
    score = (25 * title_ok + 25 * objective_ok + 30 * bool(outcomes)
             + 10 * bool(spec.get("edgeCases")) + 10 * bool(spec.get("constraints") or spec.get("healthMetrics")))
    return {
        "isSubstantive": title_ok and (objective_ok or bool(outcomes)),
        "isReadyForExecution": title_ok and objective_ok and bool(outcomes),
        "score": score,
        "blockers": blockers,
        "warnings": warnings,
    }


def not_ready(message: str, readiness: dict) -> Unprocessable:
    """The 422 of prompt and export: ``{error, readiness, suggestion}``."""
    return Unprocessable(message, extra={"readiness": readiness, "suggestion": SUGGESTION})
