"""Shared test data: two tenants per API with a member of every role, and thin clients."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from spec_server import seeding
from spec_server.db import database

# the documented intent shape (PM-INTENT-GET-4), kept here independently of the handlers
INTENT_KEYS = {
    "id", "workspaceId", "productId", "stageName", "status", "version", "title", "objective",
    "problemSeverity", "outcomes", "healthMetrics", "scope", "strategicAlignment", "alignmentNotes",
    "context", "constraints", "verification", "externalLinks", "evidenceAnchors",
    "implementationContext", "createdAt", "updatedAt", "shippedAt", "verifiedAt", "edgeCases",
    "evidenceIds", "relations",
}

SPECS = Path(__file__).resolve().parent.parent / "specs"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def documented_operations(api: str) -> set[tuple[str, str]]:
    """(METHOD, public path) of every operation the upstream document states, read from the
    document itself (not from what codegen made of it): tests count from here, never literals."""
    document = json.loads((SPECS / f"{api}.openapi.json").read_text())
    base = re.sub(r"^[a-z]+://[^/]+", "", (document.get("servers") or [{"url": ""}])[0]["url"]).rstrip("/")
    return {(method.upper(), base + path) for path, item in document["paths"].items()
            for method in HTTP_METHODS if method in item}


PM_ROLES = ("owner", "admin", "editor", "viewer")
BX_ROLES = ("owner", "admin", "developer", "viewer")

SEED = {
    "backlex": {"users": [
        *({"email": f"{role}@a.example", "name": f"A {role}"} for role in BX_ROLES),
        *({"email": f"{role}@b.example", "name": f"B {role}"} for role in BX_ROLES),
        {"email": "outsider@c.example", "name": "Outsider"},
    ]},
    "pathmode": {
        "users": [*({"email": f"{role}@a.example"} for role in PM_ROLES),
                  *({"email": f"{role}@b.example"} for role in PM_ROLES),
                  {"email": "outsider@c.example"}],
        "workspaces": [
            {
                "name": "Workspace A", "urlKey": "ws-a", "plan": "pro",
                "members": [{"email": f"{role}@a.example", "role": role} for role in PM_ROLES],
                "products": [{"name": "Checkout", "slug": "checkout"}, {"name": "Search", "slug": "search"}],
                "constitutionRules": [
                    {"category": "privacy", "text": "Never log raw PII.", "enforcement": "required"},
                    {"category": "ux", "text": "Keep forms short.", "enforcement": "advisory"},
                ],
                "apiKeys": [
                    {"name": "rw", "user": "owner@a.example", "scopes": ["read", "write"]},
                    {"name": "read", "user": "owner@a.example", "scopes": ["read"]},
                    {"name": "write", "user": "owner@a.example", "scopes": ["write"]},
                    {"name": "admin", "user": "admin@a.example", "scopes": ["read", "write", "admin"]},
                    {"name": "editor", "user": "editor@a.example", "scopes": ["read", "write"]},
                ],
            },
            {
                "name": "Workspace B", "urlKey": "ws-b", "plan": "free",
                "members": [{"email": f"{role}@b.example", "role": role} for role in PM_ROLES],
                "products": [{"name": "Billing", "slug": "billing"}],
                "constitutionRules": [{"category": "security", "text": "B's rule.", "enforcement": "required"}],
                "apiKeys": [{"name": "rw", "user": "owner@b.example", "scopes": ["read", "write"]}],
            },
        ],
    },
}


@dataclass
class Tenants:
    created: dict

    # Pathmode
    def pm_key(self, workspace: str = "ws-a", name: str = "rw") -> str:
        return self.created["pathmode"]["workspaces"][workspace]["apiKeys"][name]

    def pm_headers(self, workspace: str = "ws-a", name: str = "rw") -> dict:
        return {"Authorization": f"Bearer {self.pm_key(workspace, name)}"}

    def pm_workspace_id(self, workspace: str = "ws-a") -> str:
        return self.created["pathmode"]["workspaces"][workspace]["id"]

    def pm_product_id(self, workspace: str = "ws-a", slug: str = "checkout") -> str:
        return self.created["pathmode"]["workspaces"][workspace]["products"][slug]

    def pm_user_id(self, email: str) -> str:
        return self.created["pathmode"]["users"][email]["id"]

    def pm_session(self, email: str = "owner@a.example") -> dict:
        return {"sb-access-token": self.created["pathmode"]["users"][email]["sessionToken"]}

    # backlex
    def bx_session(self, email: str = "owner@a.example") -> dict:
        return {"better-auth.session_token": self.created["backlex"]["users"][email]["sessionToken"]}

    def bx_user_id(self, email: str) -> str:
        return self.created["backlex"]["users"][email]["id"]


def current_database_url() -> str:
    """The URL of the database bound for this test, for commands run with ``--database``."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{database.obj.database}"


def seed_tenants(data: dict | None = None) -> Tenants:
    with database.connection_context():
        return Tenants(seeding.seed(data or SEED))


def new_intent(client, tenants: Tenants, workspace: str = "ws-a", **fields) -> dict:
    body = {"title": "Speed up onboarding", "objective": "First value in ten minutes",
            "productId": tenants.pm_product_id(workspace, "checkout" if workspace == "ws-a" else "billing"),
            "outcomes": ["New user reaches first intent in under 10 min"], **fields}
    response = client.post("/api/v1/intents", json=body, headers=tenants.pm_headers(workspace))
    assert response.status_code == 201, response.text
    return response.json()


def backlex_org(client, tenants: Tenants, name: str = "Acme Corp", owner: str = "owner@a.example",
                members: dict | None = None) -> dict:
    """Create an org through the API; ``members`` {email: role} are seated directly."""
    response = client.post("/api/org", json={"name": name}, cookies=tenants.bx_session(owner))
    assert response.status_code == 201, response.text
    org = response.json()["org"]
    if members:
        from handlers.backlex.store import Member, User
        from spec_server import clock

        with database.connection_context():
            for email, role in members.items():
                user = User.get(User.email == email)
                Member.create(org=org["id"], user=user, email=email, role=role, status="active",
                              created_at=clock.now_ms(), joined_at=clock.now_ms())
    return org


def only_rules(tenants: Tenants, *specs: dict) -> list[str]:
    """Replace workspace A's constitution with the given rules, created one millisecond apart."""
    from handlers.pathmode.store import ConstitutionRule
    from spec_server import clock

    with database.connection_context():
        ws = tenants.pm_workspace_id()
        ConstitutionRule.delete().where(ConstitutionRule.workspace == ws).execute()
        base = clock.now_ms()
        return [ConstitutionRule.create(workspace=ws, category="general", text=spec.get("text", f"R{n}"),
                                        created_at=base + n, **{k: v for k, v in spec.items() if k != "text"}).id
                for n, spec in enumerate(specs, start=1)]


def set_status(client, tenants, intent_id, status):
    response = client.patch(f"/api/v1/intents/{intent_id}/status", json={"status": status},
                            headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
