"""Intents: request normalisation, the API shape (mapIntentRowToApiIntent), and loading.

Parse then render: ``normalise_*`` turns request fields into stored values; ``to_api``
turns a row (plus its edge cases, evidence and relations) into the documented shape.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import peewee

from generated.pathmode import models
from handlers.pathmode.store import (
    ConstitutionRule,
    EdgeCase,
    Intent,
    IntentEvidence,
    IntentRelation,
)
from spec_server import jsonio
from spec_server.clock import iso
from spec_server.compiled import Prepared, row_reader
from spec_server.config import settings
from spec_server.errors import InternalError, NotFound
from spec_server.jsonio import Fragment
from spec_server.revisions import SKIPPED, RenderedRows, whole_rows_of
from spec_server.text import is_blank, trim

log = logging.getLogger(__name__)

INTENT_KEYS = (
    "id", "workspaceId", "productId", "stageName", "status", "version", "title", "objective",
    "problemSeverity", "outcomes", "healthMetrics", "scope", "strategicAlignment",
    "alignmentNotes", "context", "constraints", "verification", "externalLinks",
    "evidenceAnchors", "implementationContext", "createdAt", "updatedAt", "shippedAt",
    "verifiedAt", "edgeCases", "evidenceIds", "relations",
)

# request field -> Intent column, for the fields PATCH may replace (edge cases: their own table)
UPDATABLE: dict[str, Any] = {
    "title": "title", "objective": "objective", "outcomes": "outcomes",
    "constraints": "constraints", "healthMetrics": "health_metrics", "edgeCases": None,
    "verification": "verification", "problemSeverity": "problem_severity",
    "evidenceAnchors": "evidence_anchors", "scope": "scope",
}


class MalformedIntent(ValueError):
    """A stored row that cannot be shown in the API shape (skipped by the list)."""


DEFAULT_OUTCOME_PRIORITY = "must"  # an outcome listed without a priority is a requirement


def normalise_outcomes(items: list) -> list[dict]:
    """Strings or structured objects → StructuredOutcome[] ``{id, text, priority}``."""
    outcomes = []
    for item in items:
        if isinstance(item, str):
            item = {"text": item}
        outcomes.append({
            "id": item.get("id") or str(uuid.uuid4()),
            "text": trim(item["text"]),
            "priority": item.get("priority") or DEFAULT_OUTCOME_PRIORITY,
        })
    return outcomes


def clean_strings(items: list) -> list[str]:
    """Coerced to trimmed non-empty strings: blanks are dropped, not refused."""
    return [trim(text) for text in items if isinstance(text, str) and trim(text)]


def normalise_edge_cases(items: list) -> list[tuple[str | None, str, str]]:
    """``(id the client sent back or None, scenario, expectedBehavior)``, trimmed."""
    return [(item.get("id"), trim(item["scenario"]), trim(item["expectedBehavior"])) for item in items]


def replace_edge_cases(intent: Intent, cases: list[tuple[str | None, str, str]]) -> list[dict]:
    """Replace-all (replaceIntentEdgeCasesRpc); callers run it inside their transaction so a
    failure rolls the whole write back. An edge case sent back with one of this intent's own
    ids keeps it, so ``edgeCase:<id>`` anchors and finding targets survive an edit; any other
    id is server-assigned. Returns the stored cases in the API shape, in order."""
    if "edge_case_store" in settings().faults:
        raise InternalError("Failed to sync edge cases")
    reusable = {row.id for row in EdgeCase.select(EdgeCase.id).where(EdgeCase.intent == intent)}
    EdgeCase.delete().where(EdgeCase.intent == intent).execute()
    stored = []
    for position, (sent_id, scenario, expected) in enumerate(cases):
        kept = {"id": sent_id} if sent_id in reusable else {}
        reusable.discard(sent_id)  # an id sent twice is kept once
        case = EdgeCase.create(intent=intent, scenario=scenario, expected_behavior=expected, position=position,
                               **kept)
        stored.append({"id": case.id, "scenario": scenario, "expectedBehavior": expected})
    return stored


EDGE_CASES_OF = Prepared(lambda intent: EdgeCase.select().where(EdgeCase.intent == intent)
                         .order_by(EdgeCase.position), "intent")
EVIDENCE_IDS_OF = Prepared(lambda intent: IntentEvidence.select(IntentEvidence.evidence)
                           .where(IntentEvidence.intent == intent)
                           .order_by(IntentEvidence.created_at, IntentEvidence.id), "intent")


def edge_cases_of(intent_id: str) -> list[dict]:
    return [{"id": case.id, "scenario": case.scenario, "expectedBehavior": case.expected_behavior}
            for case in EDGE_CASES_OF.rows(intent=intent_id)]


def evidence_ids_of(intent_id: str) -> list[str]:
    return [evidence_id for (evidence_id,) in EVIDENCE_IDS_OF.raw_rows(intent=intent_id)]


def to_api(intent: Intent, *, edge_cases: list[dict], evidence_ids: list[str],
           relations: list[dict]) -> models.GetIntentsIdResponse200:
    """The API intent shape; raises MalformedIntent for rows that cannot take it."""
    if not isinstance(intent.title, str) or is_blank(intent.title):
        raise MalformedIntent(f"intent {intent.id} has no title")
    if not isinstance(intent.outcomes, list) or not all(isinstance(o, dict) for o in intent.outcomes):
        raise MalformedIntent(f"intent {intent.id} has malformed outcomes")
    return {
        "id": intent.id,
        "workspaceId": intent.workspace_id,
        "productId": intent.product_id,
        "stageName": intent.stage_name,
        "status": intent.status,
        "version": intent.version,
        "title": intent.title,
        "objective": intent.objective,
        "problemSeverity": intent.problem_severity,
        "outcomes": intent.outcomes,
        "healthMetrics": intent.health_metrics or [],
        "scope": intent.scope,
        "strategicAlignment": intent.strategic_alignment,
        "alignmentNotes": intent.alignment_notes,
        "context": intent.context if intent.context is not None else {},
        "constraints": intent.constraints or [],
        "verification": intent.verification if intent.verification is not None else {},
        "externalLinks": intent.external_links or [],
        "evidenceAnchors": intent.evidence_anchors if intent.evidence_anchors is not None else {},
        "implementationContext": intent.implementation_context,
        "createdAt": iso(intent.created_at),
        "updatedAt": iso(intent.updated_at),
        "shippedAt": iso(intent.shipped_at),
        "verifiedAt": iso(intent.verified_at),
        "edgeCases": edge_cases,
        "evidenceIds": evidence_ids,
        "relations": relations,
    }


def _part(letter: str):
    return peewee.SQL(f"'{letter}'")


def _part_queries(intent) -> tuple:
    """An intent's edge cases, evidence links and relations, as rows of ``(part, order,
    tiebreak, a, b, c)``: one compound statement reads all three, each part in its own order."""
    cases = EdgeCase.select(_part("e"), EdgeCase.position, peewee.SQL("NULL"), EdgeCase.id,
                            EdgeCase.scenario, EdgeCase.expected_behavior).where(EdgeCase.intent == intent)
    evidence = IntentEvidence.select(_part("v"), IntentEvidence.created_at, IntentEvidence.id,
                                     IntentEvidence.evidence, peewee.SQL("NULL"), peewee.SQL("NULL")
                                     ).where(IntentEvidence.intent == intent)
    relations = IntentRelation.select(_part("r"), IntentRelation.position, IntentRelation.id,
                                      IntentRelation.target_id, IntentRelation.type, peewee.SQL("NULL")
                                      ).where(IntentRelation.intent == intent)
    return cases, evidence, relations


def _ordered(compound):
    return compound.order_by(peewee.SQL("1"), peewee.SQL("2"), peewee.SQL("3"))


def _parts_of(intent):
    """The three parts in one statement (one round trip where three were)."""
    cases, evidence, relations = _part_queries(intent)
    return _ordered(cases + evidence + relations)


def _shown_of(intent, workspace):
    """GET /intents/{id} in one statement: the intent's revision (an ``i`` row, only when it is
    in the workspace) and its three parts."""
    head = Intent.select(_part("i"), Intent.revision, peewee.SQL("NULL"), peewee.SQL("NULL"), peewee.SQL("NULL"),
                         peewee.SQL("NULL")).where((Intent.id == intent) & (Intent.workspace == workspace))
    cases, evidence, relations = _part_queries(intent)
    # the head last: PostgreSQL types each UNION column pairwise from the left, and a column of
    # NULLs first would be text against the evidence links' integer ids
    return _ordered(cases + evidence + relations + head)


PARTS_OF = Prepared(_parts_of, "intent")
SHOWN_IN_WORKSPACE = Prepared(_shown_of, "intent", "workspace")


def _sorted_parts(rows) -> tuple[list[dict], list[str], list[dict]]:
    edge_cases, evidence_ids, relations = [], [], []
    for kind, _order, _tiebreak, a, b, c in rows:
        if kind == "e":
            edge_cases.append({"id": a, "scenario": b, "expectedBehavior": c})
        elif kind == "v":
            evidence_ids.append(a)
        elif kind == "r":
            relations.append({"targetId": a, "type": b})
    return edge_cases, evidence_ids, relations


def detail(intent: Intent) -> models.GetIntentsIdResponse200:
    """INTENT_WITH_RELATIONS_SELECT: edge cases, evidence ids and relations populated."""
    edge_cases, evidence_ids, relations = _sorted_parts(PARTS_OF.raw_rows(intent=intent.id))
    return to_api(intent, edge_cases=edge_cases, evidence_ids=evidence_ids, relations=relations)


read_intent_row = row_reader(Intent)
_whole_rows = whole_rows_of(Intent)  # every column of the intents of RenderedRows keys, by id
# each intent shown by id, serialized, per (id, revision, its parts): see spec_server.revisions
SHOWN = RenderedRows()


def shown(intent_id: str, workspace_id: str) -> Fragment:
    """``detail`` of the workspace's intent ``intent_id``, serialized, in one statement: the
    whole row is read only when this worker has not shown it at its revision with these
    parts. 404 when it is not in the workspace."""
    rows = SHOWN_IN_WORKSPACE.raw_rows(intent=intent_id, workspace=workspace_id)
    revision = next((order for kind, order, *_rest in rows if kind == "i"), None)
    if revision is None:
        raise NotFound("Intent not found")
    key = (intent_id, revision, tuple(rows))  # the parts as read: any change is a new key

    def render(raw: tuple, _key: tuple) -> Fragment:  # only for a rendering not yet kept
        edge_cases, evidence_ids, relations = _sorted_parts(rows)
        return jsonio.fragment(to_api(read_intent_row(raw), edge_cases=edge_cases, evidence_ids=evidence_ids,
                                      relations=relations))

    found = SHOWN.items([key], _whole_rows, render)
    if not found:  # deleted since the statement above
        raise NotFound("Intent not found")
    return found[0]


def _listed(where):
    """The list's intents, by id and revision, each followed by its relations: a left join, so
    an intent with k relations comes back as k rows (one with nulls when it has none).
    Ordered so that an intent's rows are consecutive, relations by position."""
    return (Intent.select(Intent.id, Intent.revision, IntentRelation.target_id, IntentRelation.type)
            .join(IntentRelation, peewee.JOIN.LEFT_OUTER, on=(IntentRelation.intent == Intent.id))
            .where(where)
            .order_by(Intent.updated_at.desc(), Intent.id, IntentRelation.position, IntentRelation.id))


# GET /intents, with and without its status filter: compiled once (see compiled.Prepared)
LIST_IN_WORKSPACE = Prepared(lambda ws: _listed(Intent.workspace == ws), "workspace")
LIST_IN_WORKSPACE_BY_STATUS = Prepared(
    lambda ws, status: _listed((Intent.workspace == ws) & (Intent.status == status)), "workspace", "status")
# each list item serialized, per (id, revision, relations): see spec_server.revisions
LISTED = RenderedRows()


def in_workspace(workspace_id: str, status: str | None = None) -> list[Fragment]:
    """INTENT_LIST_SELECT: the workspace's intents (with ``status`` only those), most recently
    updated first, relations populated, edge cases and evidence ids always []. Each intent
    comes back serialized (``jsonio.Fragment``); only those this worker has not rendered at
    their revision are read whole."""
    if status is None:
        heads = LIST_IN_WORKSPACE.raw_rows(workspace=workspace_id)
    else:
        heads = LIST_IN_WORKSPACE_BY_STATUS.raw_rows(workspace=workspace_id, status=status)
    related: dict[tuple[str, int], list] = {}  # (id, revision) -> its relations, in list order
    for intent_id, revision, target, kind in heads:
        relations = related.setdefault((intent_id, revision), [])
        if target is not None:
            relations.append((target, kind))
    keys = [(intent_id, revision, tuple(relations)) for (intent_id, revision), relations in related.items()]
    return LISTED.items(keys, _whole_rows, _listed_intent)


def _listed_intent(raw: tuple, key: tuple):
    """One list item, serialized (or skipped, logged once per revision and worker, when the
    stored row does not map to the API shape)."""
    try:
        row = read_intent_row(raw)
        return jsonio.fragment(to_api(row, edge_cases=[], evidence_ids=[],
                                      relations=[{"targetId": target, "type": kind} for target, kind in key[2]]))
    except (MalformedIntent, TypeError, ValueError, AttributeError):
        log.warning("skipping intent %s that does not map to the API shape", raw[0], exc_info=True)
        return SKIPPED


def active_rules(workspace_id: str):
    return (ConstitutionRule.select()
            .where((ConstitutionRule.workspace == workspace_id) & ConstitutionRule.is_active)
            .order_by(ConstitutionRule.created_at.desc(), ConstitutionRule.id))


def verification_checklist(intent: Intent) -> list[dict]:
    """Outcomes, then health metrics, then manual checks, then active constitution rules."""
    items = [{"text": o.get("text", ""), "category": "outcome"} for o in intent.outcomes or []]
    items += [{"text": m, "category": "health_metric"} for m in intent.health_metrics or []]
    checks = (intent.verification or {}).get("manualChecks") if isinstance(intent.verification, dict) else None
    items += [{"text": str(c), "category": "manual_check"} for c in checks or [] if isinstance(c, str)]
    items += [{"text": rule.text, "category": "constitution"} for rule in active_rules(intent.workspace_id)]
    return items
