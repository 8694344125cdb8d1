"""Pathmode evidence: GET/POST /api/v1/evidence."""

from __future__ import annotations

import pytest

from handlers.pathmode.store import Evidence
from spec_server import clock
from spec_server.db import database
from spec_server.store import OutboxEvent
from tests.pathmode._part1 import assert_error, new_evidence, product_of, random_id

URL = "/api/v1/evidence"
ITEM_KEYS = {"id", "productId", "workspaceId", "type", "content", "source", "sourceUrl", "severity",
             "sentiment", "tags", "stage", "linkedIntentIds", "createdAt", "updatedAt"}
TYPES = ["friction", "quote", "observation", "metric", "request"]


def query(client, tenants, workspace="ws-a", **params):
    response = client.get(URL, params=params, headers=tenants.pm_headers(workspace))
    assert response.status_code == 200, response.text
    return response.json()


def seed_rows(tenants, count: int, **fields) -> None:
    """Many rows at once, straight into the store (faster than the API for paging tests)."""
    now = clock.now_ms()
    with database.connection_context():
        for n in range(count):
            Evidence.create(workspace=tenants.pm_workspace_id(), product=product_of(tenants, "ws-a"),
                            type="friction", content=f"item {n}", created_at=now + n, updated_at=now + n,
                            **fields)


# --- list ---

def test_only_the_callers_workspace(client, tenants):
    """PM-EVIDENCE-LIST-1: "Query active evidence items for the authenticated workspace" """
    mine = new_evidence(client, tenants)
    new_evidence(client, tenants, workspace="ws-b")
    body = query(client, tenants)
    assert [item["id"] for item in body["evidence"]] == [mine["id"]]
    assert all(item["workspaceId"] == tenants.pm_workspace_id() for item in body["evidence"])


def test_active_only(client, tenants):
    """PM-EVIDENCE-LIST-2: "Filters on status='active' only." """
    live = new_evidence(client, tenants, tags=["x"])
    seed_rows(tenants, 1, status="archived", tags=["x"])
    assert [i["id"] for i in query(client, tenants)["evidence"]] == [live["id"]]
    assert query(client, tenants, type="friction", tags="x", search="item")["count"] == 0


def test_newest_first(client, tenants):
    """PM-EVIDENCE-LIST-3: "Default sort created_at DESC." """
    ids = [new_evidence(client, tenants, content=f"E{n}")["id"] for n in range(3)]
    assert [i["id"] for i in query(client, tenants)["evidence"]] == ids[::-1]


def test_filter_product(client, tenants):
    """PM-EVIDENCE-LIST-4: "Filter to a single product." """
    search_product = tenants.pm_product_id("ws-a", "search")
    new_evidence(client, tenants)
    other = new_evidence(client, tenants, productId=search_product)
    found = query(client, tenants, productId=search_product)["evidence"]
    assert [i["id"] for i in found] == [other["id"]]


def test_filter_type(client, tenants):
    """PM-EVIDENCE-LIST-5: "Filter by evidence type: friction | quote | observation | metric | request." """
    new_evidence(client, tenants, type="friction")
    quote = new_evidence(client, tenants, type="quote")
    assert [i["id"] for i in query(client, tenants, type="quote")["evidence"]] == [quote["id"]]


@pytest.mark.parametrize("clause,param", [("PM-EVIDENCE-LIST-6", {"type": "rumor"}),
                                          ("PM-EVIDENCE-LIST-8", {"severity": "urgent"})])
def test_invalid_enum_filter_is_400(client, tenants, clause, param):
    """PM-EVIDENCE-LIST-6 / -8: "400 if invalid." """
    assert_error(client.get(URL, params=param, headers=tenants.pm_headers()), 400)


def test_filter_severity(client, tenants):
    """PM-EVIDENCE-LIST-7: "Filter by severity: low | medium | high | critical." """
    high = new_evidence(client, tenants, severity="high")
    new_evidence(client, tenants, severity="low")
    new_evidence(client, tenants)
    assert [i["id"] for i in query(client, tenants, severity="high")["evidence"]] == [high["id"]]


def test_search_content_case_insensitive(client, tenants):
    """PM-EVIDENCE-LIST-9: "Case-insensitive ILIKE substring match on content." """
    hit = new_evidence(client, tenants, content="Users abandon checkout")
    new_evidence(client, tenants, content="Slow search", source="checkout survey")
    new_evidence(client, tenants, content="100% of users")
    assert [i["id"] for i in query(client, tenants, search="CHECKOUT")["evidence"]] == [hit["id"]]
    assert query(client, tenants, search="0%")["count"] == 1  # wildcards are literal
    assert query(client, tenants, search="_")["count"] == 0


def test_tags_contain_all(client, tenants):
    """PM-EVIDENCE-LIST-10: "matches rows whose tags array contains ALL given tags." """
    both = new_evidence(client, tenants, tags=["a", "b"])
    new_evidence(client, tenants, tags=["a"])
    new_evidence(client, tenants, tags=["b", "c"])
    body = query(client, tenants, tags="a,b")
    assert [i["id"] for i in body["evidence"]] == [both["id"]] and body["count"] == 1


def test_default_page_size(client, tenants):
    """PM-EVIDENCE-LIST-11: "Page size, default 50" """
    seed_rows(tenants, 60)
    body = query(client, tenants)
    assert len(body["evidence"]) == 50 and body["limit"] == 50 and body["count"] == 60


def test_page_size_capped(client, tenants):
    """PM-EVIDENCE-LIST-12: "capped at 200." """
    seed_rows(tenants, 205)
    body = query(client, tenants, limit=500)
    assert body["limit"] == 200 and len(body["evidence"]) == 200 and body["count"] == 205


def test_offset(client, tenants):
    """PM-EVIDENCE-LIST-13: "Pagination offset, default 0." """
    seed_rows(tenants, 5)
    everything = [i["id"] for i in query(client, tenants)["evidence"]]
    assert query(client, tenants)["offset"] == 0
    page = query(client, tenants, limit=2, offset=2)
    assert [i["id"] for i in page["evidence"]] == everything[2:4] and page["offset"] == 2


def test_count_is_exact_total(client, tenants):
    """PM-EVIDENCE-LIST-14: "'count' is the exact total matching the filters" """
    for _ in range(3):
        new_evidence(client, tenants, type="quote", tags=["t"])
    new_evidence(client, tenants, type="metric")
    for params in ({"type": "quote", "limit": 1}, {"tags": "t", "limit": 1}):
        body = query(client, tenants, **params)
        assert len(body["evidence"]) == 1 and body["count"] == 3


def test_list_envelope(client, tenants):
    """PM-EVIDENCE-LIST-15: '"offset": 0' — {evidence, count, limit, offset}."""
    body = query(client, tenants)
    assert body == {"evidence": [], "count": 0, "limit": 50, "offset": 0}


def test_every_field_present(client, tenants):
    """PM-EVIDENCE-LIST-16: "Every field is always present in the object" """
    new_evidence(client, tenants)
    item = query(client, tenants)["evidence"][0]
    assert set(item) == ITEM_KEYS
    assert [item[k] for k in ("source", "sourceUrl", "severity", "sentiment", "stage")] == [None] * 5
    assert item["tags"] == [] and item["linkedIntentIds"] == []


# --- create ---

def test_create_in_callers_workspace(client, tenants):
    """PM-EVIDENCE-CREATE-1: "Create a new evidence item under a product in the authenticated workspace." """
    item = new_evidence(client, tenants)
    assert item["workspaceId"] == tenants.pm_workspace_id() and item["productId"] == product_of(tenants, "ws-a")


def test_create_shape_matches_list_item(client, tenants):
    """PM-EVIDENCE-CREATE-2: '"linkedIntentIds": []' — the 201 has the list item's keys."""
    created = new_evidence(client, tenants, source="Ticket", sourceUrl="https://x.example/1", severity="high",
                           sentiment="negative", tags=["checkout"], stage="Checkout")
    assert set(created) == ITEM_KEYS
    assert query(client, tenants)["evidence"][0] == created


@pytest.mark.parametrize("body", [{"content": ""}, {"content": "   "}, {"content": None}])
def test_content_required(client, tenants, body):
    """PM-EVIDENCE-CREATE-3: "Non-empty evidence text" """
    payload = {"type": "friction", "productId": product_of(tenants, "ws-a"), **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    assert_error(client.post(URL, json=payload, headers=tenants.pm_headers()), 400)
    assert query(client, tenants)["count"] == 0


def test_content_trimmed(client, tenants):
    """PM-EVIDENCE-CREATE-4: "trimmed before storage." """
    assert new_evidence(client, tenants, content="  Users abandon checkout  ")["content"] == "Users abandon checkout"


def test_type_enum(client, tenants):
    """PM-EVIDENCE-CREATE-5: "One of friction | quote | observation | metric | request." """
    product = product_of(tenants, "ws-a")
    for body in ({"content": "x", "productId": product, "type": "rumor"}, {"content": "x", "productId": product}):
        assert_error(client.post(URL, json=body, headers=tenants.pm_headers()), 400)
    for kind in TYPES:
        assert new_evidence(client, tenants, type=kind)["type"] == kind


def test_product_required(client, tenants):
    """PM-EVIDENCE-CREATE-6: "missing productId" """
    assert_error(client.post(URL, json={"content": "x", "type": "quote"}, headers=tenants.pm_headers()), 400)


def test_product_outside_workspace_is_404(client, tenants):
    """PM-EVIDENCE-CREATE-7: "Product must belong to the workspace (else 404)." """
    for product in (product_of(tenants, "ws-b"), random_id()):
        body = {"content": "x", "type": "quote", "productId": product}
        assert_error(client.post(URL, json=body, headers=tenants.pm_headers()), 404)
    assert query(client, tenants)["count"] == 0 and query(client, tenants, "ws-b")["count"] == 0


def test_optional_text_null_when_omitted(client, tenants):
    """PM-EVIDENCE-CREATE-8: "stored as null if omitted." """
    item = new_evidence(client, tenants)
    assert item["source"] is None and item["sourceUrl"] is None and item["stage"] is None


@pytest.mark.parametrize("clause,field,bad,good", [("PM-EVIDENCE-CREATE-9", "severity", "urgent", "high"),
                                                   ("PM-EVIDENCE-CREATE-10", "sentiment", "angry", "mixed")])
def test_severity_and_sentiment_enums(client, tenants, clause, field, bad, good):
    """PM-EVIDENCE-CREATE-9: "low | medium | high | critical. 400 if invalid." /
    PM-EVIDENCE-CREATE-10: "positive | negative | neutral | mixed. 400 if invalid." """
    body = {"content": "x", "type": "quote", "productId": product_of(tenants, "ws-a"), field: bad}
    assert_error(client.post(URL, json=body, headers=tenants.pm_headers()), 400)
    assert new_evidence(client, tenants, **{field: good})[field] == good


def test_tags_default_empty(client, tenants):
    """PM-EVIDENCE-CREATE-11: "Tag array; defaults to []." """
    assert new_evidence(client, tenants)["tags"] == []


def test_stored_active_inbox(client, tenants):
    """PM-EVIDENCE-CREATE-12: "Row stored with status='active'" (and triage_status 'inbox', created_by)."""
    item = new_evidence(client, tenants)
    assert [i["id"] for i in query(client, tenants)["evidence"]] == [item["id"]]
    with database.connection_context():
        row = Evidence.get_by_id(item["id"])
    assert (row.status, row.triage_status, row.created_by) == ("active", "inbox",
                                                               tenants.pm_user_id("owner@a.example"))


def test_fresh_item_has_no_links(client, tenants):
    """PM-EVIDENCE-CREATE-13: "linkedIntentIds is [] on a fresh create." """
    assert new_evidence(client, tenants)["linkedIntentIds"] == []


def test_plan_limit(client, tenants, settings):
    """PM-EVIDENCE-CREATE-14: "a 403 with body { error:'plan_limit_reached', metric:'evidence_items',
    current, limit, plan } is returned when the evidence_items quota is hit" """
    settings.plan_limits["pro"]["evidence_items"] = 1
    new_evidence(client, tenants)
    body = {"content": "x", "type": "quote", "productId": product_of(tenants, "ws-a")}
    response = client.post(URL, json=body, headers=tenants.pm_headers())
    assert response.status_code == 403
    assert response.json() == {"error": "plan_limit_reached", "metric": "evidence_items", "current": 1,
                               "limit": 1, "plan": "pro"}
    assert query(client, tenants)["count"] == 1


def test_scope_403_is_not_plan_403(client, tenants):
    """PM-EVIDENCE-CREATE-15: "the scope 403 which has body { error: 'Insufficient permissions...' }" """
    body = {"content": "x", "type": "quote", "productId": product_of(tenants, "ws-a")}
    error = assert_error(client.post(URL, json=body, headers=tenants.pm_headers(name="read")), 403)
    assert error["error"].startswith("Insufficient permissions") and "metric" not in error


def test_fire_and_forget_notification(client, tenants, settings):
    """PM-EVIDENCE-CREATE-16: "Fires a Slack notify" — an outbox row; a failing notifier does not fail the POST."""
    item = new_evidence(client, tenants)
    with database.connection_context():
        slack = list(OutboxEvent.select().where((OutboxEvent.channel == "slack") & (OutboxEvent.subject_id == item["id"])))
    assert [event.kind for event in slack] == ["evidence_created"]
    settings.faults = frozenset({"notifier"})
    second = new_evidence(client, tenants)
    with database.connection_context():
        assert OutboxEvent.select().where(OutboxEvent.subject_id == second["id"]).count() == 0
    assert query(client, tenants)["count"] == 2


def test_rate_limited(client, tenants, settings):
    """PM-EVIDENCE-CREATE-17: "general 300/h" (lowered to 2) — 429 {error}, Retry-After, nothing created."""
    settings.rate_limits["general"] = (2, 3600)
    new_evidence(client, tenants)
    new_evidence(client, tenants)
    body = {"content": "x", "type": "quote", "productId": product_of(tenants, "ws-a")}
    response = client.post(URL, json=body, headers=tenants.pm_headers())
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert query(client, tenants)["count"] == 2
