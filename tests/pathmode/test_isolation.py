"""Cross-workspace isolation: another workspace's id is 404 (or an empty list), never its data."""

from __future__ import annotations

import pytest

from handlers.pathmode.store import Finding, Intent, IntentEvidence, Note, OutcomeMeasurement
from spec_server.db import database
from tests.pathmode._part1 import new_evidence
from tests.support import new_intent

KEYED = [
    ("GET", "notes", None),
    ("POST", "notes", {"note": "intruder"}),
    ("GET", "findings", None),
    ("POST", "findings", {"assumption": "a", "finding": "intruder"}),
    ("POST", "evidence", {"link": ["{evidence}"]}),
    ("POST", "share", None),
    ("DELETE", "share", None),
]


@pytest.fixture
def foreign(client, tenants):
    """Workspace B's intent with a note, a finding, linked evidence, a share token and a measurement."""
    intent = new_intent(client, tenants, workspace="ws-b")
    headers, base = tenants.pm_headers("ws-b"), f"/api/v1/intents/{intent['id']}"
    client.post(f"{base}/notes", json={"note": "B's secret note"}, headers=headers)
    client.post(f"{base}/findings", json={"assumption": "B's secret", "finding": "B's secret finding"}, headers=headers)
    evidence = new_evidence(client, tenants, workspace="ws-b", content="B's secret evidence")
    client.post(f"{base}/evidence", json={"link": [evidence["id"]]}, headers=headers)
    token = client.post(f"{base}/share", headers=headers).json()["token"]
    client.post(f"{base}/outcomes", json={"outcomeIndex": 0, "outcomeText": "B's secret outcome", "actualValue": "1"},
                cookies=tenants.pm_session("owner@b.example"))
    return {"intent": intent, "evidence": evidence, "token": token}


def snapshot(intent_id: str) -> tuple:
    with database.connection_context():
        return (Note.select().where(Note.intent == intent_id).count(),
                Finding.select().where(Finding.intent == intent_id).count(),
                IntentEvidence.select().where(IntentEvidence.intent == intent_id).count(),
                OutcomeMeasurement.select().where(OutcomeMeasurement.intent == intent_id).count(),
                Intent.get_by_id(intent_id).share_token)


@pytest.mark.parametrize("method,tail,body", KEYED, ids=[f"{m} {t}" for m, t, _ in KEYED])
def test_other_workspaces_intent_is_404(client, tenants, foreign, method, tail, body):
    """Every {id} operation of notes, findings, evidence links and sharing: A's key on B's intent is 404
    {error}, shows none of B's data and changes nothing of B's (PM-NOTES-CREATE-8, PM-NOTES-LIST-5,
    PM-FINDINGS-CREATE-19, PM-FINDINGS-LIST-7, PM-EVIDENCE-LINK-12, PM-SHARE-CREATE-5, PM-SHARE-REVOKE-4)."""
    intent_id = foreign["intent"]["id"]
    before = snapshot(intent_id)
    if body and "link" in body:
        body = {"link": [new_evidence(client, tenants)["id"]]}
    response = client.request(method, f"/api/v1/intents/{intent_id}/{tail}", json=body, headers=tenants.pm_headers())
    assert response.status_code == 404 and set(response.json()) == {"error"}
    assert "secret" not in response.text and foreign["token"] not in response.text
    assert snapshot(intent_id) == before


def test_outcomes_of_other_workspace(client, tenants, foreign):
    """Outcomes (cookie only, RLS in the original): A's member sees an empty list of B's intent and
    cannot record on it (PM-OUTCOMES-LIST-6)."""
    intent_id = foreign["intent"]["id"]
    before = snapshot(intent_id)
    url = f"/api/v1/intents/{intent_id}/outcomes"
    listed = client.get(url, cookies=tenants.pm_session())
    assert listed.status_code == 200 and listed.json() == {"measurements": []}
    posted = client.post(url, json={"outcomeIndex": 0, "outcomeText": "t", "actualValue": "1"},
                         cookies=tenants.pm_session())
    assert posted.status_code == 404 and "secret" not in posted.text
    assert snapshot(intent_id) == before


def test_evidence_list_and_links_stay_in_workspace(client, tenants, foreign):
    """GET /evidence never lists B's items; unlinking B's evidence from A's intent is a no-op."""
    listed = client.get("/api/v1/evidence", headers=tenants.pm_headers()).text
    assert foreign["evidence"]["id"] not in listed and "secret" not in listed
    mine = new_intent(client, tenants)
    response = client.post(f"/api/v1/intents/{mine['id']}/evidence", json={"unlink": [foreign["evidence"]["id"]]},
                           headers=tenants.pm_headers())
    assert response.json()["unlinked"] == 0
    assert snapshot(foreign["intent"]["id"])[2] == 1


def test_api_keys_of_other_users(client, tenants):
    """api-keys: B's owner lists only their own keys and cannot revoke A's."""
    a_keys = {k["id"] for k in client.get("/api/v1/api-keys", cookies=tenants.pm_session()).json()["keys"]}
    b_keys = {k["id"] for k in client.get("/api/v1/api-keys", cookies=tenants.pm_session("owner@b.example")).json()["keys"]}
    assert a_keys and b_keys and not a_keys & b_keys
    for key_id in a_keys:
        client.request("DELETE", "/api/v1/api-keys", json={"keyId": key_id}, cookies=tenants.pm_session("owner@b.example"))
    assert {k["id"] for k in client.get("/api/v1/api-keys", cookies=tenants.pm_session()).json()["keys"]} == a_keys
