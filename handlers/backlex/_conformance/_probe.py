"""What backlex's behaviour checks work with: the labelled users' sessions, fresh orgs and
projects made through the API, and (in-process only) members seated directly."""

from __future__ import annotations

import time

from conformance.behaviour import Probe, Skip

API = "/api"


class BacklexProbe(Probe):
    def __init__(self, session, schema, plugin):
        super().__init__(session, schema)
        self.plugin = plugin

    # --- callers --------------------------------------------------------------------------
    def auth(self, tenant: str = "a", role: str = "owner") -> dict:
        auth = self.plugin.auth_for(self.target, tenant, role)
        if not auth:
            raise Skip(f"no user labelled tenant {tenant!r}, role {role!r} in the credentials")
        return auth

    def user(self, tenant: str = "a", role: str = "owner") -> dict:
        found = self.plugin.user(self.target, tenant=None if role == "outsider" else tenant, role=role)
        if found is None:
            raise Skip(f"no user labelled tenant {tenant!r}, role {role!r} in the credentials")
        return found

    # --- the tenants' orgs and projects the plugin made -------------------------------------
    def org(self, tenant: str = "a") -> str:
        return self.plugin.orgs(self.target)[tenant]

    def project(self, tenant: str = "a") -> str:
        return self.target.state_of(self.plugin.name)["projects"][tenant]

    # --- fresh state --------------------------------------------------------------------------
    def new_org(self, tenant: str = "a", **fields) -> dict:
        """A fresh org (free plan) owned by the tenant's owner: what a check may fill or break."""
        body = {"name": f"Probe {self.marker()}", **fields}
        return self.require(self.call("POST", f"{API}/org", self.auth(tenant), body), 201, "create an org")["org"]

    def seat(self, org: dict, tenant: str, role: str) -> dict:
        """Seat the tenant's user of that role in ``org`` (in-process: invitation tokens are only
        emailed, so a deployment cannot be made to seat anyone); returns the user."""
        if self.target.remote:
            raise Skip("members cannot be seated over HTTP (invitation tokens are only emailed)")
        from handlers.backlex._conformance._plugin import _seat_directly

        user = self.user(tenant, role)
        _seat_directly(org, user["email"], role)
        return user

    def members(self, slug: str, auth: dict | None = None) -> list[dict]:
        listed = self.call("GET", f"{API}/org/{slug}/members", auth or self.auth())
        return self.json(listed).get("members", [])

    def member_id(self, slug: str, email: str) -> str:
        found = next((m["id"] for m in self.members(slug) if m.get("email") == email), None)
        if found is None:
            self.stop(f"{email} is not listed among the members of {slug}")
        return str(found)

    def new_project(self, slug: str, name: str | None = None, auth: dict | None = None) -> dict:
        """A project, once its provisioning job has settled (active, or failed)."""
        body = {"name": name or f"Probe {self.marker()}"}
        project = self.require(self.call("POST", f"{API}/org/{slug}/projects", auth or self.auth(), body), 201,
                               "create a project")["project"]
        return self.settled(slug, project["slug"])

    def settled(self, slug: str, project: str, seconds: float = 20) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            shown = self.call("GET", f"{API}/org/{slug}/projects/{project}", self.auth())
            found = self.json(shown).get("project", {})
            if found.get("status") != "provisioning" or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def audit(self, slug: str, **params) -> list[dict]:
        listed = self.call("GET", f"{API}/org/{slug}/audit", self.auth(), params=params)
        return self.json(listed).get("events", [])
