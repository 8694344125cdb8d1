"""Tenant isolation, per-role authorization and key revocation, checked over HTTP.

* Isolation: tenant B creates resources; every operation with an id in its path is called
  by tenant A (and by an outsider) with B's ids and a schema-valid body. The answer is 403
  or 404, never data, and B's resources read the same afterwards.
* Roles: every operation a role may not perform (backlex ``_permissions.MINIMUM_ROLE``;
  Pathmode ``x-scope`` against the role's scopes and a read-only key) answers 403 and
  changes nothing (the tenant's state reads the same before and after).
* Revocation: a Pathmode API key stops working (401) once ``DELETE /api-keys`` revoked it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from conformance.runner import ApiResult, Failure
from conformance.strategies import valid_case
from conformance.target import BX_ROLES, Target

DENIED = (403, 404)
FAKE_ID = "00000000-0000-4000-8000-000000000000"
PM_SCOPES = {"owner": {"read", "write", "admin"}, "admin": {"read", "write", "admin"},
             "editor": {"read", "write"}, "viewer": {"read"}}


def _curl(method: str, url: str, kwargs: dict) -> str:
    parts = [f"curl -X {method} '{url}'"]
    for name, value in kwargs.get("headers", {}).items():
        parts.append(f"-H '{name}: {value}'")
    if kwargs.get("cookies"):
        parts.append("-b '" + "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items()) + "'")
    if "json" in kwargs:
        parts.append(f"-H 'Content-Type: application/json' -d '{json.dumps(kwargs['json'])}'")
    return " ".join(parts)


class Session:
    """An httpx client that records statuses per operation label and failures."""

    def __init__(self, target: Target, result: ApiResult, check: str):
        self.target, self.result, self.check = target, result, check
        self.client = target.client()
        self.base = target.base_url or "http://127.0.0.1:8000"

    def call(self, label: str, method: str, path: str, auth: dict, body=None):
        kwargs = {key: dict(value) for key, value in auth.items()}
        if body is not None:
            kwargs["json"] = body
        self.client.cookies.clear()
        response = self.client.request(method, path, **kwargs)
        self.result.observed[label][response.status_code] += 1
        if response.status_code == 501:
            self.result.not_implemented.add(label)
        response.curl = _curl(method, self.base + path + _query(kwargs), kwargs)
        return response

    def fail(self, label: str, title: str, response) -> None:
        if response is not None and response.status_code == 501 and self._allow_501:
            return
        self.result.failures.append(Failure(
            operation=label, check=self.check, title=title,
            message=(response.text[:500] if response is not None else ""),
            curl=getattr(response, "curl", ""), status=getattr(response, "status_code", None)))

    _allow_501 = False


def _query(kwargs: dict) -> str:
    params = kwargs.get("params")
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


def _operations(schema):
    for found in schema.get_all_operations():
        yield found.ok()


def _request(operation, path_parameters: dict, query: dict | None = None):
    """Path and a schema-valid body for ``operation`` with the given ids."""
    fixed = {"path_parameters": path_parameters} if path_parameters else {}
    case = valid_case(operation, **fixed)
    body = None if type(case.body).__name__ == "NotSet" else case.body
    path = operation.schema.base_path.rstrip("/") + case.formatted_path
    return path, body


def _snapshot(session: Session, reads: list[tuple[str, dict]]) -> list:
    state = []
    for path, auth in reads:
        session.client.cookies.clear()
        response = session.client.request("GET", path, **auth)
        state.append((path, response.status_code, _stable(response.text)))
    return state


def _compare(session: Session, label: str, title: str, before: list, reads: list) -> None:
    after = _snapshot(session, reads)
    changed = [f"GET {old[0]}: {old[1]} {old[2][:300]}\n  now {new[1]} {new[2][:300]}"
               for old, new in zip(before, after, strict=True) if old != new]
    if changed:
        session.result.failures.append(Failure(operation=label, check=session.check, title=title,
                                               message="\n".join(changed), curl="", status=None))


def _stable(text: str) -> str:
    """A body with its read-tracking timestamps removed (reading may refresh lastUsedAt)."""
    return re.sub(r'"(lastUsedAt|lastSeenAt|readAt)":("[^"]*"|null|\d+)', "", text)


# --- Pathmode ----------------------------------------------------------------------------


def pathmode(target: Target, schema, result: ApiResult, allow_501: bool) -> None:
    session = Session(target, result, "tenant_isolation")
    session._allow_501 = allow_501
    _pathmode_isolation(session, schema)
    _pathmode_foreign_key(session)
    session.check = "role_authorization"
    _pathmode_roles(session, schema)
    session.check = "key_revocation"
    _pathmode_revocation(session)


def _new_intent(session: Session, tenant: str) -> str | None:
    product = next(iter(session.target.pm_workspace(tenant)["products"].values()))
    body = {"title": f"Isolation probe {tenant}", "objective": "Prove tenants are isolated",
            "productId": product, "outcomes": ["Nothing leaks"]}
    response = session.call("POST /intents", "POST", "/api/v1/intents", session.target.pm_auth(tenant), body)
    if response.status_code != 201:
        session.fail("POST /intents", f"setup: tenant {tenant} could not create an intent", response)
        return None
    return response.json()["id"]


def _pathmode_isolation(session: Session, schema) -> None:
    target = session.target
    b_intent = _new_intent(session, "b")
    if not b_intent:
        return
    reads = [(f"/api/v1/intents/{b_intent}", target.pm_auth("b")),
             (f"/api/v1/intents/{b_intent}/notes", target.pm_auth("b"))]
    before = _snapshot(session, reads)
    for operation in _operations(schema):
        if "{id}" not in operation.path:
            continue
        path, body = _request(operation, {"id": b_intent})
        cookie_only = operation.definition.raw.get("x-auth") == "cookie-session-only"
        callers = {"tenant A session": target.pm_auth("a", via="session")}
        if not cookie_only:
            callers["tenant A key"] = target.pm_auth("a")
        for who, auth in callers.items():
            response = session.call(operation.label, operation.method.upper(), path, auth, body)
            if response.status_code in DENIED or _same_as_unknown_id(session, operation, auth, body,
                                                                     response, b_intent):
                continue
            session.fail(operation.label, f"{who} called it with tenant B's intent id: "
                         f"{response.status_code}, expected 403/404", response)
    listing = session.call("GET /intents", "GET", "/api/v1/intents", target.pm_auth("a"))
    if b_intent in listing.text:
        session.fail("GET /intents", "tenant A's list shows tenant B's intent", listing)
    _compare(session, "GET /intents/{id}", "tenant B's intent changed after tenant A's calls", before, reads)


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


def _pathmode_roles(session: Session, schema) -> None:
    target = session.target
    a_intent = _new_intent(session, "a")
    if not a_intent:
        return
    target.pins["pathmode"].update(id=a_intent, body={"productId": next(iter(
        target.pm_workspace("a")["products"].values()))})
    reads = [(f"/api/v1/intents/{a_intent}", target.pm_auth("a")), ("/api/v1/intents", target.pm_auth("a")),
             ("/api/v1/evidence", target.pm_auth("a"))]
    before = _snapshot(session, reads)
    read_key = {"headers": {"Authorization": f"Bearer {target.pm_key('a', 'read')}"}}
    for operation in _operations(schema):
        raw = operation.definition.raw
        scope = raw.get("x-scope")
        if raw.get("x-auth") == "cookie-session-only" or scope not in ("write", "admin"):
            continue
        path, body = _request(operation, {"id": a_intent} if "{id}" in operation.path else {})
        callers = {"read-only key": read_key}
        for role, scopes in PM_SCOPES.items():
            if scope not in scopes:
                callers[f"{role} session"] = target.pm_auth("a", via="session", role=role)
        for who, auth in callers.items():
            response = session.call(operation.label, operation.method.upper(), path, auth, body)
            if response.status_code != 403:
                session.fail(operation.label, f"{who} lacks the '{scope}' scope: "
                             f"{response.status_code}, expected 403", response)
    _compare(session, "role checks", "workspace state changed after calls that were refused", before, reads)


def _pathmode_foreign_key(session: Session) -> None:
    """Tenant A's owner cannot revoke tenant B's key (the id travels in the body). The document
    has no 404 here (the delete is "scoped to the authenticated user"), so the proof is that
    B's key still works afterwards."""
    target = session.target
    listed = session.call("GET /api-keys", "GET", "/api/v1/api-keys",
                          {"cookies": {"sb-access-token": target.pm_session("owner@b.example")}})
    keys = listed.json().get("keys", []) if listed.status_code == 200 else []
    if not keys:
        session.fail("GET /api-keys", "setup: tenant B's owner lists no keys", listed)
        return
    for key in keys:
        session.call("DELETE /api-keys", "DELETE", "/api/v1/api-keys",
                     {"cookies": {"sb-access-token": target.pm_session("owner@a.example")}}, {"keyId": key["id"]})
    still = session.call("GET /workspace", "GET", "/api/v1/workspace", target.pm_auth("b"))
    if still.status_code != 200:
        session.fail("GET /workspace", "tenant B's key stopped working after tenant A's calls", still)


def _pathmode_revocation(session: Session) -> None:
    target = session.target
    owner = {"cookies": {"sb-access-token": target.pm_session("owner@a.example")}}
    created = session.call("POST /api-keys", "POST", "/api/v1/api-keys", owner,
                           {"name": "revocation probe", "workspaceId": target.pm_workspace("a")["id"]})
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


# --- backlex -----------------------------------------------------------------------------


def backlex(target: Target, schema, result: ApiResult, allow_501: bool,
            minimum_role: Callable[[str], str | None]) -> list[str]:
    """Returns the reasons of checks that could not run (e.g. roles not seated remotely)."""
    session = Session(target, result, "tenant_isolation")
    session._allow_501 = allow_501
    skipped: list[str] = []
    if set(target.orgs) != {"a", "b"}:
        session.fail("POST /org", "setup: the tenant orgs could not be created", None)
        return skipped
    projects = {tenant: _new_project(session, tenant) for tenant in ("a", "b")}
    target.pins["backlex"]["projectSlug"] = projects["a"]
    _backlex_isolation(session, schema, projects)
    session.check = "role_authorization"
    missing = set(BX_ROLES[1:]) - target.seated_roles
    if missing:
        skipped.append(f"roles {sorted(missing)} could not be seated (invitation tokens are only emailed)")
    _backlex_roles(session, schema, projects, minimum_role)
    return skipped


def _new_project(session: Session, tenant: str) -> str:
    slug = session.target.orgs[tenant]
    response = session.call("POST /org/{slug}/projects", "POST", f"/api/org/{slug}/projects",
                            session.target.bx_auth(tenant), {"name": f"iso-{tenant}"})
    if response.status_code == 201:
        project = response.json()["project"]["slug"]
        _wait_provisioned(session, tenant, project)
        return project
    session.fail("POST /org/{slug}/projects", f"setup: tenant {tenant} could not create a project", response)
    return "missing-project"


def _wait_provisioned(session: Session, tenant: str, project: str, seconds: float = 20) -> None:
    """Provisioning finishes in the background; snapshots compare settled state only."""
    path = f"/api/org/{session.target.orgs[tenant]}/projects/{project}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        session.client.cookies.clear()
        response = session.client.get(path, **session.target.bx_auth(tenant))
        if response.status_code != 200 or response.json().get("project", {}).get("status") != "provisioning":
            return
        time.sleep(0.25)


def _bx_reads(target: Target, tenant: str, project: str) -> list[tuple[str, dict]]:
    slug, auth = target.orgs[tenant], target.bx_auth(tenant)
    return [(f"/api/org/{slug}/overview", auth), (f"/api/org/{slug}/members", auth),
            (f"/api/org/{slug}/projects/{project}", auth), (f"/api/org/{slug}/api-keys", auth),
            (f"/api/org/{slug}/webhooks", auth)]


def _bx_path_parameters(operation, slug: str, project: str) -> dict:
    values = {"slug": slug, "projectSlug": project, "id": FAKE_ID}
    return {name: value for name, value in values.items() if "{" + name + "}" in operation.path}


def _backlex_isolation(session: Session, schema, projects: dict) -> None:
    target = session.target
    reads = _bx_reads(target, "b", projects["b"])
    before = _snapshot(session, reads)
    for operation in _operations(schema):
        if "{slug}" not in operation.path:
            continue
        path, body = _request(operation, _bx_path_parameters(operation, target.orgs["b"], projects["b"]))
        for who, auth in {"tenant A owner": target.bx_auth("a"), "outsider": target.bx_auth("c")}.items():
            response = session.call(operation.label, operation.method.upper(), path, auth, body)
            if response.status_code != 404:
                session.fail(operation.label, f"{who} called it on tenant B's org: "
                             f"{response.status_code}, expected 404", response)
    _compare(session, "tenant B", "tenant B's org changed after other tenants' calls", before, reads)


def _backlex_roles(session: Session, schema, projects: dict, minimum_role) -> None:
    target = session.target
    reads = _bx_reads(target, "a", projects["a"])
    before = _snapshot(session, reads)
    rank = {role: index for index, role in enumerate(reversed(BX_ROLES))}  # viewer 0 .. owner 3
    for operation in _operations(schema):
        minimum = minimum_role(operation.definition.raw.get("operationId", ""))
        if minimum is None or "{slug}" not in operation.path:
            continue
        below = [role for role in target.seated_roles if rank[role] < rank[minimum]]
        if not below:
            continue
        path, body = _request(operation, _bx_path_parameters(operation, target.orgs["a"], projects["a"]))
        for role in below:
            response = session.call(operation.label, operation.method.upper(), path,
                                    target.bx_auth("a", role), body)
            if response.status_code != 403:
                session.fail(operation.label, f"a {role} (needs {minimum}): "
                             f"{response.status_code}, expected 403", response)
    _compare(session, "role checks", "org state changed after calls that were refused", before, reads)
