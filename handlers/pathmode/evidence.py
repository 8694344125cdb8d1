"""Pathmode — evidence: query and create evidence items, link them to intents."""

from __future__ import annotations

import math

from generated.pathmode import models
from handlers.pathmode import _evidence, _intents
from handlers.pathmode._common import (
    Event,
    caller,
    current_workspace,
    current_workspace_id,
    fire_and_forget,
    intent_in_workspace,
    product_in_workspace,
    reserve_quota,
)
from handlers.pathmode.store import Evidence
from spec_server import clock
from spec_server.db import serialize, write_transaction
from spec_server.errors import BadRequest
from spec_server.text import trim

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


MAX_OFFSET = 2**53  # past any table; keeps the SQL integer in range


def page_bounds(limit, offset) -> tuple[int, int]:
    """limit: default 50, capped at 200 (a value below 1, or not finite, is the default);
    offset: 0 to MAX_OFFSET (fractions are dropped)."""
    limit = DEFAULT_LIMIT if limit is None or not math.isfinite(limit) or limit < 1 else int(min(limit, MAX_LIMIT))
    offset = 0 if offset is None or not math.isfinite(offset) else int(min(max(offset, 0), MAX_OFFSET))
    return limit, offset


def parse_tags(text: str | None) -> list[str]:
    return [trim(tag) for tag in (text or "").split(",") if trim(tag)]


def get_evidence(product_id=None, type_=None, severity=None, search=None, tags=None, limit=None,
                 offset=None, workspace_id=None) -> tuple[models.GetEvidenceResponse200, int]:
    limit, offset = page_bounds(limit, offset)
    query = Evidence.select().where((Evidence.workspace == current_workspace_id()) & (Evidence.status == "active"))
    if product_id:
        query = query.where(Evidence.product == product_id)
    if type_:
        query = query.where(Evidence.type == type_)
    if severity:
        query = query.where(Evidence.severity == severity)
    if search:
        query = query.where(Evidence.content.contains(search))  # ILIKE '%search%', wildcards escaped
    query = query.order_by(Evidence.created_at.desc(), Evidence.id.desc())
    wanted = parse_tags(tags)
    if wanted:  # containment on a JSON column: filtered here, so the count stays exact
        rows = [row for row in query if set(wanted) <= set(row.tags or [])]
        count, page = len(rows), rows[offset:offset + limit]
    else:
        count, page = query.count(), list(query.offset(offset).limit(limit))
    return {"evidence": _evidence.views(page), "count": count, "limit": limit, "offset": offset}, 200


def post_evidence(body, workspace_id=None) -> tuple[models.PostEvidenceResponse201, int]:
    ws = current_workspace()
    product_id = trim(body["productId"])
    with write_transaction():
        product_in_workspace(product_id, ws.id)
        reserve_quota(ws, "evidence_items", Evidence)
        now = clock.now_ms()
        row = Evidence.create(
            workspace=ws.id, product=product_id, type=body["type"], content=trim(body["content"]),
            source=body.get("source"), source_url=body.get("sourceUrl"), severity=body.get("severity"),
            sentiment=body.get("sentiment"), tags=body.get("tags") or [], stage=body.get("stage"),
            status="active", triage_status="inbox", created_by=caller().user_id,
            created_at=now, updated_at=now)
        fire_and_forget(
            Event("slack", "evidence_created", row.id,
                  {"evidenceId": row.id, "workspaceId": ws.id, "type": row.type, "content": row.content}),
            Event("analytics", "evidence_created", row.id,
                  {"evidenceId": row.id, "workspaceId": ws.id, "userId": caller().user_id}))
    return _evidence.evidence_view(row, []), 201


def unique(ids) -> list[str]:
    return list(dict.fromkeys(ids or []))


def post_intents_id_evidence(id_, body,
                             workspace_id=None) -> tuple[models.PostIntentsIdEvidenceResponse200, int]:
    to_link, to_unlink = unique(body.get("link")), unique(body.get("unlink"))
    if not to_link and not to_unlink:  # the schema says so too; kept for non-validating flavours
        raise BadRequest("At least one of link/unlink must be a non-empty array")
    intent = intent_in_workspace(id_)
    with write_transaction():
        serialize(f"evidence-links:{intent.id}")
        known = _evidence.in_workspace(intent.workspace_id, to_link + to_unlink)
        linked = [evidence_id for evidence_id in to_link if evidence_id in known]
        unlinked = [evidence_id for evidence_id in to_unlink if evidence_id in known]
        _evidence.link(intent.id, linked)  # link first, then unlink: an id in both ends unlinked
        _evidence.unlink(intent.id, unlinked)
    return {"intentId": intent.id, "evidenceIds": _intents.evidence_ids_of(intent.id),
            "linked": len(linked), "unlinked": len(unlinked)}, 200
