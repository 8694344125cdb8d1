"""Pathmode API keys: GET/POST/DELETE /api/v1/api-keys (cookie session only)."""

from __future__ import annotations

import re

import pytest

from handlers.pathmode import _api
from handlers.pathmode.store import ApiKey, Membership
from spec_server import credentials
from spec_server.db import database
from tests.pathmode._part1 import assert_error, bearer, new_key, random_id

URL = "/api/v1/api-keys"
ITEM_KEYS = {"id", "workspaceId", "name", "keyPrefix", "scopes", "lastUsedAt", "expiresAt", "createdAt"}


def keys_of(client, tenants, email="owner@a.example"):
    response = client.get(URL, cookies=tenants.pm_session(email))
    assert response.status_code == 200, response.text
    return response.json()


def key_count() -> int:
    with database.connection_context():
        return ApiKey.select().count()


def revoke(client, tenants, key_id, email="owner@a.example"):
    return client.request("DELETE", URL, json={"keyId": key_id}, cookies=tenants.pm_session(email))


def test_lists_only_own_keys(client, tenants):
    """PM-KEYS-LIST-1: "List the current user's API keys" """
    mine = new_key(client, tenants, name="mine")
    new_key(client, tenants, email="admin@a.example", name="theirs")
    listed = keys_of(client, tenants)["keys"]
    assert mine["id"] in {k["id"] for k in listed}
    with database.connection_context():
        owner = tenants.pm_user_id("owner@a.example")
        assert {k["id"] for k in listed} == {k.id for k in ApiKey.select().where(ApiKey.user == owner)}


def test_key_value_never_listed(client, tenants):
    """PM-KEYS-LIST-2: "key value never returned" / PM-KEYS-CREATE-3: "can never be retrieved again" """
    created = new_key(client, tenants)
    response = client.get(URL, cookies=tenants.pm_session())
    assert created["key"] not in response.text and created["key"][16:] not in response.text
    item = next(k for k in response.json()["keys"] if k["id"] == created["id"])
    assert "key" not in item and item["keyPrefix"] == created["keyPrefix"]


def test_newest_first(client, tenants):
    """PM-KEYS-LIST-3: "sorted created_at DESC" """
    first, second = new_key(client, tenants, name="K1"), new_key(client, tenants, name="K2")
    ids = [k["id"] for k in keys_of(client, tenants)["keys"]]
    assert ids.index(second["id"]) < ids.index(first["id"])
    stamps = [k["createdAt"] for k in keys_of(client, tenants)["keys"]]
    assert stamps == sorted(stamps, reverse=True)


def test_list_shape(client, tenants):
    """PM-KEYS-LIST-4: '"keyPrefix": "pm_live_3f2a9c1e"' — {keys, count} with the documented item keys."""
    new_key(client, tenants)
    body = keys_of(client, tenants)
    assert set(body) == {"keys", "count"} and body["count"] == len(body["keys"]) > 0
    for item in body["keys"]:
        assert set(item) == ITEM_KEYS and re.fullmatch(r"pm_live_[0-9a-f]{8}", item["keyPrefix"])


def test_store_unavailable_list_is_empty_200(client, tenants, settings):
    """PM-KEYS-LIST-5: "returns 200 with { keys: [], count: 0, message }" """
    settings.faults = frozenset({"api_key_store"})
    body = keys_of(client, tenants)
    assert body["keys"] == [] and body["count"] == 0 and body["message"]


@pytest.mark.parametrize("method,body", [("GET", None), ("POST", {"name": "x"}), ("DELETE", {"keyId": "x"})])
def test_bearer_alone_is_401(client, tenants, method, body):
    """PM-KEYS-LIST-6 / PM-KEYS-CREATE-15 / PM-KEYS-REVOKE-8: "cookie-session-only" """
    if body and "name" in body:
        body["workspaceId"] = tenants.pm_workspace_id()
    if body and "keyId" in body:
        with database.connection_context():
            body["keyId"] = ApiKey.get(ApiKey.name == "admin").id
    before = key_count()
    assert_error(client.request(method, URL, json=body, headers=tenants.pm_headers(name="admin")), 401)
    assert key_count() == before
    assert client.get("/api/v1/intents", headers=tenants.pm_headers(name="admin")).status_code == 200


def test_list_rate_limit(client, tenants, settings):
    """PM-KEYS-LIST-7: "apiKeysRead 120/h" (lowered to 3)."""
    settings.rate_limits["apiKeysRead"] = (3, 3600)
    for _ in range(3):
        keys_of(client, tenants)
    assert_error(client.get(URL, cookies=tenants.pm_session()), 429)


def test_create_returns_secret_once(client, tenants):
    """PM-KEYS-CREATE-1: "returns the secret key exactly once" """
    body = new_key(client, tenants)
    assert set(body) == {"id", "key", "name", "keyPrefix", "scopes", "createdAt", "message"}


def test_key_format_and_stored_as_digest(client, tenants):
    """PM-KEYS-CREATE-2: "format pm_live_<64 hex chars>" — and only its hash is stored."""
    body = new_key(client, tenants)
    assert re.fullmatch(r"pm_live_[0-9a-f]{64}", body["key"])
    with database.connection_context():
        row = ApiKey.get_by_id(body["id"])
    assert row.key_digest == credentials.digest(body["key"])
    assert body["key"] not in {str(v) for v in row.__data__.values()}


def test_prefix_is_first_16(client, tenants):
    """PM-KEYS-CREATE-4: "afterward only keyPrefix is exposed" """
    body = new_key(client, tenants)
    assert body["keyPrefix"] == body["key"][:16]
    assert any(k["keyPrefix"] == body["keyPrefix"] for k in keys_of(client, tenants)["keys"])


def test_message(client, tenants):
    """PM-KEYS-CREATE-5: '"message": "Save this key now. It cannot be retrieved again."' """
    assert new_key(client, tenants)["message"] == "Save this key now. It cannot be retrieved again."


def test_new_key_works_at_once_within_scopes(client, tenants):
    """PM-KEYS-CREATE-6: "Created in Settings → API Keys or via POST /api-keys." — the key works as a
    Bearer at once, on its workspace, within its scopes, and lastUsedAt is set on use."""
    intent_ids = {i["id"] for i in client.get("/api/v1/intents", headers=tenants.pm_headers()).json()["intents"]}
    key = new_key(client, tenants, scopes=["read"])
    response = client.get("/api/v1/intents", headers=bearer(key["key"]))
    assert response.status_code == 200 and {i["id"] for i in response.json()["intents"]} == intent_ids
    assert all(i["workspaceId"] == tenants.pm_workspace_id() for i in response.json()["intents"])
    assert_error(client.post("/api/v1/evidence", json={"content": "x", "type": "quote", "productId": "p"},
                             headers=bearer(key["key"])), 403)
    item = next(k for k in keys_of(client, tenants)["keys"] if k["id"] == key["id"])
    assert item["lastUsedAt"] is not None


@pytest.mark.parametrize("email", ["editor@a.example", "viewer@a.example", "owner@b.example", "outsider@c.example"])
def test_needs_owner_or_admin(client, tenants, email):
    """PM-KEYS-CREATE-7: "Caller must be admin or owner of workspaceId" """
    before = key_count()
    response = client.post(URL, json={"name": "x", "workspaceId": tenants.pm_workspace_id()},
                           cookies=tenants.pm_session(email))
    assert_error(response, 403)
    assert key_count() == before


def test_admin_may_create(client, tenants):
    """PM-KEYS-CREATE-7: "Caller must be admin or owner of workspaceId" — an admin may."""
    assert new_key(client, tenants, email="admin@a.example", scopes=["admin"])["scopes"] == ["admin"]


def test_scopes_capped_by_role(client, tenants, monkeypatch):
    """PM-KEYS-CREATE-8: "Requested scopes are capped to deriveScopesFromRole(role); exceeding them is a
    403." — with our map owner/admin may grant every scope, so the cap is shown by narrowing the one
    map (``_api.ROLE_SCOPES``)."""
    monkeypatch.setitem(_api.ROLE_SCOPES, "admin", frozenset({"read", "write"}))
    before = key_count()
    response = client.post(URL, json={"name": "x", "workspaceId": tenants.pm_workspace_id(), "scopes": ["admin"]},
                           cookies=tenants.pm_session("admin@a.example"))
    assert_error(response, 403)
    assert key_count() == before
    assert new_key(client, tenants, email="admin@a.example", scopes=["read", "write"])["scopes"] == ["read", "write"]


def test_scopes_default(client, tenants):
    """PM-KEYS-CREATE-9: "Defaults to ['read','write']." """
    assert new_key(client, tenants)["scopes"] == ["read", "write"]


@pytest.mark.parametrize("clause,scopes", [("PM-KEYS-CREATE-10", []), ("PM-KEYS-CREATE-10", "read"),
                                           ("PM-KEYS-CREATE-11", ["read", "superuser"])])
def test_bad_scopes_400(client, tenants, clause, scopes):
    """PM-KEYS-CREATE-10: "empty/non-array scopes"; PM-KEYS-CREATE-11: "unrecognized scope values" """
    before = key_count()
    response = client.post(URL, json={"name": "x", "workspaceId": tenants.pm_workspace_id(), "scopes": scopes},
                           cookies=tenants.pm_session())
    assert_error(response, 400)
    assert key_count() == before, clause


@pytest.mark.parametrize("missing", ["name", "workspaceId", "empty name", "empty workspaceId"])
def test_name_and_workspace_required(client, tenants, missing):
    """PM-KEYS-CREATE-12: "Missing name, missing workspaceId" """
    payload = {"name": "x", "workspaceId": tenants.pm_workspace_id()}
    if missing.startswith("empty "):
        payload[missing.split()[1]] = ""
    else:
        del payload[missing]
    before = key_count()
    assert_error(client.post(URL, json=payload, cookies=tenants.pm_session()), 400)
    assert key_count() == before


def test_plan_limit(client, tenants, settings):
    """PM-KEYS-CREATE-13: "Billing-gated on the api_keys metric (403 with plan_limit_reached body)." """
    settings.plan_limits["pro"]["api_keys"] = key_count() - 1  # ws-a's seeded keys already exceed it
    response = client.post(URL, json={"name": "x", "workspaceId": tenants.pm_workspace_id()},
                           cookies=tenants.pm_session())
    body = assert_error(response, 403)
    assert body["error"] == "plan_limit_reached" and body["metric"] == "api_keys" and body["plan"] == "pro"


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_store_unavailable_writes_503(client, tenants, settings, method):
    """PM-KEYS-CREATE-14 / PM-KEYS-REVOKE-7: "SUPABASE_SERVICE_ROLE_KEY not configured (admin client
    unavailable)." — 503, nothing created, the key keeps working."""
    key = new_key(client, tenants)
    settings.faults = frozenset({"api_key_store"})
    body = {"name": "x", "workspaceId": tenants.pm_workspace_id()} if method == "POST" else {"keyId": key["id"]}
    before = key_count()
    assert_error(client.request(method, URL, json=body, cookies=tenants.pm_session()), 503)
    assert key_count() == before
    assert client.get("/api/v1/intents", headers=bearer(key["key"])).status_code == 200


def test_write_rate_limit_create(client, tenants, settings):
    """PM-KEYS-CREATE-16: "apiKeysWrite 20/h" (lowered to 2) — nothing created when over."""
    settings.rate_limits["apiKeysWrite"] = (2, 3600)
    key = new_key(client, tenants)
    revoke(client, tenants, key["id"])
    before = key_count()
    response = client.post(URL, json={"name": "x", "workspaceId": tenants.pm_workspace_id()},
                           cookies=tenants.pm_session())
    assert_error(response, 429)
    assert key_count() == before


def test_revoke_own_key(client, tenants):
    """PM-KEYS-REVOKE-1: "Revoke (delete) one of the current user's API keys by id." """
    key = new_key(client, tenants)
    assert revoke(client, tenants, key["id"]).status_code == 200
    assert key["id"] not in {k["id"] for k in keys_of(client, tenants)["keys"]}


def test_revoked_key_is_401(client, tenants):
    """PM-KEYS-REVOKE-2: "Revoke (delete)" — the revoked key no longer authenticates."""
    key = new_key(client, tenants)
    assert client.get("/api/v1/intents", headers=bearer(key["key"])).status_code == 200
    revoke(client, tenants, key["id"])
    assert_error(client.get("/api/v1/intents", headers=bearer(key["key"])), 401)


def test_cannot_revoke_others_key(client, tenants):
    """PM-KEYS-REVOKE-3: "a user can only revoke their own keys" """
    theirs = new_key(client, tenants, email="admin@a.example")
    assert revoke(client, tenants, theirs["id"]).status_code == 200
    assert client.get("/api/v1/intents", headers=bearer(theirs["key"])).status_code == 200
    assert theirs["id"] in {k["id"] for k in keys_of(client, tenants, "admin@a.example")["keys"]}


def test_fixed_body(client, tenants):
    """PM-KEYS-REVOKE-4: "Returns a fixed { success:true, message } body regardless of whether a row
    actually matched." """
    key = new_key(client, tenants)
    real, unknown = revoke(client, tenants, key["id"]), revoke(client, tenants, random_id())
    assert real.status_code == unknown.status_code == 200
    assert real.json() == unknown.json() == {"success": True, "message": "API key revoked"}


def test_demoted_user_can_revoke(client, tenants):
    """PM-KEYS-REVOKE-5: "No workspace role check (unlike POST)." """
    key = new_key(client, tenants, email="admin@a.example")
    with database.connection_context():
        Membership.update(role="viewer").where(
            Membership.user == tenants.pm_user_id("admin@a.example")).execute()
    assert revoke(client, tenants, key["id"], email="admin@a.example").status_code == 200
    assert_error(client.get("/api/v1/intents", headers=bearer(key["key"])), 401)


@pytest.mark.parametrize("body", [{}, {"keyId": ""}])
def test_key_id_required(client, tenants, body):
    """PM-KEYS-REVOKE-6: "Id of the api_keys row to delete" """
    before = key_count()
    assert_error(client.request("DELETE", URL, json=body, cookies=tenants.pm_session()), 400)
    assert key_count() == before


def test_write_rate_limit_delete(client, tenants, settings):
    """PM-KEYS-REVOKE-9: "apiKeysWrite 20/h" (lowered to 1) — the next DELETE is 429 and deletes nothing."""
    settings.rate_limits["apiKeysWrite"] = (1, 3600)
    key = new_key(client, tenants)
    assert_error(revoke(client, tenants, key["id"]), 429)
    assert client.get("/api/v1/intents", headers=bearer(key["key"])).status_code == 200


# --- a key lives only as long as its user's seat ------------------------------------------

def _set_membership(tenants, email: str, role: str | None) -> None:
    from handlers.pathmode.store import Membership
    from spec_server.db import database

    where = (Membership.workspace == tenants.pm_workspace_id()) & (Membership.user == tenants.pm_user_id(email))
    with database.connection_context():
        if role is None:
            Membership.delete().where(where).execute()
        else:
            Membership.update(role=role).where(where).execute()


def test_a_key_stops_working_when_its_user_leaves_the_workspace(client, tenants):
    key = tenants.pm_headers(name="editor")  # editor@a.example's key
    assert client.get("/api/v1/intents", headers=key).status_code == 200
    _set_membership(tenants, "editor@a.example", None)
    listed = client.get("/api/v1/intents", headers=key)
    assert listed.status_code == 401
    assert listed.json() == {"error": "API key is no longer valid: its user is not a member of the workspace"}
    created = client.post("/api/v1/intents", headers=key, json={
        "title": "After leaving", "objective": "Must not be stored", "productId": tenants.pm_product_id()})
    assert created.status_code == 401
    assert client.get("/api/v1/export", params={"format": "claude-md"}, headers=key).status_code == 401
    assert client.get("/api/v1/intents", headers=tenants.pm_headers()).json()["intents"] == []


def test_a_key_is_held_to_its_users_current_role(client, tenants):
    key = tenants.pm_headers(name="editor")  # scopes read, write
    _set_membership(tenants, "editor@a.example", "viewer")
    assert client.get("/api/v1/intents", headers=key).status_code == 200
    created = client.post("/api/v1/intents", headers=key, json={
        "title": "As a viewer now", "objective": "Must not be stored", "productId": tenants.pm_product_id()})
    assert created.status_code == 403
    assert created.json() == {"error": "Insufficient permissions: this operation requires the 'write' scope"}
    assert client.get("/api/v1/intents", headers=tenants.pm_headers()).json()["intents"] == []
    _set_membership(tenants, "editor@a.example", "editor")  # promoted back: the key's scopes again
    assert client.post("/api/v1/intents", headers=key, json={
        "title": "Editor again", "objective": "Stored", "productId": tenants.pm_product_id()}).status_code == 201
