"""What Pathmode's behaviour checks work with: the tenants' credentials and the few writes
most checks start from (an intent, an evidence item), all through the API."""

from __future__ import annotations

from codegen.parser import parse_rate_limit
from conformance.behaviour import Probe, Skip
from handlers.pathmode._api import SESSION_COOKIE

API = "/api/v1"


class PathmodeProbe(Probe):
    def __init__(self, session, schema, plugin):
        super().__init__(session, schema)
        self.plugin = plugin

    # --- tenants and credentials ----------------------------------------------------------
    def workspace(self, tenant: str = "a") -> dict:
        return self.plugin.workspace(self.target, tenant)

    def workspace_id(self, tenant: str = "a") -> str:
        return self.workspace(tenant)["id"]

    def require_tenant(self, tenant: str) -> None:
        if not self.plugin.has_tenant(self.target, tenant):
            raise Skip(f'no workspace labelled "tenant": "{tenant}" in the credentials: seed the suite\'s '
                       f"seed file (`spec-server conformance --print-seed`)")

    def auth(self, tenant: str = "a", *, via: str = "key", role: str = "owner") -> dict:
        """A tenant's API key (read/write), or a member's session with ``?workspace_id=``."""
        if via == "session" and not self.plugin.session(self.target, tenant, role):
            raise Skip(f"tenant {tenant!r} has no {role} member with a session")
        return self.plugin.auth_for(self.target, tenant, via=via, role=role)

    def cookie(self, tenant: str = "a", role: str = "owner") -> dict:
        """A member's session alone: what the cookie-session-only operations take."""
        token = self.plugin.session(self.target, tenant, role)
        if not token:
            raise Skip(f"tenant {tenant!r} has no {role} member with a session")
        return {"cookies": {SESSION_COOKIE: token}}

    @staticmethod
    def bearer(secret: str) -> dict:
        return {"headers": {"Authorization": f"Bearer {secret}"}}

    def user_id(self, tenant: str = "a", role: str = "owner") -> str:
        workspace = self.workspace(tenant)
        email = next(email for email, held in workspace["members"].items() if held == role)
        return self.target.of(self.plugin.name)["users"][email]["id"]

    def product(self, tenant: str = "a", index: int = 0) -> str:
        return list(self.workspace(tenant)["products"].values())[index]

    # --- writes most checks start from ----------------------------------------------------
    def new_intent(self, tenant: str = "a", auth: dict | None = None, **fields) -> dict:
        body = {"title": f"Probe {self.marker()}", "objective": "Prove what the document says it does",
                "productId": self.product(tenant), "outcomes": ["The rule holds"], **fields}
        response = self.call("POST", f"{API}/intents", auth or self.auth(tenant), body)
        return self.require(response, 201, f"tenant {tenant} creates an intent")

    def new_evidence(self, tenant: str = "a", **fields) -> dict:
        body = {"content": f"Evidence {self.marker()}", "type": "friction", "productId": self.product(tenant),
                **fields}
        response = self.call("POST", f"{API}/evidence", self.auth(tenant), body)
        return self.require(response, 201, f"tenant {tenant} creates an evidence item")

    def new_key(self, tenant: str = "a", role: str = "owner", **fields) -> dict:
        body = {"name": f"probe {self.marker()}", "workspaceId": self.workspace_id(tenant), **fields}
        response = self.call("POST", f"{API}/api-keys", self.cookie(tenant, role), body)
        return self.require(response, 201, f"tenant {tenant}'s {role} creates an API key")

    def delete_key(self, key_id: str, tenant: str = "a", role: str = "owner") -> None:
        self.call("DELETE", f"{API}/api-keys", self.cookie(tenant, role), {"keyId": key_id})

    # --- what the document states ---------------------------------------------------------
    def documented_rate_limit(self, method: str, path: str):
        """The operation's ``x-rateLimit`` as the served document states it (bucket, requests,
        window seconds), or None."""
        operation = self.schema.raw_schema["paths"][path][method.lower()]
        return parse_rate_limit(operation.get("x-rateLimit"))
