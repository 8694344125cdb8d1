"""Words of a text as engines compare them: lower case, camelCase and snake_case split,
stop words dropped, crude suffixes folded (``resets``/``reset``/``resetting`` meet)."""

from __future__ import annotations

import re

STOP_WORDS = frozenset("""
a an the and or but if then else of to in on at by for with from into onto as is are was were be
been being it its this that these those there their them they we you your our us i he she his her
can could should would will shall may might must do does did done has have had not no never nor so
than too very just also only all any each every some such own same other more most less least when
where which who whom whose what why how up down out over under again once here via per about
user users able new get set use using used make made
""".split())

NEGATIONS = frozenset("""
not no never without cannot can't don't doesn't didn't isn't aren't wasn't weren't won't
missing skipped skip removed fails failed failing broken todo fixme unhandled unsupported
""".split())

PROHIBITIONS = frozenset("never not no don't mustn't avoid forbid forbidden prohibit prohibited".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9']*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if len(word) > 3 and word[-1] == word[-2]:  # "resetting" -> "resett" -> "reset"
        word = word[:-1]
    return word


def raw_words(text: str) -> list[str]:
    words = []
    for token in _WORD.findall(text or ""):
        for part in _CAMEL.sub(" ", token).replace("_", " ").split():
            words.append(part.lower())
    return words


def terms(text: str) -> list[str]:
    """Content words of ``text``, stemmed, in order, without repeats."""
    seen = []
    for word in raw_words(text):
        if word not in STOP_WORDS and word not in NEGATIONS and len(word) > 1:
            term = stem(word)
            if term not in seen:
                seen.append(term)
    return seen


def is_negated(text: str) -> bool:
    return any(word in NEGATIONS for word in raw_words(text)) or "n't" in (text or "").lower()


def is_prohibition(text: str) -> bool:
    return any(word in PROHIBITIONS for word in raw_words(text))


def term_counts(text: str) -> dict[str, int]:
    """How often each content word of ``text`` occurs, stemmed."""
    counts: dict[str, int] = {}
    for word in raw_words(text):
        if word not in STOP_WORDS and word not in NEGATIONS and len(word) > 1:
            term = stem(word)
            counts[term] = counts.get(term, 0) + 1
    return counts
