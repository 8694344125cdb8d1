"""Branches: unique per project, optional PR number, each creating a deploy; deploys newest first."""

from __future__ import annotations

import pytest

from spec_server import clock
from tests.backlex.project_helpers import as_role, create_project, org_a


@pytest.fixture
def path(client, tenants):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    return f"/api/org/{org['slug']}/projects/storefront"


def test_create_branch_creates_a_deploy(client, tenants, path):
    response = client.post(path + "/branches", json={"name": "feature/login", "prNumber": 42},
                           cookies=as_role(tenants, "developer"))
    assert response.status_code == 201, response.text
    branch = response.json()["branch"]
    assert branch["name"] == "feature/login" and branch["prNumber"] == 42
    assert branch["deploy"]["kind"] == "branch" and branch["deploy"]["ref"] == "feature/login"
    deploys = client.get(path + "/deploys", cookies=as_role(tenants, "viewer")).json()["deploys"]
    assert deploys[0]["id"] == branch["deploy"]["id"] and deploys[0]["status"] == "succeeded"


def test_pr_number_is_optional(client, tenants, path):
    branch = client.post(path + "/branches", json={"name": "main2"}, cookies=as_role(tenants)).json()["branch"]
    assert branch["prNumber"] is None


def test_name_unique_per_project(client, tenants, path):
    assert client.post(path + "/branches", json={"name": "dev"}, cookies=as_role(tenants)).status_code == 201
    again = client.post(path + "/branches", json={"name": "dev"}, cookies=as_role(tenants))
    assert again.status_code == 409
    org_slug = path.split("/")[3]
    create_project(client, tenants, org_slug, name="Other")
    other = client.post(f"/api/org/{org_slug}/projects/other/branches", json={"name": "dev"}, cookies=as_role(tenants))
    assert other.status_code == 201


@pytest.mark.parametrize("name", ["-x", "a..b", "a b", "x/", "/x", "fix//y"])
def test_invalid_names_are_422(client, tenants, path, name):
    assert client.post(path + "/branches", json={"name": name}, cookies=as_role(tenants)).status_code == 422


def test_lists_newest_first_and_delete(client, tenants, path):
    first = client.post(path + "/branches", json={"name": "one"}, cookies=as_role(tenants)).json()["branch"]
    clock.advance(1)
    second = client.post(path + "/branches", json={"name": "two"}, cookies=as_role(tenants)).json()["branch"]
    listed = client.get(path + "/branches", cookies=as_role(tenants)).json()["branches"]
    assert [b["name"] for b in listed] == ["two", "one"]
    deploys = client.get(path + "/deploys", cookies=as_role(tenants)).json()["deploys"]
    assert [d["ref"] for d in deploys[:2]] == ["two", "one"]
    assert client.delete(f"{path}/branches/{first['id']}", cookies=as_role(tenants, "developer")).json() == {"ok": True}
    assert [b["id"] for b in client.get(path + "/branches", cookies=as_role(tenants)).json()["branches"]] == [second["id"]]
    assert client.delete(f"{path}/branches/{first['id']}", cookies=as_role(tenants)).status_code == 404
