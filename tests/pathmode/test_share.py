"""Pathmode share links: POST/DELETE /api/v1/intents/{id}/share."""

from __future__ import annotations

import re

from handlers.pathmode.store import Intent
from spec_server.db import database
from tests.pathmode._part1 import assert_error, random_id
from tests.support import new_intent

V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def share(client, tenants, intent_id, workspace="ws-a"):
    return client.post(f"/api/v1/intents/{intent_id}/share", headers=tenants.pm_headers(workspace))


def revoke(client, tenants, intent_id, workspace="ws-a"):
    return client.delete(f"/api/v1/intents/{intent_id}/share", headers=tenants.pm_headers(workspace))


def stored_token(intent_id):
    with database.connection_context():
        return Intent.get_by_id(intent_id).share_token


def test_returns_token(client, tenants):
    """PM-SHARE-CREATE-1: "Returns { token } (existing or newly generated)" """
    intent = new_intent(client, tenants)
    response = share(client, tenants, intent["id"])
    assert response.status_code == 200 and set(response.json()) == {"token"}
    assert stored_token(intent["id"]) == response.json()["token"]


def test_idempotent(client, tenants):
    """PM-SHARE-CREATE-2: "Idempotent: returns the existing token if one is already set." """
    intent = new_intent(client, tenants)
    first = share(client, tenants, intent["id"]).json()["token"]
    second = share(client, tenants, intent["id"])
    assert second.status_code == 200 and second.json()["token"] == first


def test_token_is_raw_v4_uuid(client, tenants):
    """PM-SHARE-CREATE-3: "token is a raw crypto.randomUUID() (v4 UUID, no prefix)" """
    intent = new_intent(client, tenants)
    assert V4.match(share(client, tenants, intent["id"]).json()["token"])


def test_first_share_is_200_not_201(client, tenants):
    """PM-SHARE-CREATE-4: "No 201 — created and pre-existing tokens both return 200." """
    intent = new_intent(client, tenants)
    assert stored_token(intent["id"]) is None
    assert share(client, tenants, intent["id"]).status_code == 200


def test_foreign_or_unknown_intent_404(client, tenants):
    """PM-SHARE-CREATE-5: "Intent not found in this workspace" """
    foreign = new_intent(client, tenants, workspace="ws-b")
    for intent_id in (foreign["id"], random_id()):
        assert_error(share(client, tenants, intent_id), 404)
    assert stored_token(foreign["id"]) is None


def test_revoke(client, tenants):
    """PM-SHARE-REVOKE-1: "Share token revoked; returns { success: true }" """
    intent = new_intent(client, tenants)
    share(client, tenants, intent["id"])
    response = revoke(client, tenants, intent["id"])
    assert response.status_code == 200 and response.json() == {"success": True}
    assert stored_token(intent["id"]) is None


def test_revoke_invalidates_token(client, tenants):
    """PM-SHARE-REVOKE-2: "invalidating all existing review links" """
    intent = new_intent(client, tenants)
    first = share(client, tenants, intent["id"]).json()["token"]
    revoke(client, tenants, intent["id"])
    assert share(client, tenants, intent["id"]).json()["token"] != first


def test_revoke_unconditional(client, tenants):
    """PM-SHARE-REVOKE-3: "succeeds even if no token currently exists" """
    intent = new_intent(client, tenants)
    for _ in range(2):
        response = revoke(client, tenants, intent["id"])
        assert response.status_code == 200 and response.json() == {"success": True}


def test_revoke_needs_ownership(client, tenants):
    """PM-SHARE-REVOKE-4: "once ownership is verified" """
    intent = new_intent(client, tenants)
    token = share(client, tenants, intent["id"]).json()["token"]
    assert_error(revoke(client, tenants, intent["id"], workspace="ws-b"), 404)
    assert share(client, tenants, intent["id"]).json()["token"] == token
