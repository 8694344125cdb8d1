"""FlaskApp stays one option away: ``SPEC_SERVER_FLAVOUR=flask`` answers exactly as AsyncApp.

The same requests go to both flavours over the same database; status, body and the headers
that carry meaning must match. Handlers never know which flavour runs them.
"""

from __future__ import annotations

import pytest

from spec_server import config
from spec_server.app import create_app
from tests.support import backlex_org, new_intent

HEADERS_THAT_MATTER = ("content-type", "allow", "retry-after")


@pytest.fixture(scope="module")
def flask_app(app):
    current = config.settings()
    flask = create_app(config.Settings.from_env(database_url=current.database_url, flavour="flask",
                                                validate_responses=True))
    config.install(current)  # one live settings object for every test
    return flask


@pytest.fixture
def flask_client(flask_app, database, settings):
    with flask_app.test_client() as test_client:
        yield test_client


def answer(response) -> tuple:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    headers = {name: response.headers.get(name) for name in HEADERS_THAT_MATTER if name in response.headers}
    if "content-type" in headers:
        headers["content-type"] = headers["content-type"].split(";")[0]
    if "allow" in headers:
        headers["allow"] = sorted(m.strip() for m in headers["allow"].split(","))
    return response.status_code, body, headers


def requests_for(tenants, intent_id: str, org_slug: str) -> list[tuple[str, str, dict]]:
    key = tenants.pm_headers()
    return [
        # Pathmode: reads, auth, scopes, workspace selection
        ("GET", "/api/v1/intents", {"headers": key}),
        ("GET", "/api/v1/intents?status=draft", {"headers": key}),
        ("GET", f"/api/v1/intents/{intent_id}", {"headers": key}),
        ("GET", "/api/v1/intents/00000000-0000-0000-0000-000000000000", {"headers": key}),
        ("GET", f"/api/v1/intents/{intent_id}", {"headers": tenants.pm_headers("ws-b")}),
        ("GET", "/api/v1/intents", {}),
        ("GET", "/api/v1/intents", {"headers": {"Authorization": "Bearer pm_live_nope"}}),
        ("GET", "/api/v1/intents", {"cookies": tenants.pm_session()}),
        ("GET", f"/api/v1/intents?workspace_id={tenants.pm_workspace_id()}", {"cookies": tenants.pm_session()}),
        ("GET", f"/api/v1/intents?workspace_id={tenants.pm_workspace_id('ws-b')}", {"cookies": tenants.pm_session()}),
        ("GET", "/api/v1/workspace", {"headers": key}),
        # Pathmode: body validation and scopes
        ("POST", "/api/v1/intents", {"headers": key, "json": {"title": ""}}),
        ("POST", "/api/v1/intents", {"headers": {**key, "Content-Type": "application/json"}, "content": b"{nope"}),
        ("POST", "/api/v1/intents", {"headers": tenants.pm_headers(name="read"),
                                     "json": {"title": "t", "objective": "o", "productId": "p"}}),
        ("PATCH", f"/api/v1/intents/{intent_id}", {"headers": key, "json": {}}),
        # routing: unknown paths and methods, in each API's envelope
        ("GET", "/api/v1/no-such-thing", {"headers": key}),
        ("DELETE", "/api/v1/intents", {"headers": key}),
        ("GET", "/api/no-such-thing", {}),
        # backlex: session, roles, validation
        ("GET", "/api/orgs", {"cookies": tenants.bx_session()}),
        ("GET", "/api/orgs", {}),
        ("GET", f"/api/org/{org_slug}/overview", {"cookies": tenants.bx_session()}),
        ("GET", f"/api/org/{org_slug}/overview", {"cookies": tenants.bx_session("outsider@c.example")}),
        ("POST", "/api/org", {"cookies": tenants.bx_session(), "json": {"name": 7}}),
        ("DELETE", "/api/orgs", {"cookies": tenants.bx_session()}),
    ]


def test_flask_flavour_answers_as_the_async_one(client, flask_client, tenants):
    intent_id = new_intent(client, tenants)["id"]
    org_slug = backlex_org(client, tenants)["slug"]
    differences = []
    for method, path, options in requests_for(tenants, intent_id, org_slug):
        expected = answer(client.request(method, path, **options))
        got = answer(flask_client.request(method, path, **options))
        if got != expected:
            differences.append((method, path, expected, got))
    assert differences == []


def test_flask_flavour_writes_through_the_same_handlers(client, flask_client, tenants):
    created = flask_client.post("/api/v1/intents", headers=tenants.pm_headers(), json={
        "title": "Made by Flask", "objective": "Same handlers", "productId": tenants.pm_product_id()})
    assert created.status_code == 201, created.text
    intent = created.json()
    assert client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json() == intent
    patched = flask_client.patch(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers(),
                                 json={"title": "Renamed by Flask"})
    assert patched.status_code == 200 and patched.json()["title"] == "Renamed by Flask"
    org = flask_client.post("/api/org", json={"name": "Flask Org"}, cookies=tenants.bx_session())
    assert org.status_code == 201, org.text
    assert org.json()["org"]["slug"] in {o["slug"] for o in client.get(
        "/api/orgs", cookies=tenants.bx_session()).json()["orgs"]}
