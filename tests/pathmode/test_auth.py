"""Pathmode authentication and scopes, operation by operation (PM-AUTH-*).

Every api-key-or-cookie operation is called through one table, so each clause is checked
against all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from handlers.pathmode.store import ApiKey, Evidence, Finding, Intent, Note, Session
from spec_server import clock, credentials
from spec_server.db import database
from tests.pathmode._part1 import bearer, product_of, random_id
from tests.support import new_intent


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # {id}: an intent of workspace A
    scope: str
    body: dict | None = None
    workspace_param: bool = True  # takes ?workspace_id= (every api-key-or-cookie operation)

    def __str__(self):
        return f"{self.method} {self.path}"


KEY_OR_COOKIE = [
    Op("GET", "/intents", "read"),
    Op("POST", "/intents", "write", {"title": "t", "objective": "o", "productId": "{product}"}),
    Op("GET", "/intents/{id}", "read"),
    Op("PATCH", "/intents/{id}", "write", {"title": "renamed"}),
    Op("PATCH", "/intents/{id}/status", "write", {"status": "validated"}),
    Op("POST", "/intents/{id}/notes", "write", {"note": "n"}),
    Op("GET", "/intents/{id}/notes", "read"),
    Op("POST", "/intents/{id}/findings", "write", {"assumption": "a", "finding": "f"}),
    Op("GET", "/intents/{id}/findings", "read"),
    Op("POST", "/intents/{id}/evidence", "write", {"link": ["{random}"]}),
    Op("POST", "/intents/{id}/verify", "write", {"summary": "Built it"}),
    Op("GET", "/intents/{id}/prompt", "read"),
    Op("POST", "/intents/{id}/share", "write"),
    Op("DELETE", "/intents/{id}/share", "write"),
    Op("GET", "/evidence", "read"),
    Op("POST", "/evidence", "write", {"content": "c", "type": "quote", "productId": "{product}"}),
    Op("GET", "/workspace", "read"),
    Op("GET", "/workspace/constitution", "read"),
    Op("GET", "/export", "read"),
]
COOKIE_ONLY = [
    Op("GET", "/intents/{id}/outcomes", "none", workspace_param=False),
    Op("POST", "/intents/{id}/outcomes", "none", {"outcomeIndex": 0, "outcomeText": "t", "actualValue": "1"},
       workspace_param=False),
    Op("POST", "/intents/{id}/analyze-codebase", "none", workspace_param=False),
    Op("GET", "/api-keys", "none", workspace_param=False),
    Op("POST", "/api-keys", "none", {"name": "k", "workspaceId": "{workspace}"}, workspace_param=False),
    Op("DELETE", "/api-keys", "none", {"keyId": "{random}"}, workspace_param=False),
]
READS = [op for op in KEY_OR_COOKIE if op.scope == "read"]
WRITES = [op for op in KEY_OR_COOKIE if op.scope == "write"]


@pytest.fixture
def world(client, tenants):
    """An intent of workspace A and a caller that fills an operation's placeholders."""
    intent = new_intent(client, tenants)
    values = {"id": intent["id"], "product": product_of(tenants, "ws-a"), "workspace": tenants.pm_workspace_id()}

    def fill(value):
        if isinstance(value, str):
            return value.replace("{random}", random_id()).format(**values) if "{" in value else value
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    def call(op: Op, *, headers=None, cookies=None, params=None):
        return client.request(op.method, "/api/v1" + fill(op.path), json=fill(op.body), headers=headers,
                              cookies=cookies, params=params)

    return call


def statuses(world, ops, **kwargs) -> dict[str, int]:
    return {str(op): world(op, **kwargs).status_code for op in ops}


def stored_counts() -> tuple:
    with database.connection_context():
        return tuple(model.select().count() for model in (Intent, Note, Finding, Evidence, ApiKey))


def test_bearer_key_accepted(world, tenants):
    """PM-AUTH-1: "api-key-or-cookie" — a valid Bearer key alone is never 401."""
    found = statuses(world, KEY_OR_COOKIE, headers=tenants.pm_headers())
    assert 401 not in found.values(), found


@pytest.mark.parametrize("token", ["{hex}", "sk_live_{hex}", "PM_LIVE_{hex}", "pm_live_{hex}x"])
def test_token_without_pm_live_prefix_401(world, tenants, token):
    """PM-AUTH-2: "API key as a Bearer token, prefixed with pm_live_." """
    real = tenants.pm_key()
    headers = bearer(token.format(hex=real[len("pm_live_"):]))
    found = statuses(world, KEY_OR_COOKIE, headers=headers)
    assert set(found.values()) == {401}, found


def test_unknown_key_401(world, tenants):
    """PM-AUTH-3: "Invalid/expired API key" — well-formed but unknown."""
    found = statuses(world, KEY_OR_COOKIE, headers=bearer("pm_live_" + "ab" * 32))
    assert set(found.values()) == {401}, found


def test_expired_key_401(world, tenants):
    """PM-AUTH-4: "Invalid/expired API key" — accepted before expiry, 401 after."""
    key = tenants.pm_key()
    with database.connection_context():
        ApiKey.update(expires_at=clock.now_ms() + 60_000).where(ApiKey.key_digest == credentials.digest(key)).execute()
    before = statuses(world, READS, headers=bearer(key))
    assert 401 not in before.values(), before
    clock.advance(61)
    after = statuses(world, KEY_OR_COOKIE, headers=bearer(key))
    assert set(after.values()) == {401}, after


def test_no_credentials_401(world, tenants):
    """PM-AUTH-5: "no Bearer key and no valid session cookie" — absent, garbage or expired cookie."""
    ops = KEY_OR_COOKIE + COOKIE_ONLY
    params = {"workspace_id": tenants.pm_workspace_id()}
    assert set(statuses(world, ops, params=params).values()) == {401}
    assert set(statuses(world, ops, params=params, cookies={"sb-access-token": "garbage"}).values()) == {401}
    with database.connection_context():
        Session.update(expires_at=clock.now_ms() - 1).execute()
    assert set(statuses(world, ops, params=params, cookies=tenants.pm_session()).values()) == {401}


def test_cookie_with_workspace_id_works(world, tenants, client):
    """PM-AUTH-6: "api-key-or-cookie" — a member's cookie plus ?workspace_id acts on that workspace."""
    params = {"workspace_id": tenants.pm_workspace_id()}
    found = statuses(world, KEY_OR_COOKIE, cookies=tenants.pm_session(), params=params)
    assert not {401, 400, 403} & set(found.values()), found
    listed = client.get("/api/v1/evidence", params=params, cookies=tenants.pm_session()).json()["evidence"]
    assert listed and all(item["workspaceId"] == tenants.pm_workspace_id() for item in listed)


def test_cookie_without_workspace_id_400(world, tenants):
    """PM-AUTH-7: "Required ONLY when authenticating via session cookie (no pm_live_ Bearer)." """
    before = stored_counts()
    found = statuses(world, KEY_OR_COOKIE, cookies=tenants.pm_session())
    assert set(found.values()) == {400}, found
    assert stored_counts() == before


def test_cookie_non_member_403(world, tenants):
    """PM-AUTH-8: "cookie auth not a member of the workspace" — 403, nothing read or written."""
    before = stored_counts()
    found = statuses(world, KEY_OR_COOKIE, cookies=tenants.pm_session("owner@b.example"),
                     params={"workspace_id": tenants.pm_workspace_id()})
    assert set(found.values()) == {403}, found
    assert stored_counts() == before


def test_key_ignores_workspace_id(world, tenants, client):
    """PM-AUTH-9: "ignored for API-key auth (key carries its own workspace)" """
    with_b = statuses(world, READS, headers=tenants.pm_headers(), params={"workspace_id": tenants.pm_workspace_id("ws-b")})
    without = statuses(world, READS, headers=tenants.pm_headers())
    assert with_b == without and not {400, 403} & set(with_b.values()), with_b
    listed = client.get("/api/v1/intents", params={"workspace_id": tenants.pm_workspace_id("ws-b")},
                        headers=tenants.pm_headers()).json()["intents"]
    assert listed and all(i["workspaceId"] == tenants.pm_workspace_id() for i in listed)


def test_bearer_wins_over_cookie(world, tenants, client):
    """PM-AUTH-10: "Required ONLY when authenticating via session cookie (no pm_live_ Bearer)." —
    a Bearer key of A plus a cookie (of B's owner), no ?workspace_id: succeeds on A."""
    found = statuses(world, KEY_OR_COOKIE, headers=tenants.pm_headers(), cookies=tenants.pm_session("owner@b.example"))
    assert not {400, 401, 403} & set(found.values()), found
    listed = client.get("/api/v1/intents", headers=tenants.pm_headers(),
                        cookies=tenants.pm_session("owner@b.example")).json()["intents"]
    assert all(i["workspaceId"] == tenants.pm_workspace_id() for i in listed)


def test_cookie_only_ignores_authorization(world, tenants):
    """PM-AUTH-11: "never inspects Authorization header" """
    ops = [op for op in COOKIE_ONLY if "analyze" not in op.path]
    plain = statuses(world, ops, cookies=tenants.pm_session())
    with_garbage = statuses(world, ops, cookies=tenants.pm_session(), headers=bearer("garbage"))
    assert 401 not in with_garbage.values() and with_garbage.keys() == plain.keys(), with_garbage
    assert with_garbage["GET /api-keys"] == plain["GET /api-keys"] == 200


def test_cookie_only_rejects_bearer(world, tenants):
    """PM-AUTH-12: "cookie-session-only" — a Bearer key (any scopes) alone is 401."""
    before = stored_counts()
    for name in ("rw", "admin"):
        found = statuses(world, COOKIE_ONLY, headers=tenants.pm_headers(name=name))
        assert set(found.values()) == {401}, found
    assert stored_counts() == before


def test_read_scope(world, tenants):
    """PM-AUTH-13: "read" — a key without 'read' gets 403 on every read operation; with it, not."""
    assert set(statuses(world, READS, headers=tenants.pm_headers(name="write")).values()) == {403}
    assert 403 not in statuses(world, READS, headers=tenants.pm_headers(name="read")).values()


def test_write_scope(world, tenants):
    """PM-AUTH-14: "write" — a read-only key gets 403 on every write operation; nothing changes."""
    before = stored_counts()
    found = statuses(world, WRITES, headers=tenants.pm_headers(name="read"))
    assert set(found.values()) == {403}, found
    assert stored_counts() == before


def test_scope_refusal_is_403_naming_permissions(world, tenants):
    """PM-AUTH-15: "Authenticated but lacks read scope" — 403 naming the missing permission, never 401."""
    for op, key in [(op, "write") for op in READS] + [(op, "read") for op in WRITES]:
        response = world(op, headers=tenants.pm_headers(name=key))
        assert response.status_code == 403, op
        assert response.json()["error"].startswith("Insufficient permissions"), op
