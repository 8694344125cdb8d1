"""``x-*`` extensions: every change is reported; the rule extensions get a direction.

``RULES`` is the one table: an extension named there is classified by its function, any other
``x-*`` is reported as info (``x-generated-from``, the provenance line of generated documents,
included). Pathmode's values: ``x-scope`` read/write/admin/none, ``x-auth``
``api-key-or-cookie``/``cookie-session-only``, ``x-rateLimit`` ``"general 300/h"``,
``"analyzeCodebase 30/24h (per workspace)"`` or ``"none"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from codegen.diff.model import Findings, at


def _none(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() == "none")


def scope_rule(old: object, new: object) -> str:
    """Changed → breaking (keys with the old scope are refused) unless no scope is needed now."""
    if _none(new):
        return "x-extension-changed" if _none(old) else "x-scope-removed"
    return "x-scope-changed"


# Spellings of one way to authenticate; a value is ways joined by "-or-", maybe ending "-only".
AUTH_ALIASES = {"cookie-session": "cookie", "session": "cookie", "session-cookie": "cookie",
                "apikey": "api-key", "key": "api-key", "bearer": "api-key"}
EVERYONE = frozenset({"*"})


def auth_ways(value: object) -> frozenset[str] | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in ("none", "public", "anonymous"):
        return EVERYONE
    text = text.removesuffix("-only")
    return frozenset(AUTH_ALIASES.get(way, way) for way in text.split("-or-"))


def auth_rule(old: object, new: object) -> str:
    before, after = auth_ways(old), auth_ways(new)
    if before is None or after is None:
        return "x-auth-changed"
    if before == after:
        return "x-extension-changed"
    if after == EVERYONE or (before != EVERYONE and after > before):
        return "x-auth-widened"
    if before == EVERYONE or after < before:
        return "x-auth-narrowed"
    return "x-auth-changed"


RATE = re.compile(
    r"^\s*(?:(?P<bucket>[A-Za-z_][\w.-]*)\s+)?(?P<count>\d+)\s*/\s*(?P<length>\d+)?\s*(?P<unit>[a-z]+)"
    r"\s*(?P<qualifier>\(.*\))?\s*$")
SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hr": 3600,
           "hour": 3600, "d": 86400, "day": 86400, "w": 604800, "week": 604800}
UNLIMITED = "unlimited"


def rate_limit(value: object) -> tuple | str | None:
    """``"general 300/h"`` → (("general", None), 300/3600); "none" or absent → UNLIMITED; None if unreadable."""
    if _none(value):
        return UNLIMITED
    match = RATE.match(value) if isinstance(value, str) else None
    if not match or match["unit"].rstrip("s") not in SECONDS and match["unit"] not in SECONDS:
        return None
    unit = SECONDS.get(match["unit"]) or SECONDS[match["unit"].rstrip("s")]
    window = int(match["length"] or 1) * unit
    return (match["bucket"], (match["qualifier"] or "").lower()), int(match["count"]) / window


def rate_limit_rule(old: object, new: object) -> str:
    """Fewer requests per window, or another bucket → breaking; more → non-breaking."""
    before, after = rate_limit(old), rate_limit(new)
    if before is None or after is None:
        return "x-rate-limit-changed"
    if before == UNLIMITED or after == UNLIMITED:
        if before == after:
            return "x-rate-limit-rewritten"
        return "x-rate-limit-lowered" if before == UNLIMITED else "x-rate-limit-raised"
    if before[0] != after[0]:
        return "x-rate-limit-bucket-changed"
    if after[1] < before[1]:
        return "x-rate-limit-lowered"
    return "x-rate-limit-raised" if after[1] > before[1] else "x-rate-limit-rewritten"


def generic_rule(old: object, new: object) -> str:
    if old is None:
        return "x-extension-added"
    return "x-extension-removed" if new is None else "x-extension-changed"


RULES: dict[str, Callable[[object, object], str]] = {
    "x-scope": scope_rule,
    "x-auth": auth_rule,
    "x-rateLimit": rate_limit_rule,
}


def compare_extensions(old: object, new: object, findings: Findings, operation: str | None, base: str) -> None:
    """Every ``x-*`` key of two nodes that differs, at ``base: x-key``."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    for key in sorted({k for k in (*old, *new) if k.startswith("x-")}):
        before, after = old.get(key), new.get(key)
        if before != after:
            findings.add(RULES.get(key, generic_rule)(before, after), operation, at(base, key), before, after)
