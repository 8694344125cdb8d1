"""Where the suite points: an in-process app or a running deployment, plus its credentials.

Credentials are ``spec-server seed``'s output for ``conformance/seed.json`` (two tenants per
API, a member of every role, Pathmode API keys). backlex seeds only users, so the suite
creates one org per tenant through the API (``bootstrap``) and seats the other roles through
the invitation flow when the server offers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SEED_FILE = Path(__file__).with_name("seed.json")
MOUNTS = {"backlex": "/api", "pathmode": "/api/v1"}
TENANTS = ("a", "b")
BX_ROLES = ("owner", "admin", "developer", "viewer")
PM_ROLES = ("owner", "admin", "editor", "viewer")
PM_COOKIE = "sb-access-token"
BX_COOKIE = "better-auth.session_token"


def seed_data() -> dict:
    return json.loads(SEED_FILE.read_text())


@dataclass
class Target:
    """``app`` (in-process ASGI app) or ``base_url`` (``http://host:port``), never both."""

    credentials: dict
    base_url: str | None = None
    app: object | None = None
    orgs: dict = field(default_factory=dict)  # backlex tenant -> org slug
    # values positive cases are pointed at, per API: path parameters and "body" fields
    pins: dict = field(default_factory=lambda: {"backlex": {}, "pathmode": {}})

    @property
    def remote(self) -> bool:
        return self.base_url is not None

    def client(self) -> httpx.Client:
        if self.remote:
            return httpx.Client(base_url=self.base_url, timeout=30)
        from starlette.testclient import TestClient  # an httpx.Client over the ASGI app

        return TestClient(self.app, raise_server_exceptions=False)

    def schema_url(self, api: str) -> str:
        return f"{MOUNTS[api]}/openapi.json"

    # Pathmode
    def pm_workspace(self, tenant: str = "a") -> dict:
        return self.credentials["pathmode"]["workspaces"][f"conf-{tenant}"]

    def pm_key(self, tenant: str = "a", name: str = "rw") -> str:
        return self.pm_workspace(tenant)["apiKeys"][name]

    def pm_session(self, email: str) -> str:
        return self.credentials["pathmode"]["users"][email]["sessionToken"]

    def pm_auth(self, tenant: str = "a", *, via: str = "key", role: str = "owner") -> dict:
        """httpx request kwargs authenticating as a Pathmode caller of ``tenant``."""
        if via == "key":
            return {"headers": {"Authorization": f"Bearer {self.pm_key(tenant)}"}}
        return {"cookies": {PM_COOKIE: self.pm_session(f"{role}@{tenant}.example")},
                "params": {"workspace_id": self.pm_workspace(tenant)["id"]}}

    # backlex
    def bx_session(self, email: str) -> str:
        return self.credentials["backlex"]["users"][email]["sessionToken"]

    def bx_auth(self, tenant: str = "a", role: str = "owner") -> dict:
        email = "outsider@c.example" if tenant == "c" else f"{role}@{tenant}.example"
        return {"cookies": {BX_COOKIE: self.bx_session(email)}}

    seated_roles: set = field(default_factory=set)  # backlex roles present in every tenant org

    def bootstrap(self, seat=None) -> None:
        """One backlex org per tenant, with a member of every role.

        ``seat(org, email, role)`` seats a member directly (in-process runs); otherwise the
        invitation flow is tried, which needs the server to hand out the invitation token.
        """
        if self.orgs:
            return
        seated = {role: 0 for role in BX_ROLES[1:]}
        with self.client() as client:
            for tenant in TENANTS:
                client.cookies.clear()
                response = client.post("/api/org", json={"name": f"Conformance {tenant.upper()}"},
                                       **self.bx_auth(tenant))
                if response.status_code != 201:
                    continue  # org creation not available: org-scoped checks report it
                org = response.json()["org"]
                self.orgs[tenant] = org["slug"]
                if tenant == "a":
                    self.pins["backlex"]["slug"] = org["slug"]
                for role in BX_ROLES[1:]:
                    email = f"{role}@{tenant}.example"
                    if seat is not None:
                        seat(org, email, role)
                        seated[role] += 1
                    elif _seat_by_invitation(client, self, tenant, org["slug"], role):
                        seated[role] += 1
        self.seated_roles = {role for role, count in seated.items() if count == len(TENANTS)}


def _seat_by_invitation(client: httpx.Client, target: Target, tenant: str, slug: str, role: str) -> bool:
    email = f"{role}@{tenant}.example"
    client.cookies.clear()
    invited = client.post(f"/api/org/{slug}/invitations", json={"email": email, "role": role},
                          **target.bx_auth(tenant))
    token = _find_token(invited.json()) if invited.status_code == 201 else None
    if not token:
        return False  # the token is only emailed: roles cannot be seated remotely
    client.cookies.clear()
    accepted = client.post("/api/invitations/accept", json={"token": token}, **target.bx_auth(tenant, role))
    return accepted.status_code == 200


def _find_token(body) -> str | None:
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ("token", "inviteToken") and isinstance(value, str):
                return value
            found = _find_token(value)
            if found:
                return found
    if isinstance(body, list):
        for item in body:
            found = _find_token(item)
            if found:
                return found
    return None
