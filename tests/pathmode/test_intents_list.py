"""GET /api/v1/intents: the workspace's intents, optionally filtered by status (PM-INTENTS-LIST-*)."""

from __future__ import annotations

import pytest

from handlers.pathmode.store import Evidence, Intent, IntentEvidence, IntentRelation
from spec_server import clock
from spec_server.db import database
from tests.support import new_intent, set_status

EDGE_CASES = [{"scenario": "User has no products yet", "expectedBehavior": "Show empty-state prompt"},
              {"scenario": "User is offline", "expectedBehavior": "Queue the request"}]


def list_intents(client, tenants, workspace="ws-a", **params):
    response = client.get("/api/v1/intents", params=params, headers=tenants.pm_headers(workspace))
    assert response.status_code == 200, response.text
    return response.json()


def seed_evidence(tenants, intent_id: str) -> str:
    """Link an evidence row directly (the evidence endpoints belong to another area)."""
    with database.connection_context():
        now = clock.now_ms()
        evidence = Evidence.create(workspace=tenants.pm_workspace_id(), product=tenants.pm_product_id(),
                                   type="friction", content="Users drop at step 3",
                                   created_at=now, updated_at=now)
        IntentEvidence.create(intent=intent_id, evidence=evidence.id, created_at=now)
        return evidence.id


def test_lists_only_the_callers_workspace(client, tenants):
    """PM-INTENTS-LIST-1: "List all intents for the authenticated workspace" — B's intents never
    appear in A's list."""
    mine = {new_intent(client, tenants)["id"], new_intent(client, tenants, title="Second")["id"]}
    theirs = new_intent(client, tenants, workspace="ws-b")["id"]
    body = list_intents(client, tenants)
    assert {intent["id"] for intent in body["intents"]} == mine
    assert {intent["workspaceId"] for intent in body["intents"]} == {tenants.pm_workspace_id()}
    assert theirs not in {intent["id"] for intent in body["intents"]}


def test_status_filter_selects_that_status(client, tenants):
    """PM-INTENTS-LIST-2: "optionally filtered by status" — ?status=shipped returns every shipped
    intent and nothing else; without it, all intents."""
    draft = new_intent(client, tenants)["id"]
    shipped = {new_intent(client, tenants, title=f"S{i}")["id"] for i in range(2)}
    for intent_id in shipped:
        set_status(client, tenants, intent_id, "shipped")
    filtered = list_intents(client, tenants, status="shipped")
    assert {i["id"] for i in filtered["intents"]} == shipped
    assert {i["status"] for i in filtered["intents"]} == {"shipped"}
    assert {i["id"] for i in list_intents(client, tenants)["intents"]} == shipped | {draft}


@pytest.mark.parametrize("status", ["ship", "SHIPPED", "Shipped", "hipped"])
def test_status_filter_is_an_exact_match(client, tenants, status):
    """PM-INTENTS-LIST-3: "Optional exact-match filter on intent status" — no prefix, substring or
    case-insensitive matching."""
    set_status(client, tenants, new_intent(client, tenants)["id"], "shipped")
    assert list_intents(client, tenants, status=status) == {"intents": [], "count": 0}


def test_unknown_status_finds_nothing_rather_than_400(client, tenants):
    """PM-INTENTS-LIST-4: "Passed straight to an .eq('status', ...) filter." — ?status=bogus is
    200 with no intents, not a 400."""
    new_intent(client, tenants)
    response = client.get("/api/v1/intents?status=bogus", headers=tenants.pm_headers())
    assert response.status_code == 200
    assert response.json() == {"intents": [], "count": 0}


def test_ordered_by_updated_at_descending(client, tenants):
    """PM-INTENTS-LIST-5: "ordered by updated_at descending" — the intent patched last comes first."""
    created = []
    for title in ("I1", "I2", "I3"):
        created.append(new_intent(client, tenants, title=title)["id"])
        clock.advance(1)  # distinct creation times, so the expected order is fully determined
    first, second, third = created
    response = client.patch(f"/api/v1/intents/{first}", json={"objective": "Touched"},
                            headers=tenants.pm_headers())
    assert response.status_code == 200
    intents = list_intents(client, tenants)["intents"]
    assert [i["id"] for i in intents] == [first, third, second]
    stamps = [i["updatedAt"] for i in intents]
    assert stamps == sorted(stamps, reverse=True)


def test_response_holds_intents_and_count(client, tenants):
    """PM-INTENTS-LIST-6: "OK — returns { intents, count }" — an array and an integer."""
    new_intent(client, tenants)
    body = list_intents(client, tenants)
    assert set(body) == {"intents", "count"}
    assert isinstance(body["intents"], list) and isinstance(body["count"], int)
    assert body["count"] == 1


def seed_unmappable_intent(tenants) -> str:
    """A stored row whose outcomes are not StructuredOutcome objects (e.g. legacy data)."""
    with database.connection_context():
        now = clock.now_ms()
        return Intent.create(workspace=tenants.pm_workspace_id(), product=tenants.pm_product_id(),
                             title="Legacy", objective="Legacy row", outcomes="not-a-list",
                             created_at=now, updated_at=now).id


def test_count_is_the_number_returned(client, tenants):
    """PM-INTENTS-LIST-7: "so count may be less than the raw row count" — count == len(intents),
    also when a stored row was skipped."""
    assert list_intents(client, tenants) == {"intents": [], "count": 0}
    new_intent(client, tenants)
    seed_unmappable_intent(tenants)
    body = list_intents(client, tenants)
    with database.connection_context():
        stored = Intent.select().where(Intent.workspace == tenants.pm_workspace_id()).count()
    assert stored == 2
    assert body["count"] == len(body["intents"]) == 1


def test_unmappable_rows_are_skipped_not_500(client, tenants):
    """PM-INTENTS-LIST-8: "Rows that fail apiIntentSchema.parse are silently skipped" — the list
    answers 200 with only the valid intent."""
    valid = new_intent(client, tenants)["id"]
    broken = seed_unmappable_intent(tenants)
    body = list_intents(client, tenants)
    assert [i["id"] for i in body["intents"]] == [valid]
    assert broken not in {i["id"] for i in body["intents"]}


def test_list_leaves_edge_cases_and_evidence_empty(client, tenants):
    """PM-INTENTS-LIST-9: "edgeCases and evidenceIds always come back as empty arrays [] here" —
    while the single-intent GET shows them."""
    intent = new_intent(client, tenants, edgeCases=EDGE_CASES)
    evidence_id = seed_evidence(tenants, intent["id"])
    listed = list_intents(client, tenants)["intents"][0]
    assert listed["edgeCases"] == [] and listed["evidenceIds"] == []
    detail = client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json()
    assert [(c["scenario"], c["expectedBehavior"]) for c in detail["edgeCases"]] == [
        (c["scenario"], c["expectedBehavior"]) for c in EDGE_CASES]
    assert detail["evidenceIds"] == [evidence_id]


def test_list_populates_relations(client, tenants):
    """PM-INTENTS-LIST-10: "relations IS populated on the list path" — a depends_on relation is
    listed."""
    intent, other = new_intent(client, tenants)["id"], new_intent(client, tenants, title="Other")["id"]
    with database.connection_context():
        IntentRelation.create(intent=intent, target_id=other, type="depends_on")
    by_id = {i["id"]: i for i in list_intents(client, tenants)["intents"]}
    assert by_id[intent]["relations"] == [{"targetId": other, "type": "depends_on"}]
    assert by_id[other]["relations"] == []


def test_each_listed_intent_appears_once_with_its_relations_in_position_order(client, tenants):
    """PM-INTENTS-LIST-10: "relations IS populated on the list path" — the list reads intents and
    relations in one statement; an intent with several relations is still one item, in its place
    in the list, with its relations by position, and no relation lands on another item."""
    first, second, third = (new_intent(client, tenants, title=title)["id"] for title in ("A", "B", "C"))
    with database.connection_context():
        newest = clock.now_ms()
        for age, intent in enumerate((third, second, first)):  # distinct, whatever the clock did
            Intent.update(updated_at=newest - age).where(Intent.id == intent).execute()
        for position, (target, kind) in zip((2, 0, 1), [(second, "blocks"), (third, "depends_on"),
                                                         (second, "relates_to")], strict=True):
            IntentRelation.create(intent=first, target_id=target, type=kind, position=position)
        IntentRelation.create(intent=third, target_id=first, type="depends_on", position=0)
    listed = list_intents(client, tenants)
    assert [item["id"] for item in listed["intents"]] == [third, second, first]  # newest first
    assert listed["count"] == 3
    relations = {item["id"]: item["relations"] for item in listed["intents"]}
    assert relations == {
        first: [{"targetId": third, "type": "depends_on"}, {"targetId": second, "type": "relates_to"},
                {"targetId": second, "type": "blocks"}],
        second: [],
        third: [{"targetId": first, "type": "depends_on"}],
    }
