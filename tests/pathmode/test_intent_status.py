"""PATCH /api/v1/intents/{id}/status: transitions, timestamps, checklist, notes (PM-INTENT-STATUS-*)."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from handlers.pathmode.store import ConstitutionRule, Note
from spec_server import clock
from spec_server.db import database
from spec_server.store import OutboxEvent
from tests.support import new_intent

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
BASE_KEYS = {"id", "status", "updatedAt", "shippedAt", "verifiedAt"}


def set_status(client, tenants, intent_id, status, workspace="ws-a", **extra):
    return client.patch(f"/api/v1/intents/{intent_id}/status", json={"status": status, **extra},
                        headers=tenants.pm_headers(workspace))


def get(client, tenants, intent_id) -> dict:
    return client.get(f"/api/v1/intents/{intent_id}", headers=tenants.pm_headers()).json()


def verified_intent(client, tenants) -> dict:
    intent = new_intent(client, tenants)
    assert set_status(client, tenants, intent["id"], "shipped").status_code == 200
    assert set_status(client, tenants, intent["id"], "verified").status_code == 200
    return get(client, tenants, intent["id"])


def test_updates_the_status(client, tenants):
    """PM-INTENT-STATUS-1: "Update an intent's status (draft/validated/approved/shipped/verified)" """
    intent = new_intent(client, tenants)
    for status in ("validated", "approved", "shipped", "verified", "draft"):
        response = set_status(client, tenants, intent["id"], status)
        assert response.status_code == 200
        assert response.json()["status"] == status
        assert get(client, tenants, intent["id"])["status"] == status


@pytest.mark.parametrize("body", [{"status": "archived"}, {}, {"status": None}, {"verificationResult": {}}],
                         ids=["unknown", "empty", "null", "missing"])
def test_target_status_must_be_one_of_the_five(client, tenants, body):
    """PM-INTENT-STATUS-2: "Target status." — an unknown or missing status is 400 {error, details}
    and the status is unchanged."""
    intent = new_intent(client, tenants)
    response = client.patch(f"/api/v1/intents/{intent['id']}/status", json=body, headers=tenants.pm_headers())
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    assert "status" in response.json()["details"]["fieldErrors"]
    assert get(client, tenants, intent["id"])["status"] == "draft"


@pytest.mark.parametrize("status", ["draft", "validated", "approved"])
def test_early_statuses_clear_both_timestamps(client, tenants, status):
    """PM-INTENT-STATUS-3: "draft/validated/approved clear shipped_at and verified_at" """
    intent = verified_intent(client, tenants)
    assert intent["shippedAt"] and intent["verifiedAt"]
    body = set_status(client, tenants, intent["id"], status).json()
    assert body["shippedAt"] is None and body["verifiedAt"] is None
    after = get(client, tenants, intent["id"])
    assert after["shippedAt"] is None and after["verifiedAt"] is None


def test_shipped_sets_shipped_at_and_clears_verified_at(client, tenants):
    """PM-INTENT-STATUS-4: "shipped sets shipped_at and clears verified_at" """
    draft = new_intent(client, tenants)
    body = set_status(client, tenants, draft["id"], "shipped").json()
    assert ISO_MS.match(body["shippedAt"]) and body["verifiedAt"] is None
    assert get(client, tenants, draft["id"])["shippedAt"] == body["shippedAt"]

    verified = verified_intent(client, tenants)
    clock.advance(2)
    body = set_status(client, tenants, verified["id"], "shipped").json()
    assert body["verifiedAt"] is None
    assert body["shippedAt"] > verified["shippedAt"]  # shipped again: a new shipping time


def test_verified_sets_verified_at(client, tenants):
    """PM-INTENT-STATUS-5: "verified sets verified_at" — and leaves shippedAt as it was."""
    intent = new_intent(client, tenants)
    shipped_at = set_status(client, tenants, intent["id"], "shipped").json()["shippedAt"]
    clock.advance(2)
    body = set_status(client, tenants, intent["id"], "verified").json()
    assert ISO_MS.match(body["verifiedAt"]) and body["verifiedAt"] > shipped_at
    assert body["shippedAt"] == shipped_at
    after = get(client, tenants, intent["id"])
    assert (after["verifiedAt"], after["shippedAt"]) == (body["verifiedAt"], shipped_at)


@pytest.mark.parametrize("status", ["draft", "validated", "approved"])
def test_base_response_for_early_statuses(client, tenants, status):
    """PM-INTENT-STATUS-6: "Base response is always { id, status, updatedAt, shippedAt,
    verifiedAt }." — no checklist."""
    intent = new_intent(client, tenants)
    body = set_status(client, tenants, intent["id"], status).json()
    assert set(body) == BASE_KEYS
    assert body["id"] == intent["id"] and body["updatedAt"] > intent["updatedAt"]


@pytest.mark.parametrize("status", ["shipped", "verified"])
def test_checklist_only_for_shipped_and_verified(client, tenants, status):
    """PM-INTENT-STATUS-7: "ONLY when status is 'shipped' or 'verified' does it add
    verificationChecklist" """
    intent = new_intent(client, tenants)
    body = set_status(client, tenants, intent["id"], status).json()
    assert set(body) == BASE_KEYS | {"verificationChecklist", "verificationChecklistCount"}
    assert isinstance(body["verificationChecklist"], list)
    assert isinstance(body["verificationChecklistCount"], int)


def seed_rules(tenants) -> tuple[str, str]:
    """Replace the seeded rules of workspace A with one active and one inactive rule."""
    with database.connection_context():
        ws = tenants.pm_workspace_id()
        ConstitutionRule.delete().where(ConstitutionRule.workspace == ws).execute()
        ConstitutionRule.create(workspace=ws, category="privacy", text="Active rule", created_at=clock.now_ms())
        ConstitutionRule.create(workspace=ws, category="privacy", text="Inactive rule", is_active=False,
                                created_at=clock.now_ms())
    return "Active rule", "Inactive rule"


def checklist_intent(client, tenants) -> dict:
    return new_intent(client, tenants, outcomes=["T"], healthMetrics=["activation_rate"],
                      verification={"manualChecks": ["M"]})


def test_checklist_items_by_category(client, tenants):
    """PM-INTENT-STATUS-8: "items {text, category} drawn from outcomes [category 'outcome'],
    health_metrics ['health_metric'], verification.manualChecks ['manual_check']" """
    active, _ = seed_rules(tenants)
    checklist = set_status(client, tenants, checklist_intent(client, tenants)["id"], "shipped").json()[
        "verificationChecklist"]
    assert [item for item in checklist if item["category"] != "constitution"] == [
        {"text": "T", "category": "outcome"},
        {"text": "activation_rate", "category": "health_metric"},
        {"text": "M", "category": "manual_check"},
    ]


def test_checklist_uses_active_constitution_rules_only(client, tenants):
    """PM-INTENT-STATUS-9: "active constitution_rules ['constitution']" """
    active, inactive = seed_rules(tenants)
    checklist = set_status(client, tenants, new_intent(client, tenants)["id"], "shipped").json()[
        "verificationChecklist"]
    rules = [item for item in checklist if item["category"] == "constitution"]
    assert rules == [{"text": active, "category": "constitution"}]
    assert inactive not in {item["text"] for item in checklist}


@pytest.mark.parametrize("status", ["shipped", "verified"])
def test_checklist_count_is_its_length(client, tenants, status):
    """PM-INTENT-STATUS-10: "and verificationChecklistCount" — equals the checklist's length."""
    body = set_status(client, tenants, checklist_intent(client, tenants)["id"], status).json()
    assert body["verificationChecklistCount"] == len(body["verificationChecklist"]) == 5  # 3 + 2 seeded rules


def test_checklist_order(client, tenants):
    """PM-INTENT-STATUS-11: "verificationChecklistCount": 4 — the example's order: outcomes, health
    metrics, manual checks, then constitution rules."""
    intent = new_intent(client, tenants, outcomes=["T1", "T2"], healthMetrics=["h1", "h2"],
                        verification={"manualChecks": ["m1", "m2"]})
    checklist = set_status(client, tenants, intent["id"], "shipped").json()["verificationChecklist"]
    assert [item["category"] for item in checklist] == (
        ["outcome"] * 2 + ["health_metric"] * 2 + ["manual_check"] * 2 + ["constitution"] * 2)
    assert [item["text"] for item in checklist[:6]] == ["T1", "T2", "h1", "h2", "m1", "m2"]


def notes_of(client, tenants, intent_id) -> list[dict]:
    response = client.get(f"/api/v1/intents/{intent_id}/notes", headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    return response.json()["notes"]


def test_verification_result_is_logged_as_a_note(client, tenants):
    """PM-INTENT-STATUS-12: "a summary is logged as an intent_implementation_notes row (source
    'verification_checkpoint')" """
    intent = new_intent(client, tenants)
    result = {"pass": True, "score": 90, "results": [], "summary": "s"}
    response = set_status(client, tenants, intent["id"], "shipped", verificationResult=result)
    assert response.status_code == 200
    with database.connection_context():
        stored = [(n.source, n.note) for n in Note.select().where(Note.intent == intent["id"])]
    assert stored == [("verification_checkpoint", "Verification PASS (score 90): s")]
    notes = notes_of(client, tenants, intent["id"])
    assert [n["source"] for n in notes] == ["verification_checkpoint"]


def test_no_note_without_verification_result(client, tenants):
    """PM-INTENT-STATUS-13: "Optional. When present" — without verificationResult no note is added."""
    intent = new_intent(client, tenants)
    assert set_status(client, tenants, intent["id"], "shipped").status_code == 200
    with database.connection_context():
        assert Note.select().where(Note.intent == intent["id"]).count() == 0
    assert notes_of(client, tenants, intent["id"]) == []


def test_status_change_notifies_slack(client, tenants):
    """PM-INTENT-STATUS-14: "Fires a Slack 'intent_status_changed' notification (fire-and-forget)" """
    intent = new_intent(client, tenants)
    assert set_status(client, tenants, intent["id"], "validated").status_code == 200
    with database.connection_context():
        events = list(OutboxEvent.select().where((OutboxEvent.kind == "intent_status_changed")
                                                 & (OutboxEvent.subject_id == intent["id"]))
                      .order_by(OutboxEvent.created_at))
    assert [(e.channel, e.payload["status"]) for e in events] == [("slack", "draft"), ("slack", "validated")]
    assert events[-1].payload["previousStatus"] == "draft"


def test_status_change_survives_a_failing_notifier(client, tenants, settings):
    """PM-INTENT-STATUS-14: "Fires a Slack 'intent_status_changed' notification (fire-and-forget)"
    — a failing notifier neither fails nor slows the change."""
    intent = new_intent(client, tenants)
    settings.faults = frozenset({"notifier"})
    started = time.monotonic()
    response = set_status(client, tenants, intent["id"], "approved")
    assert response.status_code == 200 and time.monotonic() - started < 5
    assert get(client, tenants, intent["id"])["status"] == "approved"


def test_no_billing_gate(client, tenants, settings):
    """PM-INTENT-STATUS-15: "No billing gate" — at the intents quota a transition still works."""
    intent = new_intent(client, tenants)
    settings.plan_limits["pro"]["intents"] = 1
    blocked = client.post("/api/v1/intents", json={"title": "t", "objective": "o", "productId": tenants.pm_product_id()},
                          headers=tenants.pm_headers())
    assert blocked.status_code == 403 and blocked.json()["error"] == "plan_limit_reached"
    assert set_status(client, tenants, intent["id"], "shipped").status_code == 200


@pytest.mark.parametrize("whose", ["other-workspace", "random"])
def test_not_found_outside_the_workspace(client, tenants, whose):
    """PM-INTENT-STATUS-16: "Intent not found (PGRST116) within this workspace" """
    intent = new_intent(client, tenants)
    target = intent["id"] if whose == "other-workspace" else str(uuid.uuid4())
    response = set_status(client, tenants, target, "shipped", workspace="ws-b")
    assert response.status_code == 404
    assert isinstance(response.json()["error"], str)
    assert get(client, tenants, intent["id"])["status"] == "draft"
