"""Pathmode findings: POST/GET /api/v1/intents/{id}/findings, and how findings leave 'open'."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from handlers.pathmode import _findings
from handlers.pathmode.store import Finding
from spec_server import clock
from spec_server.db import database
from tests.pathmode._part1 import assert_error, random_id
from tests.support import new_intent

BASE = {"assumption": "Onboarding completes in a single page load.",
        "finding": "The OAuth callback forces a full reload."}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def url(intent_id: str) -> str:
    return f"/api/v1/intents/{intent_id}/findings"


def record(client, tenants, intent_id, **fields):
    response = client.post(url(intent_id), json={**BASE, **fields}, headers=tenants.pm_headers())
    assert response.status_code == 201, response.text
    return response.json()


def listed(client, tenants, intent_id, status=None):
    response = client.get(url(intent_id), params={"status": status} if status else None,
                          headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    return response.json()


def seed_finding(intent_id: str, **fields) -> str:
    with database.connection_context():
        row = Finding.create(intent=intent_id, **{"assumption": "a", "finding": "f", "status": "open",
                                                  "recorded_at": clock.now_ms() - 1000, **fields})
    return row.id


def patch(client, tenants, intent_id, body):
    response = client.patch(f"/api/v1/intents/{intent_id}", json=body, headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    return response.json()


def test_create_returns_intent_finding_open_count(client, tenants):
    """PM-FINDINGS-CREATE-1: "Record a write-back finding against an intent" """
    intent = new_intent(client, tenants)
    body = record(client, tenants, intent["id"])
    assert set(body) == {"intentId", "finding", "openCount"}
    assert body["intentId"] == intent["id"]
    assert body["finding"]["assumption"] == BASE["assumption"]
    assert body["openCount"] == 1


@pytest.mark.parametrize("clause,field", [("PM-FINDINGS-CREATE-2", "assumption"),
                                          ("PM-FINDINGS-CREATE-3", "finding")])
def test_required_text_blank_or_missing_is_400(client, tenants, clause, field):
    """PM-FINDINGS-CREATE-2 / -3: "Non-empty after trim." (assumption, finding)"""
    intent = new_intent(client, tenants)
    for body in ({**BASE, field: "   "}, {k: v for k, v in BASE.items() if k != field}):
        error = assert_error(client.post(url(intent["id"]), json=body, headers=tenants.pm_headers()), 400)
        assert "details" in error, clause
    assert listed(client, tenants, intent["id"])["count"] == 0


@pytest.mark.parametrize("clause,field", [("PM-FINDINGS-CREATE-4", "target"),
                                          ("PM-FINDINGS-CREATE-5", "correction"),
                                          ("PM-FINDINGS-CREATE-6", "source")])
def test_optional_text_blank_is_400(client, tenants, clause, field):
    """PM-FINDINGS-CREATE-4 / -5 / -6: "Non-empty after trim when provided." """
    intent = new_intent(client, tenants)
    error = assert_error(client.post(url(intent["id"]), json={**BASE, field: "  "}, headers=tenants.pm_headers()), 400)
    assert "details" in error, clause


def test_check_target_flips_check_to_failing(client, tenants):
    """PM-FINDINGS-CREATE-7: "recording this flips that check to failing" — a check is an entry
    of ``verification.checks`` with an ``id`` (docs/behaviour.md)."""
    intent = new_intent(client, tenants)
    patch(client, tenants, intent["id"], {"verification": {"checks": [
        {"id": "c1", "text": "Reset email arrives"}, {"id": "c2", "text": "Link expires"}]}})
    finding = record(client, tenants, intent["id"], target="check:c1")["finding"]
    checks = client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json()["verification"]["checks"]
    assert checks[0]["status"] == "failing"
    assert checks[0]["failingFindingId"] == finding["id"]
    assert "status" not in checks[1]


def test_prior_findings_preserved(client, tenants):
    """PM-FINDINGS-CREATE-8: "prior findings are preserved" """
    intent = new_intent(client, tenants)
    first = record(client, tenants, intent["id"], finding="first")["finding"]
    second = record(client, tenants, intent["id"], finding="second")["finding"]
    assert [f["id"] for f in listed(client, tenants, intent["id"])["findings"]] == [first["id"], second["id"]]


def test_status_is_always_open(client, tenants):
    """PM-FINDINGS-CREATE-10: "Every new finding is created with status 'open'" """
    intent = new_intent(client, tenants)
    assert record(client, tenants, intent["id"], status="reconciled")["finding"]["status"] == "open"


def test_server_assigned_id(client, tenants):
    """PM-FINDINGS-CREATE-11: "a server-assigned id" — a body id is ignored."""
    intent = new_intent(client, tenants)
    mine = str(uuid.uuid4())
    first = record(client, tenants, intent["id"], id=mine)["finding"]["id"]
    second = record(client, tenants, intent["id"], id=mine)["finding"]["id"]
    assert UUID.match(first) and first != mine and second != first


def test_recorded_at_is_epoch_ms(client, tenants):
    """PM-FINDINGS-CREATE-12: "recordedAt (epoch ms)" """
    intent = new_intent(client, tenants)
    recorded = record(client, tenants, intent["id"])["finding"]["recordedAt"]
    assert isinstance(recorded, int) and abs(recorded - time.time() * 1000) < 5000


def test_optional_fields_echoed_only_when_supplied(client, tenants):
    """PM-FINDINGS-CREATE-13: "target, correction, and source are echoed back only when supplied" """
    intent = new_intent(client, tenants)
    bare = record(client, tenants, intent["id"])["finding"]
    assert not {"target", "correction", "source"} & set(bare)
    full = record(client, tenants, intent["id"], target=" objective ", correction="Persist state",
                  source="claude-code @ acme/web")["finding"]
    assert (full["target"], full["correction"], full["source"]) == ("objective", "Persist state",
                                                                    "claude-code @ acme/web")


def test_open_count_after_write(client, tenants):
    """PM-FINDINGS-CREATE-14: "openCount is the number of findings still in status 'open' after the write." """
    intent = new_intent(client, tenants)
    seed_finding(intent["id"], status="reconciled", reconciled_at=clock.now_ms())
    seed_finding(intent["id"], status="dismissed")
    record(client, tenants, intent["id"])
    body = record(client, tenants, intent["id"])
    assert body["openCount"] == 2 == listed(client, tenants, intent["id"], "open")["count"]


def test_malformed_legacy_rows_dropped_on_write(client, tenants):
    """PM-FINDINGS-CREATE-15: "malformed legacy rows dropped" """
    intent = new_intent(client, tenants)
    bad = seed_finding(intent["id"], assumption="   ")
    worse = seed_finding(intent["id"], status="weird")
    body = record(client, tenants, intent["id"])
    assert body["openCount"] == 1
    ids = {f["id"] for f in listed(client, tenants, intent["id"])["findings"]}
    assert bad not in ids and worse not in ids


def test_capped_length_keeps_newest(client, tenants, monkeypatch):
    """PM-FINDINGS-CREATE-16: "capped length" — the cap is ours (200, lowered to 3 here)."""
    monkeypatch.setattr(_findings, "MAX_FINDINGS", 3)
    intent = new_intent(client, tenants)
    ids = [record(client, tenants, intent["id"], finding=f"f{n}")["finding"]["id"] for n in range(5)]
    body = listed(client, tenants, intent["id"])
    assert [f["id"] for f in body["findings"]] == ids[-3:]
    assert body["count"] == 3


def test_the_cap_is_the_documented_200(client, tenants):
    """PM-FINDINGS-CREATE-16: "capped length" — docs/behaviour.md: only the newest 200 findings
    are shown; the 201st written pushes the oldest out of the list."""
    intent = new_intent(client, tenants)
    documented_cap = 200  # docs/behaviour.md "findings"
    ids = [record(client, tenants, intent["id"], finding=f"f{n}")["finding"]["id"]
           for n in range(documented_cap + 1)]
    body = listed(client, tenants, intent["id"])
    assert len(body["findings"]) == body["count"] == documented_cap
    assert [f["id"] for f in body["findings"]] == ids[1:]


def test_prompt_presents_open_findings_as_possibly_stale(client, tenants):
    """PM-FINDINGS-CREATE-17: "the next agent that pulls this intent reads open findings as 'the spec
    may be stale here'" — once reconciled, the finding is no longer presented as open."""
    intent = new_intent(client, tenants)
    record(client, tenants, intent["id"], target="objective", finding="Reload loses step state")
    prompt_url = f"/api/v1/intents/{intent['id']}/prompt"
    response = client.get(prompt_url, params={"mode": "draft"}, headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    prompt = response.json()["prompt"]
    assert "Reload loses step state" in prompt and "stale" in prompt.lower()
    patch(client, tenants, intent["id"], {"objective": "Keep step state across the OAuth reload"})
    again = client.get(prompt_url, params={"mode": "draft"}, headers=tenants.pm_headers()).json()["prompt"]
    assert "Reload loses step state" not in again


def test_rate_limited_by_general_bucket(client, tenants, settings):
    """PM-FINDINGS-CREATE-18: "general 300/h" (lowered to 2) — 429 {error} + Retry-After, nothing appended."""
    intent = new_intent(client, tenants)
    settings.rate_limits["general"] = (2, 3600)
    record(client, tenants, intent["id"])
    record(client, tenants, intent["id"])
    response = client.post(url(intent["id"]), json=BASE, headers=tenants.pm_headers())
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert listed(client, tenants, intent["id"])["count"] == 2


def test_post_foreign_or_unknown_intent_is_404(client, tenants):
    """PM-FINDINGS-CREATE-19: "Intent not found within this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (foreign["id"], random_id()):
        assert_error(client.post(url(intent_id), json=BASE, headers=tenants.pm_headers()), 404)
    response = client.get(url(foreign["id"]), headers=tenants.pm_headers("ws-b"))
    assert response.json()["count"] == 0


def test_list_shape(client, tenants):
    """PM-FINDINGS-LIST-1: "OK — returns { intentId, findings, count }" """
    intent = new_intent(client, tenants)
    record(client, tenants, intent["id"])
    body = listed(client, tenants, intent["id"])
    assert set(body) == {"intentId", "findings", "count"} and body["intentId"] == intent["id"]
    assert set(body["findings"][0]) == {"id", "assumption", "finding", "status", "recordedAt"}


def _three_statuses(client, tenants):
    intent = new_intent(client, tenants)
    open_id = record(client, tenants, intent["id"])["finding"]["id"]
    reconciled = seed_finding(intent["id"], status="reconciled", reconciled_at=1_749_300_000_000)
    dismissed = seed_finding(intent["id"], status="dismissed")
    return intent, open_id, reconciled, dismissed


def test_status_filter_exact(client, tenants):
    """PM-FINDINGS-LIST-2: "Optional exact-match filter on finding status." """
    intent, open_id, reconciled, dismissed = _three_statuses(client, tenants)
    for status, expected in (("open", open_id), ("reconciled", reconciled), ("dismissed", dismissed)):
        found = listed(client, tenants, intent["id"], status)["findings"]
        assert [f["id"] for f in found] == [expected]
        assert all(f["status"] == status for f in found)
    assert_error(client.get(url(intent["id"]), params={"status": "closed"}, headers=tenants.pm_headers()), 400)


def test_no_filter_returns_every_status(client, tenants):
    """PM-FINDINGS-LIST-3: "Omit to return findings of every status." """
    intent, *ids = _three_statuses(client, tenants)
    assert {f["id"] for f in listed(client, tenants, intent["id"])["findings"]} == set(ids)


def test_reconciled_include_reconciled_at(client, tenants):
    """PM-FINDINGS-LIST-4: "reconciled findings include a reconciledAt timestamp" """
    intent, _open, reconciled, _dismissed = _three_statuses(client, tenants)
    found = listed(client, tenants, intent["id"], "reconciled")["findings"][0]
    assert found["id"] == reconciled and found["reconciledAt"] == "2025-06-07T12:40:00.000Z"
    assert "reconciledAt" not in listed(client, tenants, intent["id"], "open")["findings"][0]


def test_count_is_post_filter(client, tenants):
    """PM-FINDINGS-LIST-5: "count reflects the returned (post-filter) set." """
    intent, *_ = _three_statuses(client, tenants)
    assert listed(client, tenants, intent["id"], "open")["count"] == 1
    assert listed(client, tenants, intent["id"])["count"] == 3


def test_malformed_rows_dropped_on_read(client, tenants):
    """PM-FINDINGS-LIST-6: "sanitized on read (capped length, malformed legacy rows dropped)" """
    intent = new_intent(client, tenants)
    seed_finding(intent["id"], finding="")
    good = seed_finding(intent["id"], finding="x" * 5000)
    body = listed(client, tenants, intent["id"])
    assert [f["id"] for f in body["findings"]] == [good]
    assert len(body["findings"][0]["finding"]) == _findings.MAX_TEXT


def test_list_foreign_or_unknown_intent_is_404(client, tenants):
    """PM-FINDINGS-LIST-7: "Intent not found within this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (foreign["id"], random_id()):
        assert_error(client.get(url(intent_id), headers=tenants.pm_headers()), 404)


# --- how a finding leaves 'open' (our rule; docs/behaviour.md "Pathmode — findings") ---

def status_of(client, tenants, intent_id, finding_id):
    return next(f for f in listed(client, tenants, intent_id)["findings"] if f["id"] == finding_id)


def test_patch_changing_target_reconciles(client, tenants):
    """Rule: a PATCH that changes the finding's target reconciles it (with reconciledAt);
    a PATCH of another part leaves it open."""
    intent = new_intent(client, tenants, constraints=["No new signup steps", "Mobile first"])
    on_objective = record(client, tenants, intent["id"], target="objective")["finding"]["id"]
    on_constraint = record(client, tenants, intent["id"], target="constraint:1")["finding"]["id"]
    patch(client, tenants, intent["id"], {"title": "Renamed only"})
    assert status_of(client, tenants, intent["id"], on_objective)["status"] == "open"
    patch(client, tenants, intent["id"], {"objective": "A corrected objective"})
    objective = status_of(client, tenants, intent["id"], on_objective)
    assert objective["status"] == "reconciled" and objective["reconciledAt"]
    assert status_of(client, tenants, intent["id"], on_constraint)["status"] == "open"
    patch(client, tenants, intent["id"], {"constraints": ["No new signup steps", "Desktop too"]})
    assert status_of(client, tenants, intent["id"], on_constraint)["status"] == "reconciled"


def test_outcome_edge_case_and_check_targets(client, tenants):
    """Rule: outcome:<id>, edgeCase:<id> and check:<id> findings are reconciled when that outcome,
    the edge cases, or that check are rewritten."""
    intent = new_intent(client, tenants, edgeCases=[{"scenario": "Offline", "expectedBehavior": "Queue"}])
    outcome_id = intent["outcomes"][0]["id"]
    on_outcome = record(client, tenants, intent["id"], target=f"outcome:{outcome_id}")["finding"]["id"]
    on_edge = record(client, tenants, intent["id"], target=f"edgeCase:{intent['edgeCases'][0]['id']}")["finding"]["id"]
    patch(client, tenants, intent["id"], {"verification": {"checks": [{"id": "c1", "text": "Works"}]}})
    on_check = record(client, tenants, intent["id"], target="check:c1")["finding"]["id"]
    patch(client, tenants, intent["id"], {"outcomes": [{"id": outcome_id, "text": "Under 8 minutes"}]})
    assert status_of(client, tenants, intent["id"], on_outcome)["status"] == "reconciled"
    assert status_of(client, tenants, intent["id"], on_edge)["status"] == "open"
    patch(client, tenants, intent["id"], {"edgeCases": [{"scenario": "Offline", "expectedBehavior": "Retry"}]})
    assert status_of(client, tenants, intent["id"], on_edge)["status"] == "reconciled"
    assert status_of(client, tenants, intent["id"], on_check)["status"] == "open"
    patch(client, tenants, intent["id"], {"verification": {"checks": [{"id": "c1", "text": "Works offline"}]}})
    assert status_of(client, tenants, intent["id"], on_check)["status"] == "reconciled"


def test_edge_case_finding_follows_its_own_case_only(client, tenants):
    """Rule: edge cases keep their ids across a PATCH, so an edgeCase:<id> finding stays open while
    that case is sent back unchanged (even when another case changes), and is reconciled once that
    case changes or is left out."""
    intent = new_intent(client, tenants, edgeCases=[{"scenario": "Offline", "expectedBehavior": "Queue"},
                                                    {"scenario": "Slow", "expectedBehavior": "Spinner"}])
    offline, slow = intent["edgeCases"]
    finding = record(client, tenants, intent["id"], target=f"edgeCase:{offline['id']}")["finding"]["id"]
    patch(client, tenants, intent["id"], {"edgeCases": [offline, {**slow, "expectedBehavior": "Skeleton"}]})
    assert status_of(client, tenants, intent["id"], finding)["status"] == "open"
    patch(client, tenants, intent["id"], {"edgeCases": [{**slow, "expectedBehavior": "Skeleton"}]})
    assert status_of(client, tenants, intent["id"], finding)["status"] == "reconciled"


def test_prose_reconciled_by_content_change_and_unknown_target_dismissed(client, tenants):
    """Rule: a prose finding is reconciled by any content PATCH; a structured target naming a part
    the intent never had is dismissed (no reconciledAt)."""
    intent = new_intent(client, tenants)
    prose = record(client, tenants, intent["id"], target="the signup flow in general")["finding"]["id"]
    ghost = record(client, tenants, intent["id"], target=f"outcome:{random_id()}")["finding"]["id"]
    patch(client, tenants, intent["id"], {"healthMetrics": ["p95 < 200ms"]})
    assert status_of(client, tenants, intent["id"], prose)["status"] == "reconciled"
    dismissed = status_of(client, tenants, intent["id"], ghost)
    assert dismissed["status"] == "dismissed" and "reconciledAt" not in dismissed
