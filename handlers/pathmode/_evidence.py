"""Evidence items: the API shape and the intent ↔ evidence links.

The link table is the one record of a link: an intent's ``evidenceIds`` and an evidence
item's ``linkedIntentIds`` are both read from it, so the two sides always agree (the
original dual-writes a join table and an array column).
"""

from __future__ import annotations

from handlers.pathmode.store import Evidence, IntentEvidence
from spec_server.clock import iso, now_ms


def linked_intents(evidence_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {evidence_id: [] for evidence_id in evidence_ids}
    if evidence_ids:
        rows = (IntentEvidence.select(IntentEvidence.evidence, IntentEvidence.intent)
                .where(IntentEvidence.evidence.in_(evidence_ids))
                .order_by(IntentEvidence.created_at, IntentEvidence.id))
        for row in rows:
            found[row.evidence_id].append(row.intent_id)
    return found


def evidence_view(row: Evidence, linked_intent_ids: list[str]) -> dict:
    """Every field always present: nullable columns as null, arrays as []."""
    return {
        "id": row.id,
        "productId": row.product_id,
        "workspaceId": row.workspace_id,
        "type": row.type,
        "content": row.content,
        "source": row.source,
        "sourceUrl": row.source_url,
        "severity": row.severity,
        "sentiment": row.sentiment,
        "tags": row.tags if isinstance(row.tags, list) else [],
        "stage": row.stage,
        "linkedIntentIds": linked_intent_ids,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def views(rows: list[Evidence]) -> list[dict]:
    links = linked_intents([row.id for row in rows])
    return [evidence_view(row, links[row.id]) for row in rows]


def in_workspace(workspace_id: str, evidence_ids: list[str]) -> set[str]:
    """The subset of ``evidence_ids`` that are evidence items of the workspace."""
    if not evidence_ids:
        return set()
    rows = Evidence.select(Evidence.id).where(
        (Evidence.workspace == workspace_id) & Evidence.id.in_(evidence_ids))
    return {row.id for row in rows}


def link(intent_id: str, evidence_ids: list[str]) -> None:
    for evidence_id in evidence_ids:
        (IntentEvidence.insert(intent=intent_id, evidence=evidence_id, created_at=now_ms())
         .on_conflict_ignore().execute())


def unlink(intent_id: str, evidence_ids: list[str]) -> None:
    if evidence_ids:
        IntentEvidence.delete().where(
            (IntentEvidence.intent == intent_id) & IntentEvidence.evidence.in_(evidence_ids)).execute()
