"""pathmode — analyze-codebase: POST /api/v1/intents/{id}/analyze-codebase.

Gates, each before any stream starts: intent (404), owner/admin/editor membership of its
workspace (403), paid plan (403), the ``implementation_context_enabled`` flag (403), an
analysis engine configured (503), a bound repository (400), then the ``analyzeCodebase`` rate
limit keyed ``workspace:<id>`` (429; intents of example products are exempt). Then 200 and an
NDJSON stream: the engine's cloning / analyzing / writing events as they happen, the write of
``implementation_context`` (this route is its only writer), and ``done`` with the full intent;
any failure after the 200 is a final ``{"phase": "error"}`` line.
"""

from __future__ import annotations

import hashlib
import json
import logging

from handlers.pathmode import _intents, _readiness
from handlers.pathmode._common import caller, next_timestamp
from handlers.pathmode._spec_context import implementation_context_enabled
from handlers.pathmode.engines import EngineError, EngineNotConfigured, analysis_engine
from handlers.pathmode.engines.analysis import AnalysisRequest
from handlers.pathmode.store import Intent, Membership, Product, Workspace
from spec_server import context, db, ratelimit
from spec_server.errors import BadRequest, Forbidden, NotFound, Unavailable
from spec_server.responses import ndjson_stream

log = logging.getLogger(__name__)

ANALYST_ROLES = frozenset({"owner", "admin", "editor"})
PAID_PLANS = frozenset({"pro", "team"})
EVENT_KEYS = ("phase", "message", "partialResult", "updatedSpec", "error")


def spec_version(spec: dict) -> str:
    """analyzedSpecVersion: the first 16 hex characters of the SHA-256 of the canonical spec
    content (the fields an agent builds from, as sorted compact JSON)."""
    canonical = {
        "title": spec.get("title"),
        "objective": spec.get("objective"),
        "outcomes": _readiness.outcome_texts(spec.get("outcomes")),
        "constraints": spec.get("constraints") or [],
        "healthMetrics": spec.get("healthMetrics") or [],
        "edgeCases": [[c["scenario"], c["expectedBehavior"]] for c in spec.get("edgeCases") or []],
        "scope": spec.get("scope"),
        "verification": spec.get("verification") or {},
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def gate(intent_id: str) -> tuple[Intent, Workspace]:
    intent = Intent.get_or_none(Intent.id == intent_id)
    if intent is None:
        raise NotFound("Intent not found")
    membership = Membership.get_or_none(
        (Membership.workspace == intent.workspace_id) & (Membership.user == caller().user_id))
    if membership is None or membership.role not in ANALYST_ROLES:
        raise Forbidden("Only workspace owners, admins and editors can analyze the codebase")
    ws = Workspace.get_by_id(intent.workspace_id)
    if ws.plan not in PAID_PLANS:
        raise Forbidden("Codebase analysis requires a paid plan (pro or team)")
    if not implementation_context_enabled(ws):
        raise Forbidden("Implementation context is not enabled for this workspace")
    return intent, ws


def persist(intent_id: str, context: dict) -> dict:
    """Write implementation_context; returns the full intent (mapIntentRowToApiIntent)."""
    with db.connection(), db.write_transaction():
        current = Intent.get_or_none(Intent.id == intent_id)
        if current is None:
            raise EngineError("the intent was deleted during the analysis")
        Intent.update(implementation_context=context, updated_at=next_timestamp(current.updated_at)) \
            .where(Intent.id == intent_id).execute()
        return _intents.detail(Intent.get_by_id(intent_id))


def progress(engine, request: AnalysisRequest, intent_id: str):
    context = None
    try:
        for event in engine.analyze(request):
            event = {key: event[key] for key in EVENT_KEYS if key in event}
            if event.get("phase") == "writing":
                context = event.get("partialResult")
            yield event
        if not isinstance(context, dict):
            raise EngineError("the engine produced no implementation context")
        yield {"phase": "done", "message": "Analysis complete", "updatedSpec": persist(intent_id, context)}
    except EngineError as error:
        log.warning("analysis of intent %s failed: %s", intent_id, error)
        yield {"phase": "error", "message": "Analysis failed", "error": str(error)}
    except Exception:
        log.exception("analysis of intent %s failed", intent_id)
        yield {"phase": "error", "message": "Analysis failed", "error": "Internal error"}


def post_intents_id_analyze_codebase(id_):
    """POST /api/v1/intents/{id}/analyze-codebase"""
    intent, ws = gate(id_)
    try:
        engine = analysis_engine()
    except EngineNotConfigured:
        log.warning("analysis requested but no analysis engine is configured", exc_info=True)
        raise Unavailable("Service not configured") from None
    if not (ws.repository or "").strip():
        raise BadRequest("No repository is bound to this workspace")
    product = Product.get_or_none(Product.id == intent.product_id) if intent.product_id else None
    rule = context.current().operation.rate_limit  # "(per workspace)" in the document
    if rule is not None and not (product and product.is_example):
        ratelimit.hit(rule.bucket, f"workspace:{ws.id}", extra_body=True,
                      message="Daily analysis limit reached for this workspace")
    spec = _intents.detail(intent)
    request = AnalysisRequest(spec=spec, repository=ws.repository.strip(), spec_version=spec_version(spec))
    return ndjson_stream(progress(engine, request, intent.id))
