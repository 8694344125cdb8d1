"""Pathmode's plugin: tenants, credentials, narrowing, and the isolation, role and revocation checks.

Credentials contract (read from ``spec-server seed``'s output, never from fixed e-mail
addresses): two workspaces labelled ``"tenant": "a"`` and ``"b"`` (else the first two
workspaces), each with an ``owner`` member and an API key holding ``read`` and ``write``;
tenant A also with an ``admin``, an ``editor`` and a ``viewer`` member and a key holding only
``read`` (the role checks skip what is missing); optionally a workspace labelled ``"tenant":
"quota"`` on the free plan, with an owner and a read/write key, whose plan limits the
behaviour checks fill to their boundary (skipped without it). ``PLUGIN.seed`` is such a file.

Checks, on the pristine seed, before fuzzing:
* isolation: tenant B creates an intent; every operation with ``{id}`` is called by tenant A
  (key and session) with B's id: 403/404, never data, and B's intent reads the same after;
  A's list never shows B's intent; A cannot revoke B's key.
* roles: every ``write``/``admin`` operation (its ``x-scope``) answers 403 to a read-only key
  and to each session whose role lacks the scope, and changes nothing.
* revocation: a key stops working (401) once revoked.
"""

from __future__ import annotations

import copy

from conformance.plugin import ApiPlugin, Narrowing
from conformance.probes import DENIED, FAKE_ID, Session, operations, request_for, snapshot, unchanged
from handlers.pathmode._api import ROLE_SCOPES, SESSION_COOKIE

TENANTS = ("a", "b")
ROLES = ("owner", "admin", "editor", "viewer")
QUOTA_TENANT = "quota"  # a free-plan workspace the plan-limit checks fill (README plan limits)


def _workspace(tenant: str, plan: str, product: dict, rule: dict, roles, keys) -> dict:
    return {
        "tenant": tenant, "name": f"Conformance {tenant.capitalize()}", "urlKey": f"conf-{tenant}", "plan": plan,
        "members": [{"email": f"{role}@{tenant}.example", "role": role} for role in roles],
        "products": [product], "constitutionRules": [rule], "apiKeys": keys,
    }


SEED = {
    "users": [{"email": f"{role}@{tenant}.example"} for tenant in TENANTS for role in ROLES]
    + [{"email": "outsider@c.example"}, {"email": f"owner@{QUOTA_TENANT}.example"}],
    "workspaces": [
        dict(_workspace("a", "team", {"name": "Checkout", "slug": "checkout"},
                        {"category": "privacy", "text": "Never log raw PII.", "enforcement": "required"}, ROLES,
                        [{"name": "rw", "user": "owner@a.example", "scopes": ["read", "write"]},
                         {"name": "read", "user": "viewer@a.example", "scopes": ["read"]},
                         {"name": "revoked", "user": "owner@a.example", "scopes": ["read", "write"]}]),
             flags={"implementation_context_enabled": True},
             # a second product and rule, so the orders of products and rules can be seen
             products=[{"name": "Checkout", "slug": "checkout"}, {"name": "Search", "slug": "search"}],
             constitutionRules=[
                 {"category": "privacy", "text": "Never log raw PII.", "enforcement": "required"},
                 {"category": "ux", "text": "Keep forms short.", "enforcement": "advisory"}]),
        _workspace("b", "team", {"name": "Billing", "slug": "billing"},
                   {"category": "security", "text": "B's rule.", "enforcement": "required"}, ROLES,
                   [{"name": "rw", "user": "owner@b.example", "scopes": ["read", "write"]}]),
        _workspace(QUOTA_TENANT, "free", {"name": "Quota", "slug": "quota"},
                   {"category": "general", "text": "Quota rule.", "enforcement": "advisory"}, ("owner",),
                   [{"name": "rw", "user": f"owner@{QUOTA_TENANT}.example", "scopes": ["read", "write"]}]),
    ],
}

INTENT_BODIES = ("POST /intents", "GET /intents/{id}", "PATCH /intents/{id}", "PATCH /intents/{id}/status")


def _error_text(response) -> str:
    try:
        return str(response.json().get("error", ""))
    except Exception:  # noqa: BLE001 - not JSON: no error text
        return ""


def _narrowing() -> Narrowing:
    optional = {
        # docs/behaviour.md "Pathmode — workspace": "Products: ... falsy optional columns omitted"
        "GET /workspace": {f"$.products[].{key}" for key in (
            "description", "productVision", "northStar", "targetAudience", "manifest", "icon", "color",
            "isExample", "stages", "tags")}
        # "... Constitution rules: rationale/scope omitted when null, examples when not an array"
        | {"$.constitutionRules[].rationale", "$.constitutionRules[].scope", "$.constitutionRules[].examples"},
        "GET /workspace/constitution": {"$.rules[].rationale", "$.rules[].scope", "$.rules[].examples"},
        # the findings description: "target, correction, and source are echoed back only when supplied"
        "POST /intents/{id}/findings": {f"$.finding.{key}" for key in ("target", "correction", "source")},
        "GET /intents/{id}/findings": {f"$.findings[].{key}" for key in ("target", "correction", "source")},
        # the 200 description: "plus verificationChecklist + verificationChecklistCount for
        # shipped/verified transitions" (absent for the other transitions)
        "PATCH /intents/{id}/status": {"$.verificationChecklist", "$.verificationChecklistCount"},
    }
    nullable = {
        # a key never used has no last use: lastUsedAt is the key row's nullable last_used_at
        "GET /api-keys": {"$.keys[].lastUsedAt", "$.keys[].expiresAt"},
        # products created without a signed-in creator (seeded, examples) have no createdBy
        "GET /workspace": {"$.products[].createdBy"},
        # problemSeverity is a "Nullable severity enum" (PM-SCHEMA-CONFLICT-8); shippedAt and
        # verifiedAt are set by the shipped/verified transitions, null before them
        **{label: {"$.problemSeverity", "$.shippedAt", "$.verifiedAt"} for label in INTENT_BODIES},
        "GET /intents": {"$.intents[].problemSeverity", "$.intents[].shippedAt", "$.intents[].verifiedAt"},
    }
    answers = [
        # docs/behaviour.md "Both APIs": a path whose id holds a line break is not routed
        # ("Unknown path 404"), even where the operation documents no 404 (GET outcomes: 200,
        # 401, 500); the stateful phase sends such ids when a link finds no value to follow.
        # The handler itself never answers "Not found" (an unknown intent is 200 [])
        ("GET /intents/{id}/outcomes", "status_code_conformance",
         lambda case, response: response.status_code == 404 and _error_text(response) == "Not found"),
        # docs/behaviour.md "Pathmode — corrections": PATCH intents requires at least one updatable
        # field; {} (or only unknown fields) is 400 "At least one field must be provided to update"
        ("PATCH /intents/{id}", "positive_data_acceptance",
         lambda case, response: response.status_code == 400
         and _error_text(response).startswith("At least one field must be provided")),
        # docs/behaviour.md "Pathmode — readiness": an intent that is not ready is 422 (documented)
        ("GET /intents/{id}/prompt", "positive_data_acceptance", lambda case, response: response.status_code == 422),
        ("GET /export", "positive_data_acceptance", lambda case, response: response.status_code == 422),
        # docs/behaviour.md "Pathmode — analyze-codebase": "400 no repository bound" (in-process the
        # suite binds a sample repository to tenant A; a remote deployment may bind none)
        ("POST /intents/{id}/analyze-codebase", "positive_data_acceptance",
         lambda case, response: response.status_code == 400 and "repository" in _error_text(response).lower()),
    ]
    return Narrowing(documented_answers=answers, example_optional=optional, example_nullable=nullable)


class PathmodePlugin(ApiPlugin):
    name = "pathmode"
    seed = SEED
    narrowing = _narrowing()

    # --- the credentials contract -----------------------------------------------------
    def workspace(self, target, tenant: str) -> dict:
        found = target.state_of(self.name).get("workspaces")
        if found is None:
            found = target.state_of(self.name)["workspaces"] = _tenant_workspaces(target.of(self.name))
        return found[tenant]

    def key(self, target, tenant: str, scopes: frozenset[str]) -> str | None:
        """A key of the tenant's workspace with exactly these scopes."""
        workspace = self.workspace(target, tenant)
        return next((secret for name, secret in workspace["apiKeys"].items()
                     if frozenset(workspace.get("keyScopes", {}).get(name, ())) == scopes), None)

    def session(self, target, tenant: str, role: str) -> str | None:
        workspace = self.workspace(target, tenant)
        email = next((email for email, held in workspace.get("members", {}).items() if held == role), None)
        user = target.of(self.name).get("users", {}).get(email or "")
        return user["sessionToken"] if user else None

    def has_tenant(self, target, tenant: str) -> bool:
        if target.state_of(self.name).get("workspaces") is None:
            target.state_of(self.name)["workspaces"] = _tenant_workspaces(target.of(self.name))
        return tenant in target.state_of(self.name)["workspaces"]

    def auth_for(self, target, tenant: str = "a", *, via: str = "key", role: str = "owner") -> dict:
        """httpx request kwargs authenticating as a caller of ``tenant``."""
        if via == "key":
            return {"headers": {"Authorization": f"Bearer {self.key(target, tenant, READ_WRITE)}"}}
        return {"cookies": {SESSION_COOKIE: self.session(target, tenant, role)},
                "params": {"workspace_id": self.workspace(target, tenant)["id"]}}

    def missing(self, credentials: dict) -> list[str]:
        part = credentials.get(self.name)
        if not part:
            return [f"{self.name}: the credentials have no \"{self.name}\" part: seed the suite's seed file "
                    f"(`spec-server conformance --print-seed`)"]
        workspaces = _tenant_workspaces(part)
        lines = []
        for tenant in TENANTS:
            workspace = workspaces.get(tenant)
            if workspace is None:
                lines.append(f"{self.name}: no workspace for tenant {tenant!r}: seed two workspaces labelled "
                             f'"tenant": "a" and "tenant": "b"')
                continue
            if "owner" not in workspace.get("members", {}).values():
                lines.append(f"{self.name}: tenant {tenant!r} ({workspace['urlKey']}) has no owner member: seed one")
            elif not any(email in part.get("users", {}) for email, role in workspace["members"].items()
                         if role == "owner"):
                lines.append(f"{self.name}: tenant {tenant!r}'s owner has no session in the credentials: "
                             f"seed the user too")
            scopes = [frozenset(s) for s in workspace.get("keyScopes", {}).values()]
            if READ_WRITE not in scopes:
                lines.append(f"{self.name}: tenant {tenant!r} ({workspace['urlKey']}) has no API key with "
                             f'"scopes": ["read", "write"]: seed one')
        return lines

    # --- passes -------------------------------------------------------------------------
    def passes(self) -> tuple[str, ...]:
        return ("bearerAuth", "sessionCookie")

    def auth(self, target, scheme: str) -> dict:
        auth = {"sessionCookie": {"api_key": self.session(target, "a", "owner")}}  # cookie-only ops: every pass
        if scheme == "bearerAuth":
            auth["bearerAuth"] = {"bearer": self.key(target, "a", READ_WRITE)}
        return auth

    def parameters(self, target) -> dict:
        # a cookie session names its workspace in the query (docs/behaviour.md, Pathmode security)
        return {"query.workspace_id": self.workspace(target, "a")["id"]}

    # --- checks -------------------------------------------------------------------------
    def checks(self, target, schema, result, allow_501: bool) -> list[str]:
        session = Session(target, result, "tenant_isolation", allow_501)
        self._isolation(session, schema)
        self._foreign_key(session)
        session.check = "role_authorization"
        skipped = self._roles(session, schema)
        session.check = "key_revocation"
        self._revocation(session)
        return skipped

    def _new_intent(self, session: Session, tenant: str) -> str | None:
        product = next(iter(self.workspace(session.target, tenant)["products"].values()))
        body = {"title": f"Isolation probe {tenant}", "objective": "Prove tenants are isolated",
                "productId": product, "outcomes": ["Nothing leaks"]}
        response = session.call("POST /intents", "POST", "/api/v1/intents", self.auth_for(session.target, tenant), body)
        if response.status_code != 201:
            session.fail("POST /intents", f"setup: tenant {tenant} could not create an intent", response)
            return None
        return response.json()["id"]

    def _isolation(self, session: Session, schema) -> None:
        target = session.target
        b_intent = self._new_intent(session, "b")
        if not b_intent:
            return
        reads = [(f"/api/v1/intents/{b_intent}", self.auth_for(target, "b")),
                 (f"/api/v1/intents/{b_intent}/notes", self.auth_for(target, "b"))]
        before = snapshot(session, reads)
        for operation in operations(schema):
            if "{id}" not in operation.path:
                continue
            path, body = request_for(operation, {"id": b_intent})
            cookie_only = operation.definition.raw.get("x-auth") == "cookie-session-only"
            callers = {"tenant A session": self.auth_for(target, "a", via="session")}
            if not cookie_only:
                callers["tenant A key"] = self.auth_for(target, "a")
            for who, auth in callers.items():
                response = session.call(operation.label, operation.method.upper(), path, auth, body)
                if response.status_code in DENIED or _same_as_unknown_id(session, operation, auth, body,
                                                                         response, b_intent):
                    continue
                session.fail(operation.label, f"{who} called it with tenant B's intent id: "
                             f"{response.status_code}, expected 403/404", response)
        listing = session.call("GET /intents", "GET", "/api/v1/intents", self.auth_for(target, "a"))
        if b_intent in listing.text:
            session.fail("GET /intents", "tenant A's list shows tenant B's intent", listing)
        unchanged(session, "GET /intents/{id}", "tenant B's intent changed after tenant A's calls", before, reads)

    def _roles(self, session: Session, schema) -> list[str]:
        target = session.target
        a_intent = self._new_intent(session, "a")
        if not a_intent:
            return []
        target.pins_of(self.name).update(id=a_intent, body={"productId": next(iter(
            self.workspace(target, "a")["products"].values()))})
        reads = [(f"/api/v1/intents/{a_intent}", self.auth_for(target, "a")),
                 ("/api/v1/intents", self.auth_for(target, "a")),
                 ("/api/v1/evidence", self.auth_for(target, "a"))]
        before = snapshot(session, reads)
        read_key = self.key(target, "a", frozenset({"read"}))
        skipped = [] if read_key else ["pathmode roles: tenant A has no read-only key (\"scopes\": [\"read\"])"]
        sessions = {role: self.session(target, "a", role) for role in ROLES}
        skipped += [f"pathmode roles: tenant A has no {role} member" for role, token in sessions.items() if not token]
        for operation in operations(schema):
            raw = operation.definition.raw
            scope = raw.get("x-scope")
            if raw.get("x-auth") == "cookie-session-only" or scope not in ("write", "admin"):
                continue
            path, body = request_for(operation, {"id": a_intent} if "{id}" in operation.path else {})
            callers = {"read-only key": {"headers": {"Authorization": f"Bearer {read_key}"}}} if read_key else {}
            for role, token in sessions.items():
                if token and scope not in ROLE_SCOPES[role]:
                    callers[f"{role} session"] = self.auth_for(target, "a", via="session", role=role)
            session.expect_each(operation, path, body, callers, 403, f"lacks the '{scope}' scope")
        unchanged(session, "role checks", "workspace state changed after calls that were refused", before, reads)
        return skipped

    def _foreign_key(self, session: Session) -> None:
        """Tenant A's owner cannot revoke tenant B's key (the id travels in the body). The
        document has no 404 here (the delete is "scoped to the authenticated user"), so the
        proof is that B's key still works afterwards."""
        target = session.target
        listed = session.call("GET /api-keys", "GET", "/api/v1/api-keys",
                              {"cookies": {SESSION_COOKIE: self.session(target, "b", "owner")}})
        keys = listed.json().get("keys", []) if listed.status_code == 200 else []
        if not keys:
            session.fail("GET /api-keys", "setup: tenant B's owner lists no keys", listed)
            return
        for key in keys:
            session.call("DELETE /api-keys", "DELETE", "/api/v1/api-keys",
                         {"cookies": {SESSION_COOKIE: self.session(target, "a", "owner")}}, {"keyId": key["id"]})
        still = session.call("GET /workspace", "GET", "/api/v1/workspace", self.auth_for(target, "b"))
        if still.status_code != 200:
            session.fail("GET /workspace", "tenant B's key stopped working after tenant A's calls", still)

    def _revocation(self, session: Session) -> None:
        target = session.target
        owner = {"cookies": {SESSION_COOKIE: self.session(target, "a", "owner")}}
        created = session.call("POST /api-keys", "POST", "/api/v1/api-keys", owner,
                               {"name": "revocation probe", "workspaceId": self.workspace(target, "a")["id"]})
        if created.status_code != 201:
            session.fail("POST /api-keys", "setup: could not create a key to revoke", created)
            return
        key = {"headers": {"Authorization": f"Bearer {created.json()['key']}"}}
        works = session.call("GET /workspace", "GET", "/api/v1/workspace", key)
        if works.status_code != 200:
            session.fail("GET /workspace", "a fresh key does not work", works)
            return
        revoked = session.call("DELETE /api-keys", "DELETE", "/api/v1/api-keys", owner,
                               {"keyId": created.json()["id"]})
        if revoked.status_code != 200:
            session.fail("DELETE /api-keys", "could not revoke the key", revoked)
            return
        after = session.call("GET /workspace", "GET", "/api/v1/workspace", key)
        if after.status_code != 401:
            session.fail("GET /workspace", f"a revoked key still answers {after.status_code}, expected 401", after)

    def probe(self, session, schema):
        from handlers.pathmode._conformance._probe import PathmodeProbe

        return PathmodeProbe(session, schema, self)

    # --- in-process runs ----------------------------------------------------------------
    def inprocess_seed(self) -> dict:
        """In-process, tenant A's workspace binds a sample repository so analyze-codebase
        streams for real (a remote deployment binds its own, or answers 400)."""
        from conformance.inprocess import sample_repository

        seed = copy.deepcopy(self.seed)
        seed["workspaces"][0]["repository"] = sample_repository()
        return seed


READ_WRITE = frozenset({"read", "write"})


def _tenant_workspaces(part: dict) -> dict[str, dict]:
    """Tenant label -> the seeded workspace (with its urlKey), labelled or in seed order."""
    workspaces = [dict(value, urlKey=url_key) for url_key, value in part.get("workspaces", {}).items()]
    labelled = {w["tenant"]: w for w in workspaces if "tenant" in w}
    if labelled:
        return labelled
    return dict(zip(TENANTS, workspaces, strict=False))


def _same_as_unknown_id(session: Session, operation, auth, body, response, foreign_id: str) -> bool:
    """An operation documenting no 403/404 (GET outcomes: 200, 401, 500) may answer a foreign
    id exactly as it answers an id that exists nowhere: that reveals nothing."""
    documented = operation.definition.raw.get("responses", {})
    if "403" in documented or "404" in documented:
        return False
    path = operation.schema.base_path.rstrip("/") + operation.path.replace("{id}", FAKE_ID)
    unknown = session.call(operation.label, operation.method.upper(), path, auth, body)
    return (unknown.status_code == response.status_code
            and unknown.text.replace(FAKE_ID, "<id>") == response.text.replace(foreign_id, "<id>"))


PLUGIN = PathmodePlugin()
