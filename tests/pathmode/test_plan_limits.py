"""Pathmode plan limits ("billing-gated"): intents, evidence_items and api_keys quotas per plan."""

from __future__ import annotations

import pytest

from handlers.pathmode.store import ApiKey, Evidence, Intent
from spec_server.db import database
from tests.pathmode._part1 import product_of

QUOTA_KEYS = {"error", "metric", "current", "limit", "plan"}


def create(client, tenants, metric: str, workspace: str = "ws-a"):
    if metric == "intents":
        body = {"title": "t", "objective": "o", "productId": product_of(tenants, workspace)}
        return client.post("/api/v1/intents", json=body, headers=tenants.pm_headers(workspace))
    if metric == "evidence_items":
        body = {"content": "c", "type": "quote", "productId": product_of(tenants, workspace)}
        return client.post("/api/v1/evidence", json=body, headers=tenants.pm_headers(workspace))
    body = {"name": "k", "workspaceId": tenants.pm_workspace_id(workspace)}
    return client.post("/api/v1/api-keys", json=body, cookies=tenants.pm_session(f"owner@{workspace[-1]}.example"))


def stored(metric: str, workspace_id: str) -> int:
    model = {"intents": Intent, "evidence_items": Evidence, "api_keys": ApiKey}[metric]
    with database.connection_context():
        return model.select().where(model.workspace == workspace_id).count()


@pytest.mark.parametrize("metric", ["intents", "evidence_items", "api_keys"])
def test_quota_body_and_boundary(client, tenants, settings, metric):
    """PM-BILLING-1: "returns 403 with body { error: 'plan_limit_reached', metric: 'intents', current,
    limit, plan }"; PM-BILLING-2: "when the workspace intent quota is reached"; PM-BILLING-3:
    "Billing-gated" (the first N succeed, the N+1th is refused); PM-BILLING-4: the metric names the
    operation's quota."""
    ws = tenants.pm_workspace_id("ws-b")  # plan 'free'
    already = stored(metric, ws)
    settings.plan_limits["free"][metric] = already + 2
    assert [create(client, tenants, metric, "ws-b").status_code for _ in range(2)] == [201, 201]
    response = create(client, tenants, metric, "ws-b")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == QUOTA_KEYS
    assert body["error"] == "plan_limit_reached" and body["metric"] == metric and body["plan"] == "free"
    assert isinstance(body["current"], int) and isinstance(body["limit"], int)
    assert body["current"] >= body["limit"] == already + 2
    assert stored(metric, ws) == already + 2
    # another workspace's quota is its own
    assert create(client, tenants, metric, "ws-a").status_code == 201


def test_plans_differ(client, tenants, settings):
    """PM-BILLING-2: "plan names the workspace's plan" — each workspace is held to its own plan's quota."""
    settings.plan_limits["free"]["evidence_items"] = 0
    settings.plan_limits["pro"]["evidence_items"] = 1
    assert create(client, tenants, "evidence_items", "ws-b").json()["plan"] == "free"
    assert create(client, tenants, "evidence_items", "ws-a").status_code == 201
    assert create(client, tenants, "evidence_items", "ws-a").json()["plan"] == "pro"


def test_unlimited_plan(client, tenants, settings):
    """Defaults: a quota of None (team intents/evidence) is unlimited."""
    settings.plan_limits["free"]["intents"] = None
    for _ in range(3):
        assert create(client, tenants, "intents", "ws-b").status_code == 201


def test_scope_403_distinct_from_quota_403(client, tenants, settings):
    """PM-BILLING-5: "distinct from the scope 403" """
    settings.plan_limits["pro"]["evidence_items"] = 0
    body = {"content": "c", "type": "quote", "productId": product_of(tenants, "ws-a")}
    scope = client.post("/api/v1/evidence", json=body, headers=tenants.pm_headers(name="read"))
    quota = client.post("/api/v1/evidence", json=body, headers=tenants.pm_headers())
    assert scope.status_code == quota.status_code == 403
    assert scope.json()["error"] != "plan_limit_reached" and not set(scope.json()) & {"metric", "current", "limit", "plan"}
    assert quota.json()["error"] == "plan_limit_reached"
