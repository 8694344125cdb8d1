"""Pathmode evidence links: POST /api/v1/intents/{id}/evidence."""

from __future__ import annotations

import pytest

from tests.pathmode._part1 import assert_error, new_evidence, random_id
from tests.support import new_intent


def link_url(intent_id: str) -> str:
    return f"/api/v1/intents/{intent_id}/evidence"


def post_links(client, tenants, intent_id, body, workspace="ws-a"):
    response = client.post(link_url(intent_id), json=body, headers=tenants.pm_headers(workspace))
    assert response.status_code == 200, response.text
    return response.json()


def evidence_links(client, tenants, evidence_id, workspace="ws-a"):
    items = client.get("/api/v1/evidence", headers=tenants.pm_headers(workspace)).json()["evidence"]
    return next(item["linkedIntentIds"] for item in items if item["id"] == evidence_id)


def intent_evidence(client, tenants, intent_id):
    return client.get(f"/api/v1/intents/{intent_id}", headers=tenants.pm_headers()).json()["evidenceIds"]


def test_link(client, tenants):
    """PM-EVIDENCE-LINK-1: "Link and/or unlink evidence items to/from an intent." """
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    body = post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    assert body == {"intentId": intent["id"], "evidenceIds": [e1["id"]], "linked": 1, "unlinked": 0}


def test_unlink(client, tenants):
    """PM-EVIDENCE-LINK-2: "Evidence item UUIDs to unlink." """
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    body = post_links(client, tenants, intent["id"], {"unlink": [e1["id"]]})
    assert body["unlinked"] == 1 and body["linked"] == 0 and e1["id"] not in body["evidenceIds"]


def test_link_and_unlink_together(client, tenants):
    """PM-EVIDENCE-LINK-3: "Link and/or unlink" """
    intent = new_intent(client, tenants)
    e1, e2 = new_evidence(client, tenants), new_evidence(client, tenants)
    post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    body = post_links(client, tenants, intent["id"], {"link": [e2["id"]], "unlink": [e1["id"]]})
    assert (body["linked"], body["unlinked"], body["evidenceIds"]) == (1, 1, [e2["id"]])


def test_dual_write_both_views_agree(client, tenants):
    """PM-EVIDENCE-LINK-4: "Dual-writes the intent_spec_evidence join table and the linked_intent_ids
    array on evidence_items." """
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    assert evidence_links(client, tenants, e1["id"]) == [intent["id"]]
    assert intent_evidence(client, tenants, intent["id"]) == [e1["id"]]
    post_links(client, tenants, intent["id"], {"unlink": [e1["id"]]})
    assert evidence_links(client, tenants, e1["id"]) == []
    assert intent_evidence(client, tenants, intent["id"]) == []


def test_evidence_ids_is_full_current_list(client, tenants):
    """PM-EVIDENCE-LINK-5: "it reflects ALL currently-linked evidence (not just what was changed)" """
    intent = new_intent(client, tenants)
    e1, e2 = new_evidence(client, tenants), new_evidence(client, tenants)
    post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    body = post_links(client, tenants, intent["id"], {"link": [e2["id"]]})
    assert set(body["evidenceIds"]) == {e1["id"], e2["id"]} and body["linked"] == 1


@pytest.mark.parametrize("clause,field,count", [("PM-EVIDENCE-LINK-6", "link", "linked"),
                                                ("PM-EVIDENCE-LINK-7", "unlink", "unlinked")])
def test_unknown_ids_skipped(client, tenants, clause, field, count):
    """PM-EVIDENCE-LINK-6 / -7: "unknown IDs silently skipped" """
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    body = post_links(client, tenants, intent["id"], {field: [random_id()]})
    assert body[count] == 0 and body["evidenceIds"] == [e1["id"]]


def test_other_workspace_evidence_not_linked(client, tenants):
    """PM-EVIDENCE-LINK-8: "link/unlink counts only increment for IDs that exist in the workspace." """
    intent, foreign = new_intent(client, tenants), new_evidence(client, tenants, workspace="ws-b")
    body = post_links(client, tenants, intent["id"], {"link": [foreign["id"]]})
    assert body["linked"] == 0 and body["evidenceIds"] == []
    assert evidence_links(client, tenants, foreign["id"], workspace="ws-b") == []


@pytest.mark.parametrize("body", [{}, {"link": []}, {"link": [], "unlink": []}, {"unlink": []}])
def test_needs_a_non_empty_list(client, tenants, body):
    """PM-EVIDENCE-LINK-9: "At least one of link/unlink must be a non-empty array." """
    intent = new_intent(client, tenants)
    assert_error(client.post(link_url(intent["id"]), json=body, headers=tenants.pm_headers()), 400)


def test_cookie_needs_workspace_id(client, tenants):
    """PM-EVIDENCE-LINK-10: "Cookie-session auth requires ?workspace_id=" """
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    response = client.post(link_url(intent["id"]), json={"link": [e1["id"]]}, cookies=tenants.pm_session())
    assert_error(response, 400)
    ok = client.post(link_url(intent["id"]), params={"workspace_id": tenants.pm_workspace_id()},
                     json={"link": [e1["id"]]}, cookies=tenants.pm_session())
    assert ok.status_code == 200 and ok.json()["linked"] == 1


def test_cookie_needs_membership(client, tenants):
    """PM-EVIDENCE-LINK-11: "and a workspace membership." """
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    response = client.post(link_url(intent["id"]), params={"workspace_id": tenants.pm_workspace_id()},
                           json={"link": [e1["id"]]}, cookies=tenants.pm_session("owner@b.example"))
    assert_error(response, 403)
    assert intent_evidence(client, tenants, intent["id"]) == []


def test_foreign_or_unknown_intent_404(client, tenants):
    """PM-EVIDENCE-LINK-12: "Intent not found in this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    e1 = new_evidence(client, tenants)
    for intent_id in (foreign["id"], random_id()):
        assert_error(client.post(link_url(intent_id), json={"link": [e1["id"]]}, headers=tenants.pm_headers()), 404)
    assert evidence_links(client, tenants, e1["id"]) == []


def test_rate_limited(client, tenants, settings):
    """PM-EVIDENCE-LINK-13: "general 300/h" (lowered) — 429 {error} with Retry-After."""
    intent, e1 = new_intent(client, tenants), new_evidence(client, tenants)
    settings.rate_limits["general"] = (2, 3600)  # creating the evidence item was the first
    post_links(client, tenants, intent["id"], {"link": [e1["id"]]})
    response = client.post(link_url(intent["id"]), json={"unlink": [e1["id"]]}, headers=tenants.pm_headers())
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert intent_evidence(client, tenants, intent["id"]) == [e1["id"]]
