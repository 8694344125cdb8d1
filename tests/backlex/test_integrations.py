"""Integrations: per-kind config validation, secrets masked on read, event patterns, fan-out."""

from __future__ import annotations

import pytest

from handlers.backlex import _webhooks
from handlers.backlex.store import Integration
from spec_server.db import database
from tests.backlex.project_helpers import as_role, org_a

SLACK = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstwxyz"
DISCORD = "https://discord.com/api/webhooks/123456/tokentokentoken9876"
DD_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def path(client, tenants):
    return f"/api/org/{org_a(client, tenants)['slug']}/integrations"


def connect(client, tenants, path, kind, config, events=None):
    body = {"kind": kind, "config": config}
    if events is not None:
        body["events"] = events
    return client.post(path, json=body, cookies=as_role(tenants, "admin"))


@pytest.mark.parametrize("kind, config, masked", [
    ("slack", {"webhookUrl": SLACK, "channel": "#alerts"}, {"webhookUrl": "https://hooks.slack.com/…wxyz", "channel": "#alerts"}),
    ("discord", {"webhookUrl": DISCORD}, {"webhookUrl": "https://discord.com/…9876"}),
    ("datadog", {"apiKey": DD_KEY, "site": "datadoghq.eu"}, {"apiKey": "…cdef", "site": "datadoghq.eu"}),
    ("datadog", {"apiKey": DD_KEY}, {"apiKey": "…cdef", "site": "datadoghq.com"}),
    ("github", {"installationId": 12345, "repository": "acme/shop"}, {"installationId": 12345, "repository": "acme/shop"}),
    ("github", {"installationId": "777"}, {"installationId": 777}),
])
def test_valid_configs_are_stored_and_masked(client, tenants, path, kind, config, masked):
    response = connect(client, tenants, path, kind, config)
    assert response.status_code == 201, response.text
    assert response.json()["integration"]["config"] == masked
    listed = client.get(path, cookies=as_role(tenants, "viewer")).json()["integrations"]
    assert listed[0]["config"] == masked and listed[0]["kind"] == kind
    with database.connection_context():  # the secret itself is kept for sending
        stored = Integration.get_by_id(listed[0]["id"]).config
    assert all(stored[k] == v for k, v in config.items() if k != "installationId")


@pytest.mark.parametrize("kind, config", [
    ("slack", {}), ("slack", {"webhookUrl": "http://hooks.slack.com/services/x"}),
    ("slack", {"webhookUrl": "https://evil.example.com/services/x"}), ("slack", {"webhookUrl": SLACK, "token": "x"}),
    ("discord", {"webhookUrl": SLACK}), ("datadog", {"apiKey": "short"}),
    ("datadog", {"apiKey": DD_KEY, "site": "example.com"}), ("github", {"installationId": 0}),
    ("github", {"installationId": "abc"}), ("github", {"installationId": 5, "repository": "no-slash"}),
])
def test_invalid_configs_are_422(client, tenants, path, kind, config):
    response = connect(client, tenants, path, kind, config)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION"


def test_event_patterns(client, tenants, path):
    created = connect(client, tenants, path, "slack", {"webhookUrl": SLACK}, ["alarm.*", "project.deleted"]).json()
    assert created["integration"]["events"] == ["alarm.*", "project.deleted"]
    assert connect(client, tenants, path, "slack", {"webhookUrl": SLACK}, []).json()["integration"]["events"] is None
    assert connect(client, tenants, path, "slack", {"webhookUrl": SLACK}, ["Bad Pattern"]).status_code == 422


@pytest.mark.parametrize("patterns, event, expected", [
    (None, "alarm.fired", True), ([], "project.created", True), (["*"], "x.y", True),
    (["alarm.*"], "alarm.fired", True), (["alarm.*"], "alarms.fired", False),
    (["alarm.fired"], "alarm.fired", True), (["alarm.fired"], "alarm.created", False),
])
def test_pattern_matching(patterns, event, expected):
    assert _webhooks.matches(patterns, event) is expected


def test_disconnect_is_204(client, tenants, path):
    integration = connect(client, tenants, path, "github", {"installationId": 1}).json()["integration"]
    response = client.delete(f"{path}/{integration['id']}", cookies=as_role(tenants, "admin"))
    assert response.status_code == 204
    assert client.get(path, cookies=as_role(tenants)).json()["integrations"] == []
    assert client.delete(f"{path}/{integration['id']}", cookies=as_role(tenants, "admin")).status_code == 404


def test_matching_events_are_sent_to_the_integration(client, tenants, path, monkeypatch):
    import json

    sent = []

    class Response:
        status_code = 200

    def fake_send(url, *, content, headers):  # no outbound network in tests
        sent.append((url, json.loads(content), headers))
        return Response()

    monkeypatch.setattr(_webhooks, "send", fake_send)
    connect(client, tenants, path, "slack", {"webhookUrl": SLACK}, ["project.*"])
    connect(client, tenants, path, "datadog", {"apiKey": DD_KEY, "site": "datadoghq.eu"}, ["alarm.*", "project.deleted"])
    org_slug = path.split("/")[3]
    client.post(f"/api/org/{org_slug}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    assert sent and all(url == SLACK for url, _, _ in sent)
    assert any("project.created" in body["text"] for _, body, _ in sent)
    sent.clear()
    client.delete(f"/api/org/{org_slug}/projects/shop", cookies=as_role(tenants))
    urls = sorted(url for url, _, _ in sent)
    assert urls == ["https://api.datadoghq.eu/api/v1/events", SLACK]
    datadog = next(item for item in sent if "datadog" in item[0])
    assert datadog[2]["DD-API-KEY"] == DD_KEY and datadog[1]["title"] == "project.deleted"
