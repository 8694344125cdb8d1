"""Grading an implementation against its intent (POST /intents/{id}/verify).

The configured grading engine (``engines.grading_engine()``) grades every outcome, constraint,
active constitution rule and edge case against ``summary`` and the first 15,000 characters of
``codeChanges``. The verdict rules are ours, whatever the engine: ``pass`` only with zero
``fail``; ``score`` = 100 × (passes + ½ unclear) / items, rounded (0 when there is nothing to
grade). The result is stored on the intent and logged as a ``verification_checkpoint`` note.
"""

from __future__ import annotations

import logging

from handlers.pathmode import _intents, _readiness
from handlers.pathmode._common import caller, next_timestamp
from handlers.pathmode.engines import EngineError, grading_engine
from handlers.pathmode.engines.grading import GradingItem, GradingRequest
from handlers.pathmode.store import Intent, Note
from spec_server import clock, engine_pool
from spec_server.db import write_transaction
from spec_server.errors import BadRequest, Unavailable
from spec_server.text import trim

log = logging.getLogger(__name__)

CODE_CHARS = 15_000
STATUSES = ("pass", "fail", "unclear")
CATEGORIES = ("outcome", "constraint", "constitution", "edge_case")


def grading_items(intent: Intent) -> tuple[GradingItem, ...]:
    items = [GradingItem(text, "outcome") for text in _readiness.outcome_texts(intent.outcomes)]
    items += [GradingItem(text, "constraint") for text in intent.constraints or []]
    items += [GradingItem(rule.text, "constitution") for rule in _intents.active_rules(intent.workspace_id)]
    items += [GradingItem(f"{case['scenario']}: {case['expectedBehavior']}", "edge_case")
              for case in _intents.edge_cases_of(intent.id)]
    return tuple(items)


def score_of(results: list[dict]) -> int:
    if not results:
        return 0
    credit = sum(1.0 if r["status"] == "pass" else 0.5 if r["status"] == "unclear" else 0.0 for r in results)
    return round(100 * credit / len(results))


def checked(results) -> list[dict]:
    """An engine's results in the documented shape, or EngineError (a hosted engine may drift)."""
    if not isinstance(results, list):
        raise EngineError("results is not a list")
    shaped = []
    for r in results:
        if not isinstance(r, dict) or r.get("status") not in STATUSES or r.get("category") not in CATEGORIES:
            raise EngineError(f"malformed result {r!r}")
        shaped.append({key: str(r.get(key, "")) for key in ("item", "category", "status", "reasoning")})
    return shaped


def verify_intent(intent: Intent, body: dict):
    summary = trim(body.get("summary") or "")
    if not summary:  # the schema's \S pattern already says so; kept for direct callers
        raise BadRequest("summary is required")
    code_changes = body.get("codeChanges") or ""
    request = GradingRequest(grading_items(intent), summary, code_changes[:CODE_CHARS])
    try:
        # on the engines' own pool, one call per workspace at a time (busy: 503 + Retry-After)
        graded = engine_pool.run(intent.workspace_id, grading_engine().grade, request, slot=caller().engine_slot)
        if not isinstance(graded, dict):
            raise EngineError("the engine's answer is not an object")
        results = checked(graded.get("results"))
    except EngineError:
        log.warning("grading engine failed for intent %s", intent.id, exc_info=True)
        raise Unavailable("AI verification service temporarily unavailable") from None
    result = {
        "pass": not any(r["status"] == "fail" for r in results),
        "score": score_of(results),
        "results": results,
        "summary": str(graded.get("summary") or ""),
    }
    from handlers.pathmode.intents import verification_summary  # the note text of every checkpoint

    with write_transaction():
        current = Intent.get_by_id(intent.id)
        Intent.update(verification_result=result, updated_at=next_timestamp(current.updated_at)) \
            .where(Intent.id == intent.id).execute()
        Note.create(intent=intent.id, note=verification_summary(result), source="verification_checkpoint",
                    created_by=caller().user_id, created_at=clock.now_ms())
    return result, 200
