"""Org API keys: pak_ + hex shown once, stored hashed, listed with prefix/scope/expiry/tools/last use."""

from __future__ import annotations

import re

import pytest

from handlers.backlex import integrations
from handlers.backlex.store import OrgApiKey
from spec_server import clock, credentials
from spec_server.db import database
from tests.backlex.project_helpers import as_role, org_a


@pytest.fixture
def path(client, tenants):
    return f"/api/org/{org_a(client, tenants)['slug']}/api-keys"


def create(client, tenants, path, **body):
    response = client.post(path, json={"name": "CI deploys", "scope": "deploy", **body}, cookies=as_role(tenants, "admin"))
    assert response.status_code == 201, response.text
    return response.json()["key"]


def test_plaintext_shown_once_and_stored_hashed(client, tenants, path):
    key = create(client, tenants, path, expiresInDays=30, mcpTools=["deploy", "logs"])
    assert re.fullmatch(r"pak_[0-9a-f]{64}", key["secret"])
    assert key["prefix"] == key["secret"][:12]
    assert (key["scope"], key["mcpTools"], key["lastUsedAt"]) == ("deploy", ["deploy", "logs"], None)
    assert clock.parse_iso(key["expiresAt"]) - clock.parse_iso(key["createdAt"]) == 30 * 86_400_000
    listed = client.get(path, cookies=as_role(tenants, "admin")).json()["keys"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert "secret" not in listed[0] and listed[0]["prefix"] == key["prefix"]
    with database.connection_context():
        row = OrgApiKey.get_by_id(key["id"])
    assert row.key_digest == credentials.digest(key["secret"]) and key["secret"] not in row.key_digest


def test_no_expiry_by_default(client, tenants, path):
    key = create(client, tenants, path)
    assert key["expiresAt"] is None and key["mcpTools"] == []


def test_blank_tool_names_are_dropped(client, tenants, path):
    assert create(client, tenants, path, mcpTools=["", " logs ", "logs", "  "])["mcpTools"] == ["logs"]


@pytest.mark.parametrize("body", [{"name": "x", "scope": "root"}, {"name": "", "scope": "full"},
                                  {"name": "x", "scope": "full", "expiresInDays": 0}, {"scope": "full"},
                                  {"name": "   ", "scope": "full"}, {"name": "x", "scope": "full", "expiresInDays": 3651}])
def test_invalid_input_is_422(client, tenants, path, body):
    assert client.post(path, json=body, cookies=as_role(tenants, "admin")).status_code == 422


def test_revoke_is_204_and_key_stops_working(client, tenants, path):
    key = create(client, tenants, path)
    with database.connection_context():
        assert integrations.authenticate_api_key(key["secret"]).id == key["id"]
    assert client.get(path, cookies=as_role(tenants)).json()["keys"][0]["lastUsedAt"] is not None
    response = client.delete(f"{path}/{key['id']}", cookies=as_role(tenants, "admin"))
    assert response.status_code == 204 and response.content == b""
    assert client.get(path, cookies=as_role(tenants)).json()["keys"] == []
    assert client.delete(f"{path}/{key['id']}", cookies=as_role(tenants)).status_code == 404
    with database.connection_context():
        assert integrations.authenticate_api_key(key["secret"]) is None


def test_expired_key_does_not_authenticate(client, tenants, path):
    key = create(client, tenants, path, expiresInDays=1)
    clock.advance(86_401)
    with database.connection_context():
        assert integrations.authenticate_api_key(key["secret"]) is None
    assert client.get(path, cookies=as_role(tenants)).json()["keys"][0]["expired"] is True


def test_developers_cannot_manage_keys(client, tenants, path):
    assert client.get(path, cookies=as_role(tenants, "developer")).status_code == 403
