"""Helpers for the projects and integrations tests: an org with every role, projects in any state."""

from __future__ import annotations

from handlers.backlex.store import Org, Project
from spec_server.db import database
from tests.support import backlex_org

ROLE_MEMBERS = {"admin@a.example": "admin", "developer@a.example": "developer", "viewer@a.example": "viewer"}


def org_a(client, tenants, plan: str = "pro") -> dict:
    """Org "acme-corp" owned by owner@a.example with a member of every role, on ``plan``."""
    org = backlex_org(client, tenants, members=ROLE_MEMBERS)
    set_plan(org["id"], plan)
    return org


def org_b(client, tenants) -> dict:
    """A second tenant, owned by owner@b.example."""
    return backlex_org(client, tenants, name="Beta Inc", owner="owner@b.example")


def set_plan(org_id: str, plan: str) -> None:
    with database.connection_context():
        Org.update(plan_id=plan).where(Org.id == org_id).execute()


def as_role(tenants, role: str = "owner", tenant: str = "a") -> dict:
    return tenants.bx_session(f"{role}@{tenant}.example")


def create_project(client, tenants, org_slug: str, name: str = "Storefront", role: str = "owner", **body) -> dict:
    response = client.post(f"/api/org/{org_slug}/projects", json={"name": name, **body},
                           cookies=as_role(tenants, role))
    assert response.status_code == 201, response.text
    return response.json()["project"]


def get_project(client, tenants, org_slug: str, project_slug: str) -> dict:
    response = client.get(f"/api/org/{org_slug}/projects/{project_slug}", cookies=as_role(tenants))
    assert response.status_code == 200, response.text
    return response.json()["project"]


def force_state(project_id: str, status: str) -> None:
    """Put a project straight into ``status`` (to test what each state allows)."""
    with database.connection_context():
        Project.update(status=status, template_version="2026.02.0").where(Project.id == project_id).execute()

