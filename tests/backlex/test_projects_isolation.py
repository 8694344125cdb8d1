"""Org isolation: every {id} of the projects and integrations operations is scoped to its org.

Both orgs have a project with the same slug; every resource is created in org B and then
addressed through org A by a member of A: each answer is 404 and B's resource is untouched.
"""

from __future__ import annotations

import pytest

from handlers.backlex.store import Alarm, Backup, Branch, Domain, Integration, OrgApiKey, Webhook
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, org_a, set_plan
from tests.support import backlex_org


@pytest.fixture
def world(client, tenants, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "1")
    a = org_a(client, tenants)
    b = backlex_org(client, tenants, name="Beta Inc", owner="owner@b.example")
    set_plan(b["id"], "pro")
    create_project(client, tenants, a["slug"])
    b_cookie = as_role(tenants, "owner", "b")
    assert client.post(f"/api/org/{b['slug']}/projects", json={"name": "Storefront"}, cookies=b_cookie).status_code == 201
    bp = f"/api/org/{b['slug']}/projects/storefront"
    ids = {
        "backup": client.post(bp + "/backups", json={}, cookies=b_cookie).json()["backup"]["id"],
        "domain": client.post(bp + "/domains", json={"hostname": "b.example.com"}, cookies=b_cookie).json()["domain"]["id"],
        "branch": client.post(bp + "/branches", json={"name": "dev"}, cookies=b_cookie).json()["branch"]["id"],
        "alarm": client.post(bp + "/alarms", json={"metric": "r2", "thresholdPct": 5}, cookies=b_cookie).json()["alarm"]["id"],
        "key": client.post(f"/api/org/{b['slug']}/api-keys", json={"name": "k", "scope": "full"},
                           cookies=b_cookie).json()["key"]["id"],
        "integration": client.post(f"/api/org/{b['slug']}/integrations", json={"kind": "github", "config": {"installationId": 9}},
                                   cookies=b_cookie).json()["integration"]["id"],
        "webhook": client.post(f"/api/org/{b['slug']}/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["nothing.*"]},
                               cookies=b_cookie).json()["webhook"]["id"],
    }
    return a, b, ids


CROSS_ORG = [
    ("post", "/projects/storefront/backups/{backup}/restore"),
    ("post", "/projects/storefront/domains/{domain}/verify"),
    ("delete", "/projects/storefront/domains/{domain}"),
    ("delete", "/projects/storefront/branches/{branch}"),
    ("delete", "/projects/storefront/alarms/{alarm}"),
    ("delete", "/api-keys/{key}"),
    ("delete", "/integrations/{integration}"),
    ("delete", "/webhooks/{webhook}"),
    ("post", "/webhooks/{webhook}/test"),
]


@pytest.mark.parametrize("method, template", CROSS_ORG)
def test_other_orgs_ids_are_404(client, tenants, world, method, template):
    a, _, ids = world
    path = f"/api/org/{a['slug']}" + template.format(**ids)
    response = getattr(client, method)(path, cookies=as_role(tenants, "owner"))
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_b_resources_untouched(client, tenants, world):
    a, _, ids = world
    for method, template in CROSS_ORG:
        getattr(client, method)(f"/api/org/{a['slug']}" + template.format(**ids), cookies=as_role(tenants))
    with database.connection_context():
        assert Backup.get_by_id(ids["backup"]).last_restored_at is None
        assert Domain.get_by_id(ids["domain"]).checked_at is None
        for model, key in ((Branch, "branch"), (Alarm, "alarm"), (Integration, "integration"), (Webhook, "webhook")):
            assert model.get_or_none(model.id == ids[key]) is not None
        assert OrgApiKey.get_by_id(ids["key"]).revoked_at is None


def test_lists_show_only_the_callers_org(client, tenants, world):
    a, _, ids = world
    base = f"/api/org/{a['slug']}"
    owner = as_role(tenants)
    for path, key in (("/projects/storefront/backups", "backups"), ("/projects/storefront/domains", "domains"),
                      ("/projects/storefront/branches", "branches"), ("/projects/storefront/alarms", "alarms"),
                      ("/api-keys", "keys"), ("/integrations", "integrations"), ("/webhooks", "webhooks")):
        assert client.get(base + path, cookies=owner).json()[key] == [], path
    assert client.get(base + "/webhook-deliveries", params={"webhookId": ids["webhook"]}, cookies=owner).json() == {"deliveries": []}


def test_members_of_b_cannot_reach_a(client, tenants, world):
    a, _, _ = world
    for path in ("/projects", "/projects/storefront", "/projects/storefront/deploys", "/webhooks", "/api-keys"):
        assert client.get(f"/api/org/{a['slug']}{path}", cookies=as_role(tenants, "owner", "b")).status_code == 404


def test_project_lists_show_only_the_callers_org(client, tenants, world):
    """docs/behaviour.md "backlex — Organization" / README "backlex roles": org A's project list,
    overview, usage and export hold A's project only, though org B has one of the same slug
    (a list that lost its org filter would show both)."""
    a, b, _ = world
    owner = as_role(tenants)
    base = f"/api/org/{a['slug']}"
    listed = client.get(base + "/projects", cookies=owner).json()["projects"]
    assert [(p["slug"], p["orgId"]) for p in listed] == [("storefront", a["id"])]
    overview = client.get(base + "/overview", cookies=owner).json()
    assert (overview["projectCount"], [p["id"] for p in overview["projects"]]) == (1, [listed[0]["id"]])
    usage = client.get(base + "/usage", cookies=owner).json()
    assert [p["id"] for p in usage["projects"]] == [listed[0]["id"]]
    exported = client.post(base + "/export", cookies=owner).json()["projects"]
    assert [p["filename"].startswith(f"{a['slug']}-storefront-") for p in exported] == [True]
    b_listed = client.get(f"/api/org/{b['slug']}/projects", cookies=as_role(tenants, "owner", "b")).json()["projects"]
    assert [p["orgId"] for p in b_listed] == [b["id"]]
