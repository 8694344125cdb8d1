"""SCIM: status, minting (shown once, stored hashed, replaces), revoking, rate limit."""

from __future__ import annotations

from handlers.backlex.store import ScimToken
from spec_server import clock, credentials
from spec_server.db import database
from tests.backlex.org_helpers import team_org


def scim(client, tenants, org, who="owner@a.example"):
    response = client.get(f"/api/org/{org['slug']}/scim", cookies=tenants.bx_session(who))
    assert response.status_code == 200, response.text
    return response.json()


def mint(client, tenants, org):
    return client.post(f"/api/org/{org['slug']}/scim/token", cookies=tenants.bx_session())


def test_status_starts_off_with_the_base_url(client, tenants):
    org = team_org(client, tenants)
    status = scim(client, tenants, org, who="admin@a.example")
    assert status["enabled"] is False and status["tokenPrefix"] is None and status["tokenCreatedAt"] is None
    assert status["scimBaseUrl"].endswith(f"/api/scim/v2/{org['slug']}")
    assert status["scimBaseUrl"].startswith("http")


def test_minting_returns_the_token_once_and_stores_a_digest(client, tenants):
    org = team_org(client, tenants)
    response = mint(client, tenants, org)
    assert response.status_code == 201
    token = response.json()["token"]
    status = scim(client, tenants, org)
    assert status["enabled"] is True and token.startswith(status["tokenPrefix"])
    assert status["tokenCreatedAt"].endswith("Z")
    assert token not in str(status)
    with database.connection_context():
        row = ScimToken.get(ScimToken.org == org["id"])
        assert row.token_digest == credentials.digest(token) and token not in row.token_digest


def test_minting_again_replaces_the_earlier_token(client, tenants):
    org = team_org(client, tenants)
    first = mint(client, tenants, org).json()["token"]
    clock.advance(5)
    second = mint(client, tenants, org).json()["token"]
    assert first != second
    with database.connection_context():
        [row] = ScimToken.select().where(ScimToken.org == org["id"])
        assert credentials.matches(row.token_digest, second)
        assert not credentials.matches(row.token_digest, first)


def test_revoke_turns_provisioning_off(client, tenants):
    org = team_org(client, tenants)
    mint(client, tenants, org)
    response = client.delete(f"/api/org/{org['slug']}/scim/token", cookies=tenants.bx_session())
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert scim(client, tenants, org)["enabled"] is False
    again = client.delete(f"/api/org/{org['slug']}/scim/token", cookies=tenants.bx_session())
    assert again.status_code == 200


def test_only_owners_mint_or_revoke(client, tenants):
    org = team_org(client, tenants)
    admin = tenants.bx_session("admin@a.example")
    assert client.post(f"/api/org/{org['slug']}/scim/token", cookies=admin).status_code == 403
    assert client.delete(f"/api/org/{org['slug']}/scim/token", cookies=admin).status_code == 403
    assert client.get(f"/api/org/{org['slug']}/scim",
                      cookies=tenants.bx_session("developer@a.example")).status_code == 403


def test_token_minting_is_rate_limited(client, tenants, settings):
    settings.rate_limits["tokenMinting"] = (2, 600)
    org = team_org(client, tenants)
    assert mint(client, tenants, org).status_code == 201
    assert mint(client, tenants, org).status_code == 201
    limited = mint(client, tenants, org)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(limited.headers["Retry-After"]) <= 600
