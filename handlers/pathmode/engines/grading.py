"""The local grading engine: grades each spec item against the implementation summary and
code changes by the words they share, and says which passage decided.

For each item (outcome, constraint, constitution rule, edge case):
- its key terms are its content words (``_text.terms``);
- the evidence is the summary, sentence by sentence, then the code changes, line by line (a
  diff line starting with ``-`` is a removal and reads as negated);
- fewer than half of the key terms anywhere in the evidence → ``unclear``;
- otherwise the passage sharing the most terms decides: its polarity (negated or not) equal to
  the item's (a prohibition such as "Never log PII" is negative) → ``pass``, else ``fail``.
Deterministic: the same request always gives the same results.

Cost: the passages are indexed once by key term (``Evidence``), so an item costs the passages
that share a term with it, not every passage: items × passages pairs took 110 s for 1,000
outcomes against a 2.2 MB summary. A term is looked up in at most ``POSTINGS_PER_TERM``
passages (its first ones): a word found in hundreds of passages says little about which one
decides, and it bounds an item's cost by its own length. The summary read is capped at
``SUMMARY_CHARS`` (the document caps code changes at 15,000; the summary field itself is
capped in the runtime document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.pathmode.engines import EngineError
from handlers.pathmode.engines._text import is_negated, is_prohibition, terms
from spec_server.config import settings

PASS_COVERAGE = 0.5
QUOTE_CHARS = 160
FAULT = "grading_engine"  # settings().faults: stand-in for a Gemini error, 429 or 503


@dataclass(frozen=True)
class GradingItem:
    text: str
    category: str  # outcome | constraint | constitution | edge_case


@dataclass(frozen=True)
class GradingRequest:
    items: tuple[GradingItem, ...]
    summary: str
    code_changes: str  # already cut to what the engine may read


@dataclass(frozen=True)
class Passage:
    text: str
    source: str  # "summary" | "code changes"
    negated: bool
    terms: frozenset[str]


SUMMARY_CHARS = 20_000
POSTINGS_PER_TERM = 64


def passages(summary: str, code_changes: str) -> list[Passage]:
    found = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", summary[:SUMMARY_CHARS]):
        if sentence.strip():
            found.append(Passage(sentence.strip(), "summary", is_negated(sentence), frozenset(terms(sentence))))
    for line in code_changes.splitlines():
        text = line.strip()
        if not text or text.startswith(("---", "+++", "@@")):
            continue
        removed = text.startswith("-")
        found.append(Passage(text.lstrip("+-").strip(), "code changes", removed or is_negated(text),
                             frozenset(terms(text))))
    return found


class Evidence:
    """The passages, and per key term the first ``POSTINGS_PER_TERM`` passages holding it."""

    def __init__(self, found: list[Passage]):
        self.passages = found
        self.postings: dict[str, list[int]] = {}
        for position, passage in enumerate(found):
            for term in passage.terms:
                posting = self.postings.setdefault(term, [])
                if len(posting) < POSTINGS_PER_TERM:
                    posting.append(position)

    def best(self, key_terms: list[str]) -> Passage:
        """The passage sharing the most key terms; the first one wins ties."""
        shared: dict[int, int] = {}
        for term in key_terms:
            for position in self.postings.get(term, ()):
                shared[position] = shared.get(position, 0) + 1
        top = max(shared.values())
        return self.passages[min(position for position, count in shared.items() if count == top)]


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def grade_item(item: GradingItem, evidence: Evidence | list[Passage]) -> dict:
    if not isinstance(evidence, Evidence):
        evidence = Evidence(evidence)
    key_terms = terms(item.text)
    result = {"item": item.text, "category": item.category}
    if not key_terms:
        return result | {"status": "unclear", "reasoning": "The item has no words that can be looked for."}
    covered = [term for term in key_terms if term in evidence.postings]
    missing = [term for term in key_terms if term not in evidence.postings]
    if not covered or len(covered) < PASS_COVERAGE * len(key_terms):
        named = ", ".join(f"'{t}'" for t in missing)
        return result | {"status": "unclear", "reasoning": (
            f"Only {len(covered)} of {len(key_terms)} key terms appear in the summary or code changes "
            f"(missing {named}), so the implementation does not clearly address it.")}
    best = evidence.best(covered)
    shared = ", ".join(f"'{t}'" for t in key_terms if t in best.terms)
    expected_negative = is_prohibition(item.text)
    agrees = best.negated == expected_negative
    verdict = "supports" if agrees else "contradicts"
    polarity = "negated" if best.negated else "affirmative"
    return result | {"status": "pass" if agrees else "fail", "reasoning": (
        f"In the {best.source}: \"{_quote(best.text)}\" ({polarity}, sharing {shared}), which "
        f"{verdict} this {item.category.replace('_', ' ')}.")}


class LocalGradingEngine:
    name = "local keyword grader"

    def grade(self, request: GradingRequest) -> dict:
        if FAULT in settings().faults:
            raise EngineError("grading engine fault")
        evidence = Evidence(passages(request.summary, request.code_changes))
        results = [grade_item(item, evidence) for item in request.items]
        counts = {status: sum(r["status"] == status for r in results) for status in ("pass", "fail", "unclear")}
        summary = (f"{counts['pass']} of {len(results)} spec items are addressed, {counts['fail']} "
                   f"contradicted and {counts['unclear']} unclear (graded by the {self.name}).")
        return {"results": results, "summary": summary}
