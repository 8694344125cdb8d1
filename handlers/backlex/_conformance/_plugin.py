"""backlex's plugin: tenants, credentials, narrowing, and the isolation and role checks.

Credentials contract (read from ``spec-server seed``'s output, never from fixed e-mail
addresses): users labelled with a tenant and a role, ``{"email": ..., "tenant": "a", "role":
"owner"}``: an ``owner`` of tenants ``a`` and ``b``, and a user with ``"role": "outsider"``
(no tenant). backlex seeds only users, so the suite creates one org per tenant through the
API and seats the other labelled roles (``admin``, ``developer``, ``viewer``) in it: directly
in-process, through the invitation flow on a deployment that hands out the token (this one
only emails it, so remotely the role checks say they were skipped). ``PLUGIN.seed`` is such a file.

Checks, on the pristine seed, before fuzzing:
* isolation: every org-scoped operation called on tenant B's org (with B's project) by
  tenant A's owner and by the outsider answers 404, and B's org reads the same after;
* roles: every org-scoped operation answers 403 to each seated role below its row of the
  permission table (``_permissions.MINIMUM_ROLE``), and changes nothing.
"""

from __future__ import annotations

import time

from conformance.plugin import ApiPlugin, Narrowing
from conformance.probes import FAKE_ID, Session, operations, request_for, snapshot, unchanged
from handlers.backlex._api import SESSION_COOKIE
from handlers.backlex._permissions import MINIMUM_ROLE, ROLE_RANK

TENANTS = ("a", "b")
SEATED = ("admin", "developer", "viewer")  # the owner creates the org

SEED = {"users": [
    *({"email": f"{role}@{tenant}.example", "name": f"{tenant.upper()} {role}", "tenant": tenant, "role": role}
      for tenant in TENANTS for role in ("owner", *SEATED)),
    {"email": "outsider@c.example", "name": "Outsider", "role": "outsider"},
]}

ALSO_422 = ("401", "403", "404", "409", "422", "429")
NARROWING = Narrowing(positive_also_accepts={
    # docs/behaviour.md "backlex — Organization" (audit) and "— Integrations (notifications)":
    # the document types from/to/limit/offset as free strings; a malformed value is 422
    "get_org_audit": ALSO_422, "get_org_notifications": ALSO_422,
    # "backlex — Enterprise SSO": the config each type needs is checked by the handler (422)
    "put_org_sso": ALSO_422,
    # "backlex — Projects": a point in time outside the plan's window or in the future is 422;
    # an unknown template ?version= is 422. "— Integrations": per-kind integration config is
    # checked by the handler (422); webhook URLs on private or loopback targets are refused (422)
    **dict.fromkeys(("post_org_project_restore", "post_org_project_upgrade", "post_org_integrations",
                     "post_org_webhooks"), ALSO_422),
})


class BacklexPlugin(ApiPlugin):
    name = "backlex"
    seed = SEED
    narrowing = NARROWING
    never_pinned = frozenset({"delete_org", "delete_org_project"})  # the tenant's own org and project

    # --- the credentials contract -----------------------------------------------------
    def user(self, target, *, tenant: str | None, role: str) -> dict | None:
        users = target.of(self.name).get("users", {})
        return next((dict(info, email=email) for email, info in users.items()
                     if info.get("role") == role and info.get("tenant") == tenant), None)

    def auth_for(self, target, tenant: str = "a", role: str = "owner") -> dict:
        user = self.user(target, tenant=None if role == "outsider" else tenant, role=role)
        return {"cookies": {SESSION_COOKIE: user["sessionToken"]}} if user else {}

    def missing(self, credentials: dict) -> list[str]:
        users = credentials.get(self.name, {}).get("users", {})
        if not users:
            return [f"{self.name}: the credentials have no \"{self.name}\" users: seed the suite's seed file "
                    f"(`spec-server conformance --print-seed`)"]
        held = {(info.get("tenant"), info.get("role")) for info in users.values()}
        lines = [f'{self.name}: no user labelled "tenant": "{tenant}", "role": "owner": seed one'
                 for tenant in TENANTS if (tenant, "owner") not in held]
        if (None, "outsider") not in held:
            lines.append(f'{self.name}: no user labelled "role": "outsider" (member of no tenant): seed one')
        return lines

    # --- tenants ------------------------------------------------------------------------
    def orgs(self, target) -> dict[str, str]:
        return target.state_of(self.name).setdefault("orgs", {})

    def seated(self, target) -> set[str]:
        return target.state_of(self.name).setdefault("seated", set())

    def bootstrap(self, target, seat=None) -> None:
        """One org per tenant, with every labelled role of the tenant seated in it."""
        orgs = self.orgs(target)
        if orgs:
            return
        seated = {role: 0 for role in SEATED}
        with target.client() as client:
            for tenant in TENANTS:
                client.cookies.clear()
                response = client.post("/api/org", json={"name": f"Conformance {tenant.upper()}"},
                                       **self.auth_for(target, tenant))
                if response.status_code != 201:
                    continue  # org creation not available: org-scoped checks report it
                org = response.json()["org"]
                orgs[tenant] = org["slug"]
                if tenant == "a":
                    target.pins_of(self.name)["slug"] = org["slug"]
                for role in SEATED:
                    user = self.user(target, tenant=tenant, role=role)
                    if user is None:
                        continue
                    if not target.remote:
                        _seat_directly(org, user["email"], role)
                        seated[role] += 1
                    elif self._seat_by_invitation(client, target, tenant, org["slug"], role):
                        seated[role] += 1
        self.seated(target).update(role for role, count in seated.items() if count == len(TENANTS))

    def _seat_by_invitation(self, client, target, tenant: str, slug: str, role: str) -> bool:
        user = self.user(target, tenant=tenant, role=role)
        assert user is not None  # bootstrap seats only the roles it found
        email = user["email"]
        client.cookies.clear()
        invited = client.post(f"/api/org/{slug}/invitations", json={"email": email, "role": role},
                              **self.auth_for(target, tenant))
        token = _find_token(invited.json()) if invited.status_code == 201 else None
        if not token:
            return False  # the token is only emailed: roles cannot be seated remotely
        client.cookies.clear()
        accepted = client.post("/api/invitations/accept", json={"token": token}, **self.auth_for(target, tenant, role))
        return accepted.status_code == 200

    # --- passes -------------------------------------------------------------------------
    def passes(self) -> tuple[str, ...]:
        return ("sessionCookie",)  # no operation accepts the org API key (apiKey) scheme

    def auth(self, target, scheme: str) -> dict:
        owner = self.user(target, tenant="a", role="owner")
        assert owner is not None  # missing() refused credentials without one
        return {"sessionCookie": {"api_key": owner["sessionToken"]}}

    # --- checks -------------------------------------------------------------------------
    def checks(self, target, schema, result, allow_501: bool) -> list[str]:
        session = Session(target, result, "tenant_isolation", allow_501)
        skipped: list[str] = []
        orgs = self.orgs(target)
        if set(orgs) != set(TENANTS):
            session.fail("POST /org", "setup: the tenant orgs could not be created", None)
            return skipped
        projects = {tenant: self._new_project(session, tenant) for tenant in TENANTS}
        target.pins_of(self.name)["projectSlug"] = projects["a"]
        target.state_of(self.name)["projects"] = projects
        self._isolation(session, schema, projects)
        session.check = "role_authorization"
        missing = set(SEATED) - self.seated(target)
        if missing:
            skipped.append(f"roles {sorted(missing)} could not be seated (invitation tokens are only emailed)")
        self._roles(session, schema, projects)
        return skipped

    def _new_project(self, session: Session, tenant: str) -> str:
        slug = self.orgs(session.target)[tenant]
        response = session.call("POST /org/{slug}/projects", "POST", f"/api/org/{slug}/projects",
                                self.auth_for(session.target, tenant), {"name": f"iso-{tenant}"})
        if response.status_code == 201:
            project = response.json()["project"]["slug"]
            self._wait_provisioned(session, tenant, project)
            return project
        session.fail("POST /org/{slug}/projects", f"setup: tenant {tenant} could not create a project", response)
        return "missing-project"

    def _wait_provisioned(self, session: Session, tenant: str, project: str, seconds: float = 20) -> None:
        """Provisioning finishes in the background; snapshots compare settled state only."""
        path = f"/api/org/{self.orgs(session.target)[tenant]}/projects/{project}"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            session.client.cookies.clear()
            response = session.client.get(path, **self.auth_for(session.target, tenant))
            if response.status_code != 200 or response.json().get("project", {}).get("status") != "provisioning":
                return
            time.sleep(0.25)

    def _reads(self, target, tenant: str, project: str) -> list[tuple[str, dict]]:
        slug, auth = self.orgs(target)[tenant], self.auth_for(target, tenant)
        return [(f"/api/org/{slug}/overview", auth), (f"/api/org/{slug}/members", auth),
                (f"/api/org/{slug}/projects/{project}", auth), (f"/api/org/{slug}/api-keys", auth),
                (f"/api/org/{slug}/webhooks", auth)]

    def _isolation(self, session: Session, schema, projects: dict) -> None:
        target = session.target
        reads = self._reads(target, "b", projects["b"])
        before = snapshot(session, reads)
        callers = {"tenant A owner": self.auth_for(target, "a"), "outsider": self.auth_for(target, role="outsider")}
        for operation in operations(schema):
            if "{slug}" not in operation.path:
                continue
            path, body = request_for(operation, _path_parameters(operation, self.orgs(target)["b"], projects["b"]))
            session.expect_each(operation, path, body, callers, 404, "called it on tenant B's org")
        unchanged(session, "tenant B", "tenant B's org changed after other tenants' calls", before, reads)

    def _roles(self, session: Session, schema, projects: dict) -> None:
        target = session.target
        reads = self._reads(target, "a", projects["a"])
        before = snapshot(session, reads)
        for operation in operations(schema):
            minimum = MINIMUM_ROLE.get(operation.definition.raw.get("operationId", ""))
            if minimum is None or "{slug}" not in operation.path:
                continue
            below = [role for role in self.seated(target) if ROLE_RANK[role] < ROLE_RANK[minimum]]
            if not below:
                continue
            path, body = request_for(operation, _path_parameters(operation, self.orgs(target)["a"], projects["a"]))
            for role in below:
                response = session.call(operation.label, operation.method.upper(), path,
                                        self.auth_for(target, "a", role), body)
                if response.status_code != 403:
                    session.fail(operation.label, f"a {role} (needs {minimum}): "
                                 f"{response.status_code}, expected 403", response)
        unchanged(session, "role checks", "org state changed after calls that were refused", before, reads)


    def probe(self, session, schema):
        from handlers.backlex._conformance._probe import BacklexProbe

        return BacklexProbe(session, schema, self)


def _path_parameters(operation, slug: str, project: str) -> dict:
    values = {"slug": slug, "projectSlug": project, "id": FAKE_ID}
    return {name: value for name, value in values.items() if "{" + name + "}" in operation.path}


def _seat_directly(org: dict, email: str, role: str) -> None:
    """In-process only: the invitation token is only emailed, so the member is seated in the store."""
    from handlers.backlex.store import Member, User
    from spec_server import clock, db

    with db.database.connection_context():
        user = User.get(User.email == email)
        Member.create(org=org["id"], user=user, email=email, role=role, status="active",
                      created_at=clock.now_ms(), joined_at=clock.now_ms())


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


PLUGIN = BacklexPlugin()
