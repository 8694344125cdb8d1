"""Pathmode — intents: list, create, read, update and transition intent specs."""

from __future__ import annotations

from typing import Any, cast

from generated.pathmode import models
from handlers.pathmode import _finding_rules, _intents, _prompts, _sharing, _verification
from handlers.pathmode._common import (
    Event,
    caller,
    current_workspace,
    current_workspace_id,
    fire_and_forget,
    intent_in_workspace,
    next_timestamp,
    reserve_quota,
)
from handlers.pathmode.store import Intent, Note, Product
from spec_server import clock, faults, offload
from spec_server.choices import Keyed
from spec_server.compiled import insert
from spec_server.db import write_transaction
from spec_server.errors import BadRequest, NotFound
from spec_server.text import trim


def get_intents(status=None, workspace_id=None) -> tuple[models.GetIntentsResponse200, int]:
    # status: exact match, unknown values find nothing
    intents = _intents.in_workspace(current_workspace_id(), status)
    return {"intents": intents, "count": len(intents)}, 200


def post_intents(body, workspace_id=None) -> tuple[models.PostIntentsResponse201, int]:
    ws = current_workspace()
    product_id = trim(body["productId"])
    with write_transaction():
        now = clock.now_ms()
        intent = insert(
            Intent,
            only_if_row=(Product, {"id": product_id, "workspace": ws.id}),  # the product check, same statement
            workspace=ws.id,
            product=product_id,
            status="draft",
            version=1,
            title=trim(body["title"]),
            objective=trim(body["objective"]),
            problem_severity=body.get("problemSeverity"),
            outcomes=_intents.normalise_outcomes(body.get("outcomes") or []),
            health_metrics=_intents.clean_strings(body.get("healthMetrics") or []),
            constraints=_intents.clean_strings(body.get("constraints") or []),
            verification=body.get("verification") or {},
            scope=body.get("scope"),
            created_at=now,
            updated_at=now,
        )
        if intent is None:
            raise NotFound("Product not found")
        reserve_quota(ws, "intents", Intent, inserted=1)
        edge_cases = []
        if body.get("edgeCases"):
            edge_cases = _intents.replace_edge_cases(intent, _intents.normalise_edge_cases(body["edgeCases"]))
        fire_and_forget(
            Event("slack", "intent_status_changed", intent.id,
                  {"intentId": intent.id, "title": intent.title, "status": "draft", "previousStatus": None}),
            Event("analytics", "intent_created", intent.id,
                  {"intentId": intent.id, "workspaceId": ws.id, "userId": caller().user_id}))
    # the row as written: a new intent has no evidence or relations yet (tests compare this
    # answer with a later GET of the same intent)
    return _intents.to_api(intent, edge_cases=edge_cases, evidence_ids=[], relations=[]), 201


def get_intents_id(id_, workspace_id=None) -> tuple[models.GetIntentsIdResponse200, int]:
    if faults.cross_tenant():  # planted fault: the lookup stops filtering by workspace
        return _intents.detail(intent_in_workspace(id_)), 200
    return cast(models.GetIntentsIdResponse200, _intents.shown(id_, current_workspace_id())), 200


def patch_intents_id(id_, body=None, workspace_id=None) -> tuple[models.PatchIntentsIdResponse200, int]:
    body = body or {}
    intent = intent_in_workspace(id_)
    if not any(field in body for field in _intents.UPDATABLE):
        raise BadRequest("At least one field must be provided to update")
    changes: dict[str, Any] = {}
    if "title" in body:
        changes["title"] = trim(body["title"])
    if "objective" in body:
        changes["objective"] = trim(body["objective"])
    if "outcomes" in body:
        changes["outcomes"] = _intents.normalise_outcomes(body["outcomes"])
    for field in ("constraints", "healthMetrics"):
        if field in body:
            changes[_intents.UPDATABLE[field]] = _intents.clean_strings(body[field])
    for field in ("verification", "problemSeverity", "evidenceAnchors", "scope"):
        if field in body:
            changes[_intents.UPDATABLE[field]] = body[field]
    with write_transaction():
        current = intent_in_workspace(id_)  # re-read inside the lock: the snapshot
        changes["updated_at"] = next_timestamp(current.updated_at)
        Intent.update(**changes).where(Intent.id == intent.id).execute()
        cases_before = None
        if "edgeCases" in body:
            cases_before = _intents.edge_cases_of(intent.id)
            _intents.replace_edge_cases(intent, _intents.normalise_edge_cases(body["edgeCases"]))
        updated = Intent.get_by_id(intent.id)
        _finding_rules.after_intent_patch(current, updated, body, cases_before)
    return _intents.detail(updated), 200


STATUS_TIMESTAMPS = {
    "draft": lambda i, now: {"shipped_at": None, "verified_at": None},
    "validated": lambda i, now: {"shipped_at": None, "verified_at": None},
    "approved": lambda i, now: {"shipped_at": None, "verified_at": None},
    "shipped": lambda i, now: {"shipped_at": now, "verified_at": None},
    "verified": lambda i, now: {"verified_at": now},
}
KEYED = (Keyed(__name__, "STATUS_TIMESTAMPS", STATUS_TIMESTAMPS, "patch_intents_id_status", "status"),)


def patch_intents_id_status(id_, body,
                            workspace_id=None) -> tuple[models.PatchIntentsIdStatusResponse200, int]:
    status = body["status"]
    with write_transaction():
        intent = intent_in_workspace(id_)
        previous = intent.status
        now = next_timestamp(intent.updated_at)
        changes = {"status": status, "updated_at": now, **STATUS_TIMESTAMPS[status](intent, now)}
        if "verificationResult" in body:
            changes["verification_result"] = body["verificationResult"]
        Intent.update(**changes).where(Intent.id == intent.id).execute()
        intent = Intent.get_by_id(intent.id)
        if "verificationResult" in body:
            Note.create(intent=intent.id, note=verification_summary(body["verificationResult"]),
                        source="verification_checkpoint", created_by=caller().user_id,
                        created_at=clock.now_ms())
        fire_and_forget(Event("slack", "intent_status_changed", intent.id,
                              {"intentId": intent.id, "title": intent.title, "status": status,
                               "previousStatus": previous}))
    result: dict[str, Any] = {
        "id": intent.id,
        "status": intent.status,
        "updatedAt": clock.iso(intent.updated_at),
        "shippedAt": clock.iso(intent.shipped_at),
        "verifiedAt": clock.iso(intent.verified_at),
    }
    if status in ("shipped", "verified"):
        checklist = _intents.verification_checklist(intent)
        result["verificationChecklist"] = checklist
        result["verificationChecklistCount"] = len(checklist)
    return result, 200


def verification_summary(result) -> str:
    """The note logged for a verification result: verdict, score and its summary."""
    if not isinstance(result, dict):
        return "Verification checkpoint recorded."
    verdicts: dict[object, str] = {True: "PASS", False: "FAIL"}
    verdict = verdicts.get(result.get("pass"), "RECORDED")
    parts = [f"Verification {verdict}"]
    if isinstance(result.get("score"), (int, float)):
        parts[0] += f" (score {result['score']})"
    if isinstance(result.get("summary"), str) and trim(result["summary"]):
        parts.append(trim(result["summary"]))
    return ": ".join(parts)


@offload.waits_on_an_engine  # it waits on the grading pool, never on a request thread
def post_intents_id_verify(id_, body, workspace_id=None) -> tuple[models.PostIntentsIdVerifyResponse200, int]:
    return _verification.verify_intent(intent_in_workspace(id_), body)


def get_intents_id_prompt(id_, agent_type=None, mode=None, format_=None,
                          workspace_id=None) -> tuple[models.GetIntentsIdPromptResponse200, int]:
    return _prompts.prompt_response(intent_in_workspace(id_), agent_type=agent_type, mode=mode,
                                    output_format=format_)


def post_intents_id_share(id_, workspace_id=None) -> tuple[models.PostIntentsIdShareResponse200, int]:
    return _sharing.share(intent_in_workspace(id_))


def delete_intents_id_share(id_, workspace_id=None) -> tuple[models.DeleteIntentsIdShareResponse200, int]:
    return _sharing.revoke(intent_in_workspace(id_))
