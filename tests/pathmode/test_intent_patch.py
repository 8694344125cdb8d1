"""PATCH /api/v1/intents/{id}: replace content fields, never the status (PM-INTENT-PATCH-*)."""

from __future__ import annotations

import uuid

import pytest

from handlers.pathmode.store import Evidence, IntentEvidence
from spec_server import clock
from spec_server.db import database
from tests.support import new_intent, set_status

CASE_1 = {"scenario": "No products", "expectedBehavior": "Empty state"}
CASE_2 = {"scenario": "Offline", "expectedBehavior": "Queue the request"}
CASE_3 = {"scenario": "Slow network", "expectedBehavior": "Show a spinner"}


def patch(client, tenants, intent_id, body, workspace="ws-a"):
    return client.patch(f"/api/v1/intents/{intent_id}", json=body, headers=tenants.pm_headers(workspace))


def get(client, tenants, intent_id, workspace="ws-a") -> dict:
    response = client.get(f"/api/v1/intents/{intent_id}", headers=tenants.pm_headers(workspace))
    assert response.status_code == 200, response.text
    return response.json()


def assert_validation_error(response, field):
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["error"], str)
    assert field in response.json()["details"]["fieldErrors"]


def test_changes_only_the_given_field(client, tenants):
    """PM-INTENT-PATCH-1: "Update intent content fields (title, objective, outcomes, constraints,
    etc.)." — other fields keep their values."""
    intent = new_intent(client, tenants, constraints=["Keep it short"])
    response = patch(client, tenants, intent["id"], {"title": "New title"})
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "New title"
    for field in ("objective", "outcomes", "constraints", "healthMetrics", "verification", "scope"):
        assert body[field] == intent[field], field


def test_does_not_change_status(client, tenants):
    """PM-INTENT-PATCH-2: "Does NOT change status — use the /status endpoint." """
    intent = new_intent(client, tenants)
    response = patch(client, tenants, intent["id"], {"title": "x", "status": "shipped"})
    assert response.status_code in (200, 400)
    after = get(client, tenants, intent["id"])
    assert after["status"] == "draft" and after["shippedAt"] is None


def test_leaves_status_timestamps_alone(client, tenants):
    """PM-INTENT-PATCH-3: "status/shipped_at/verified_at are NOT touched here" """
    intent = new_intent(client, tenants)
    set_status(client, tenants, intent["id"], "shipped")
    set_status(client, tenants, intent["id"], "verified")
    before = get(client, tenants, intent["id"])
    clock.advance(5)
    body = patch(client, tenants, intent["id"], {"title": "x"}).json()
    assert (body["status"], body["shippedAt"], body["verifiedAt"]) == (
        "verified", before["shippedAt"], before["verifiedAt"])


def test_always_moves_updated_at_forward(client, tenants):
    """PM-INTENT-PATCH-4: "Always sets updated_at." — even within the same millisecond."""
    intent = new_intent(client, tenants)
    before = get(client, tenants, intent["id"])["updatedAt"]
    first = patch(client, tenants, intent["id"], {"objective": "Same objective"}).json()["updatedAt"]
    second = patch(client, tenants, intent["id"], {"objective": "Same objective"}).json()["updatedAt"]
    assert before < first < second


@pytest.mark.parametrize("body", [{}, {"status": "shipped"}, {"unknown": 1}], ids=["empty", "status-only", "unknown"])
def test_requires_at_least_one_field(client, tenants, body):
    """PM-INTENT-PATCH-5: "'At least one field must be provided to update'" — the intent, including
    updatedAt, is unchanged."""
    intent = new_intent(client, tenants)
    response = patch(client, tenants, intent["id"], body)
    assert response.status_code == 400
    assert response.json()["error"] == "At least one field must be provided to update"
    assert get(client, tenants, intent["id"]) == intent


@pytest.mark.parametrize("field,clause", [("title", "PM-INTENT-PATCH-6"), ("objective", "PM-INTENT-PATCH-7")])
@pytest.mark.parametrize("value", ["   ", ""], ids=["blank", "empty"])
def test_text_fields_non_empty_after_trim(client, tenants, field, clause, value):
    """PM-INTENT-PATCH-6, -7: "Non-empty after trim if provided." — 400 and the value is unchanged."""
    intent = new_intent(client, tenants)
    assert_validation_error(patch(client, tenants, intent["id"], {field: value}), field)
    assert get(client, tenants, intent["id"])[field] == intent[field]


def test_text_fields_are_trimmed(client, tenants):
    """PM-INTENT-PATCH-6, -7: "Non-empty after trim if provided." — a padded title and objective
    are stored trimmed."""
    intent = new_intent(client, tenants)
    body = patch(client, tenants, intent["id"], {"title": "  Padded  ", "objective": " Pay in one step\n"}).json()
    assert (body["title"], body["objective"]) == ("Padded", "Pay in one step")


def test_outcomes_are_replaced(client, tenants):
    """PM-INTENT-PATCH-8: "Replaces both outcomes_v2 and the flat outcomes text list." """
    intent = new_intent(client, tenants, outcomes=["A"])
    body = patch(client, tenants, intent["id"], {"outcomes": ["B"]}).json()
    assert [o["text"] for o in body["outcomes"]] == ["B"]
    assert [o["text"] for o in get(client, tenants, intent["id"])["outcomes"]] == ["B"]


def test_constraints_are_replaced_trimmed(client, tenants):
    """PM-INTENT-PATCH-9: "Replaces constraints (coerced to trimmed non-empty strings)." """
    intent = new_intent(client, tenants, constraints=["old"])
    assert patch(client, tenants, intent["id"], {"constraints": ["  c1  ", "  "]}).json()["constraints"] == ["c1"]


def test_health_metrics_are_replaced_trimmed(client, tenants):
    """PM-INTENT-PATCH-10: "Replaces health_metrics (coerced to trimmed non-empty strings)." """
    intent = new_intent(client, tenants, healthMetrics=["old"])
    assert patch(client, tenants, intent["id"], {"healthMetrics": [" m1 ", ""]}).json()["healthMetrics"] == ["m1"]


def pairs(edge_cases):
    return [(c["scenario"], c["expectedBehavior"]) for c in edge_cases]


def test_edge_cases_are_replace_all(client, tenants):
    """PM-INTENT-PATCH-11: "Replace-all semantics" — E1, E2 replaced by E3 alone."""
    intent = new_intent(client, tenants, edgeCases=[CASE_1, CASE_2])
    body = patch(client, tenants, intent["id"], {"edgeCases": [CASE_3]}).json()
    assert pairs(body["edgeCases"]) == pairs([CASE_3])
    assert pairs(get(client, tenants, intent["id"])["edgeCases"]) == pairs([CASE_3])


def test_edge_cases_sent_back_keep_their_ids(client, tenants):
    """PM-INTENT-PATCH-11: "Replace-all semantics" — an edge case sent back with its own id keeps
    it (so 'edgeCase:<id>' anchors and finding targets survive an edit); an id of another intent's
    edge case, or a made-up one, is not adopted."""
    intent = new_intent(client, tenants, edgeCases=[CASE_1, CASE_2])
    other = new_intent(client, tenants, edgeCases=[CASE_3])
    kept, dropped = intent["edgeCases"]
    foreign = other["edgeCases"][0]["id"]
    edited = {**kept, "expectedBehavior": "Show a guided empty state"}
    body = patch(client, tenants, intent["id"], {"edgeCases": [
        edited, {**CASE_3, "id": foreign}, {**CASE_2, "id": str(uuid.uuid4())}]}).json()
    assert pairs(body["edgeCases"]) == pairs([edited, CASE_3, CASE_2])
    assert body["edgeCases"][0]["id"] == kept["id"]
    new_ids = {case["id"] for case in body["edgeCases"][1:]}
    assert len(new_ids) == 2 and not new_ids & {foreign, kept["id"], dropped["id"]}
    assert get(client, tenants, other["id"])["edgeCases"] == other["edgeCases"]


def test_failed_edge_case_write_rolls_back(client, tenants, settings):
    """PM-INTENT-PATCH-12: "on failure the intent is rolled back to its prior snapshot and 500
    returned." """
    intent = new_intent(client, tenants, edgeCases=[CASE_1, CASE_2])
    settings.faults = frozenset({"edge_case_store"})
    response = patch(client, tenants, intent["id"], {"title": "changed", "edgeCases": [CASE_3]})
    assert response.status_code == 500
    assert isinstance(response.json()["error"], str)
    assert get(client, tenants, intent["id"]) == intent


def test_verification_is_replaced_not_merged(client, tenants):
    """PM-INTENT-PATCH-13: "Replaces verification plan." """
    intent = new_intent(client, tenants, verification={"manualChecks": ["a"], "other": 1})
    body = patch(client, tenants, intent["id"], {"verification": {"manualChecks": ["b"]}}).json()
    assert body["verification"] == {"manualChecks": ["b"]}


def test_problem_severity_can_be_cleared(client, tenants):
    """PM-INTENT-PATCH-14: "Nullable severity enum." — null clears it."""
    intent = new_intent(client, tenants, problemSeverity="high")
    response = patch(client, tenants, intent["id"], {"problemSeverity": None})
    assert response.status_code == 200
    assert response.json()["problemSeverity"] is None


def test_problem_severity_is_an_enum(client, tenants):
    """PM-INTENT-PATCH-15: "Nullable severity enum." — 'urgent' is 400, 'critical' is stored."""
    intent = new_intent(client, tenants)
    assert_validation_error(patch(client, tenants, intent["id"], {"problemSeverity": "urgent"}), "problemSeverity")
    assert patch(client, tenants, intent["id"], {"problemSeverity": "critical"}).json()["problemSeverity"] == "critical"


def test_evidence_anchors_map(client, tenants):
    """PM-INTENT-PATCH-16: "Map of anchor key (e.g. 'objective', 'outcome:0', 'edgeCase:<uuid>') to
    evidence id arrays." """
    intent = new_intent(client, tenants)
    evidence_id = str(uuid.uuid4())
    anchors = {"objective": [evidence_id], "outcome:0": [evidence_id]}
    response = patch(client, tenants, intent["id"], {"evidenceAnchors": anchors})
    assert response.status_code == 200
    assert response.json()["evidenceAnchors"] == anchors
    assert get(client, tenants, intent["id"])["evidenceAnchors"] == anchors


def test_scope_object_then_null(client, tenants):
    """PM-INTENT-PATCH-17: "Nullable scope object." """
    intent = new_intent(client, tenants)
    scope = {"inScope": ["Signup flow"], "outOfScope": ["Billing"]}
    assert patch(client, tenants, intent["id"], {"scope": scope}).json()["scope"] == scope
    response = patch(client, tenants, intent["id"], {"scope": None})
    assert response.status_code == 200 and response.json()["scope"] is None


def test_response_is_fully_populated(client, tenants):
    """PM-INTENT-PATCH-18: "so edgeCases/evidenceIds/relations are fully populated" """
    intent = new_intent(client, tenants, edgeCases=[CASE_1])
    with database.connection_context():
        now = clock.now_ms()
        evidence = Evidence.create(workspace=tenants.pm_workspace_id(), type="quote", content="Too slow",
                                   created_at=now, updated_at=now)
        IntentEvidence.create(intent=intent["id"], evidence=evidence.id, created_at=now)
    body = patch(client, tenants, intent["id"], {"title": "x"}).json()
    assert pairs(body["edgeCases"]) == pairs([CASE_1])
    assert body["evidenceIds"] == [evidence.id]


@pytest.mark.parametrize("whose", ["other-workspace", "random"])
def test_not_found_outside_the_workspace(client, tenants, whose):
    """PM-INTENT-PATCH-19: "Intent not found (PGRST116) within this workspace (on snapshot or
    update)" — 404 and the intent is unchanged."""
    intent = new_intent(client, tenants)
    target = intent["id"] if whose == "other-workspace" else str(uuid.uuid4())
    response = patch(client, tenants, target, {"title": "Hijacked"}, workspace="ws-b")
    assert response.status_code == 404
    assert isinstance(response.json()["error"], str)
    assert get(client, tenants, intent["id"]) == intent
