"""GET /api/v1/intents/{id}: one intent with edge cases, evidence ids and relations (PM-INTENT-GET-*)."""

from __future__ import annotations

import re
import uuid

import pytest

from handlers.pathmode.store import Evidence, IntentEvidence, IntentRelation
from spec_server import clock
from spec_server.db import database
from tests.support import INTENT_KEYS, new_intent

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")



def get(client, tenants, intent_id, workspace="ws-a"):
    return client.get(f"/api/v1/intents/{intent_id}", headers=tenants.pm_headers(workspace))


def test_returns_the_intent_of_the_path(client, tenants):
    """PM-INTENT-GET-1: "Get a single intent with edge cases, linked evidence ids, and relations." """
    new_intent(client, tenants, title="Other")
    intent = new_intent(client, tenants)
    response = get(client, tenants, intent["id"])
    assert response.status_code == 200
    assert response.json()["id"] == intent["id"]
    assert response.json()["title"] == intent["title"]


def test_edge_cases_evidence_and_relations_are_populated(client, tenants):
    """PM-INTENT-GET-2: "edgeCases, evidenceIds (from intent_spec_evidence.friction_id), and
    relations are all fully populated here" """
    cases = [{"scenario": "No products", "expectedBehavior": "Empty state"},
             {"scenario": "Offline", "expectedBehavior": "Queue"}]
    intent = new_intent(client, tenants, edgeCases=cases)
    other = new_intent(client, tenants, title="Dependency")
    with database.connection_context():
        now = clock.now_ms()
        evidence = Evidence.create(workspace=tenants.pm_workspace_id(), type="friction", content="Drop-off",
                                   created_at=now, updated_at=now)
        IntentEvidence.create(intent=intent["id"], evidence=evidence.id, created_at=now)
        IntentRelation.create(intent=intent["id"], target_id=other["id"], type="depends_on")
    body = get(client, tenants, intent["id"]).json()
    assert [set(c) for c in body["edgeCases"]] == [{"id", "scenario", "expectedBehavior"}] * 2
    assert [(c["scenario"], c["expectedBehavior"]) for c in body["edgeCases"]] == [
        (c["scenario"], c["expectedBehavior"]) for c in cases]
    assert body["evidenceIds"] == [evidence.id]
    assert body["relations"] == [{"targetId": other["id"], "type": "depends_on"}]


def test_each_part_keeps_its_own_order(client, tenants):
    """PM-INTENT-GET-2: "edgeCases, evidenceIds ..., and relations are all fully populated here" —
    read in one statement, each part still in its own order: edge cases as written, evidence in
    link order (not id order), relations by position (not insertion order)."""
    cases = [{"scenario": f"Case {n}", "expectedBehavior": f"Then {n}"} for n in (3, 1, 2)]
    intent = new_intent(client, tenants, edgeCases=cases)
    targets = [new_intent(client, tenants, title=f"Target {n}")["id"] for n in range(3)]
    with database.connection_context():
        now = clock.now_ms()
        evidence = [Evidence.create(id=f"{letter}-{uuid.uuid4()}", workspace=tenants.pm_workspace_id(),
                                    type="friction", content="Drop-off", created_at=now, updated_at=now)
                    for letter in "zya"]
        for offset, item in enumerate(evidence):
            IntentEvidence.create(intent=intent["id"], evidence=item.id, created_at=now + offset)
        for position, target in zip((2, 0, 1), targets, strict=True):
            IntentRelation.create(intent=intent["id"], target_id=target, type="depends_on", position=position)
    body = get(client, tenants, intent["id"]).json()
    assert [c["scenario"] for c in body["edgeCases"]] == ["Case 3", "Case 1", "Case 2"]
    assert body["evidenceIds"] == [item.id for item in evidence]
    assert [r["targetId"] for r in body["relations"]] == [targets[1], targets[2], targets[0]]


@pytest.mark.parametrize("whose", ["other-workspace", "random"])
def test_scoped_to_the_callers_workspace(client, tenants, whose):
    """PM-INTENT-GET-3: "Scoped to the authenticated workspace" — another workspace's intent is a
    404 exactly like an unknown id."""
    intent_id = new_intent(client, tenants)["id"] if whose == "other-workspace" else str(uuid.uuid4())
    response = get(client, tenants, intent_id, workspace="ws-b")
    assert response.status_code == 404
    assert response.json() == {"error": "Intent not found"}


def test_has_exactly_the_documented_keys(client, tenants):
    """PM-INTENT-GET-4: "stageName": null — the full key set, unset nullable ones as null."""
    body = get(client, tenants, new_intent(client, tenants)["id"]).json()
    assert set(body) == INTENT_KEYS
    for key in ("stageName", "problemSeverity", "scope", "strategicAlignment", "alignmentNotes",
                "implementationContext", "shippedAt", "verifiedAt"):
        assert body[key] is None, key


def test_timestamps_are_iso_with_milliseconds(client, tenants):
    """PM-INTENT-GET-5: "createdAt": "2026-06-01T12:00:00.000Z" — ISO 8601 with milliseconds."""
    intent = new_intent(client, tenants)
    body = get(client, tenants, intent["id"]).json()
    assert ISO_MS.match(body["createdAt"]) and ISO_MS.match(body["updatedAt"])
    assert body["shippedAt"] is None and body["verifiedAt"] is None
    client.patch(f"/api/v1/intents/{intent['id']}/status", json={"status": "verified"}, headers=tenants.pm_headers())
    client.patch(f"/api/v1/intents/{intent['id']}/status", json={"status": "shipped"}, headers=tenants.pm_headers())
    client.patch(f"/api/v1/intents/{intent['id']}/status", json={"status": "verified"}, headers=tenants.pm_headers())
    body = get(client, tenants, intent["id"]).json()
    assert ISO_MS.match(body["shippedAt"]) and ISO_MS.match(body["verifiedAt"])
