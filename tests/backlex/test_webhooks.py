"""Webhooks: secret shown once, real signed deliveries to a loopback receiver, retries, private targets."""

from __future__ import annotations

import datetime
import socket

import pytest

from handlers.backlex import _jobs, _webhooks
from handlers.backlex.store import OutboundDelivery
from spec_server.db import database
from tests.backlex.project_helpers import as_role, org_a
from tests.backlex.webhook_receiver import Receiver


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "1")
    _jobs.flush()  # no delayed retries left over from another test
    server = Receiver()
    yield server
    server.close()
    _jobs.flush()


@pytest.fixture
def org(client, tenants):
    return org_a(client, tenants)["slug"]


def create_webhook(client, tenants, org, url, events=("project.*",), receiver=None):
    response = client.post(f"/api/org/{org}/webhooks", json={"url": url, "events": list(events)},
                           cookies=as_role(tenants, "admin"))
    assert response.status_code == 201, response.text
    webhook = response.json()["webhook"]
    if receiver is not None:
        receiver.secret = webhook["secret"]
    return webhook


def deliveries(client, tenants, org, **params):
    response = client.get(f"/api/org/{org}/webhook-deliveries", params=params, cookies=as_role(tenants, "viewer"))
    assert response.status_code == 200
    return response.json()["deliveries"]


def test_secret_shown_once(client, tenants, org, receiver):
    webhook = create_webhook(client, tenants, org, receiver.url)
    assert webhook["secret"].startswith("whsec_") and len(webhook["secret"]) == 6 + 48
    listed = client.get(f"/api/org/{org}/webhooks", cookies=as_role(tenants, "viewer")).json()["webhooks"]
    assert [w["id"] for w in listed] == [webhook["id"]]
    assert "secret" not in listed[0] and listed[0]["events"] == ["project.*"]


def test_events_are_delivered_signed(client, tenants, org, receiver):
    webhook = create_webhook(client, tenants, org, receiver.url, receiver=receiver)
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    types = [r["body"]["type"] for r in receiver.received]
    assert types == ["project.created", "project.provisioned"]
    first = receiver.received[0]
    assert first["valid"], "signature must verify with the secret shown at creation"
    assert set(first["body"]) == {"id", "type", "createdAt", "data"}
    assert first["body"]["data"]["slug"] == "shop"
    assert first["headers"]["Content-Type"] == "application/json"
    listed = deliveries(client, tenants, org, webhookId=webhook["id"])
    assert {d["eventType"] for d in listed} == {"project.created", "project.provisioned"}
    assert all(d["status"] == "succeeded" and d["statusCode"] == 200 and d["durationMs"] >= 0 for d in listed)


def test_tampered_body_fails_verification(receiver):
    body = b'{"id":"evt_1"}'
    header = _webhooks.sign("whsec_secret", body, int(__import__("time").time()))
    from tests.backlex.webhook_receiver import stripe_style_valid

    assert stripe_style_valid("whsec_secret", body, header)
    assert not stripe_style_valid("whsec_secret", body + b" ", header)
    assert not stripe_style_valid("whsec_other", body, header)


def test_only_matching_events_are_delivered(client, tenants, org, receiver):
    create_webhook(client, tenants, org, receiver.url, events=["alarm.*", "project.deleted"], receiver=receiver)
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    assert receiver.received == []
    client.delete(f"/api/org/{org}/projects/shop", cookies=as_role(tenants))
    assert [r["body"]["type"] for r in receiver.received] == ["project.deleted"]


def test_failed_delivery_is_retried_by_the_queue(client, tenants, org, receiver):
    webhook = create_webhook(client, tenants, org, receiver.url, events=["project.deleted"], receiver=receiver)
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    receiver.statuses = [500, 503]
    client.delete(f"/api/org/{org}/projects/shop", cookies=as_role(tenants))
    first = deliveries(client, tenants, org, webhookId=webhook["id"])
    assert [(d["attempt"], d["status"], d["statusCode"]) for d in first] == [(1, "failed", 500)]
    assert "receiver failed" in first[0]["error"]
    assert _jobs.run_scheduled() == 1  # the retry, after its backoff
    assert _jobs.run_scheduled() == 1
    assert _jobs.run_scheduled() == 0  # delivered: nothing left
    history = deliveries(client, tenants, org, webhookId=webhook["id"])
    assert [(d["attempt"], d["statusCode"]) for d in history] == [(3, 200), (2, 503), (1, 500)]
    assert len({r["body"]["id"] for r in receiver.received}) == 1  # the same event every time
    assert all(r["valid"] for r in receiver.received)


def test_retries_back_off_exponentially(client, tenants, org, receiver):
    create_webhook(client, tenants, org, receiver.url, events=["project.deleted"], receiver=receiver)
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    receiver.statuses = [500] * 10
    client.delete(f"/api/org/{org}/projects/shop", cookies=as_role(tenants))
    waits = []
    while scheduled := _jobs.DELIVERIES.scheduled():
        (task,) = scheduled
        waits.append(round((task.eta - datetime.datetime.now(datetime.UTC).replace(tzinfo=None)).total_seconds()))
        _jobs.run_scheduled()
    assert waits == [30, 60, 120, 240, 480]  # five retries after the first attempt, the delay doubling
    attempts = [d["attempt"] for d in deliveries(client, tenants, org)]
    assert attempts == [6, 5, 4, 3, 2, 1]
    with database.connection_context():
        (row,) = OutboundDelivery.select()
    assert row.status == "failed" and row.attempts == row.finished == 6 and "HTTP 500" in row.last_error


def test_test_endpoint_sends_a_real_signed_delivery(client, tenants, org, receiver):
    webhook = create_webhook(client, tenants, org, receiver.url, receiver=receiver)
    response = client.post(f"/api/org/{org}/webhooks/{webhook['id']}/test", cookies=as_role(tenants, "admin"))
    assert response.status_code == 200
    outcome = response.json()
    assert outcome["ok"] is True and outcome["statusCode"] == 200
    assert receiver.received[-1]["body"]["type"] == "webhook.test" and receiver.received[-1]["valid"]
    receiver.statuses = [410]
    failed = client.post(f"/api/org/{org}/webhooks/{webhook['id']}/test", cookies=as_role(tenants, "admin")).json()
    assert failed["ok"] is False and failed["statusCode"] == 410 and "410" in failed["error"]
    tests = [d for d in deliveries(client, tenants, org) if d["test"]]
    assert len(tests) == 2


def test_deliveries_filter_by_webhook(client, tenants, org, receiver):
    one = create_webhook(client, tenants, org, receiver.url, receiver=receiver)
    two = create_webhook(client, tenants, org, receiver.url + "?two")
    client.post(f"/api/org/{org}/webhooks/{one['id']}/test", cookies=as_role(tenants, "admin"))
    client.post(f"/api/org/{org}/webhooks/{two['id']}/test", cookies=as_role(tenants, "admin"))
    assert {d["webhookId"] for d in deliveries(client, tenants, org, webhookId=two["id"])} == {two["id"]}
    assert len(deliveries(client, tenants, org)) == 2
    assert deliveries(client, tenants, org, webhookId="unknown") == []


def test_delete_is_204_and_stops_deliveries(client, tenants, org, receiver):
    webhook = create_webhook(client, tenants, org, receiver.url, receiver=receiver)
    assert client.delete(f"/api/org/{org}/webhooks/{webhook['id']}", cookies=as_role(tenants, "admin")).status_code == 204
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    assert receiver.received == []
    assert client.post(f"/api/org/{org}/webhooks/{webhook['id']}/test", cookies=as_role(tenants, "admin")).status_code == 404
    assert client.delete(f"/api/org/{org}/webhooks/{webhook['id']}", cookies=as_role(tenants, "admin")).status_code == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/x",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
                                 "http://192.168.0.10/x", "ftp://example.com/x"])
def test_private_targets_refused_by_default(client, tenants, org, url, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    response = client.post(f"/api/org/{org}/webhooks", json={"url": url, "events": ["*"]}, cookies=as_role(tenants, "admin"))
    assert response.status_code == 422, url


def _resolve_to(address):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return getaddrinfo


def test_hostname_resolving_to_private_address_refused(client, tenants, org, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to("10.0.0.5"))
    response = client.post(f"/api/org/{org}/webhooks", json={"url": "https://hooks.customer.example/x", "events": ["*"]},
                           cookies=as_role(tenants, "admin"))
    assert response.status_code == 422
    assert "non-public" in response.json()["error"]["message"]


def test_check_applies_again_at_delivery_time(client, tenants, org, receiver, monkeypatch):
    """A name that was public when saved and later points inside (DNS rebinding) is refused when sending."""
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to("93.184.216.34"))
    webhook = create_webhook(client, tenants, org, "http://rebind.customer.example/x")
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to("127.0.0.1"))
    outcome = client.post(f"/api/org/{org}/webhooks/{webhook['id']}/test", cookies=as_role(tenants, "admin")).json()
    assert outcome["ok"] is False and outcome["error"].startswith("Refused")
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    refused = [d for d in deliveries(client, tenants, org) if not d["test"]]
    assert refused and all(d["error"].startswith("Refused") and d["statusCode"] is None for d in refused)
    assert _jobs.run_scheduled() == 0  # a refused target is not retried
    assert receiver.received == []


def test_alarm_fired_reaches_webhooks(client, tenants, org, receiver):
    from handlers.backlex import _usage
    from handlers.backlex.store import Org, Project
    from spec_server.db import database

    create_webhook(client, tenants, org, receiver.url, events=["alarm.fired"], receiver=receiver)
    client.post(f"/api/org/{org}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    client.post(f"/api/org/{org}/projects/shop/alarms", json={"metric": "r2", "thresholdPct": 50}, cookies=as_role(tenants))
    with database.connection_context():
        org_row = Org.get(Org.slug == org)
        _usage.record_usage(org_row, Project.get(Project.slug == "shop"), "r2", 10_000_000)
    assert [r["body"]["type"] for r in receiver.received] == ["alarm.fired"]
    assert receiver.received[0]["valid"] and receiver.received[0]["body"]["data"]["metric"] == "r2"


def test_delivery_connects_to_the_checked_address(client, tenants, org, receiver, monkeypatch):
    """The name is resolved once, checked, and the connection goes to that address (Host kept)."""
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    monkeypatch.setattr(_webhooks, "_is_public", lambda address: True)  # let 127.0.0.1 stand for a public host
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to("127.0.0.1"))
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://hooks.customer.example:{port}/hooks/backlex"  # does not resolve for httpx itself
    webhook = create_webhook(client, tenants, org, url, receiver=receiver)
    outcome = client.post(f"/api/org/{org}/webhooks/{webhook['id']}/test", cookies=as_role(tenants, "admin")).json()
    assert outcome["ok"] is True, outcome
    assert receiver.received[-1]["headers"]["Host"] == f"hooks.customer.example:{port}"
    assert receiver.received[-1]["valid"]


# IPv6 addresses that carry a loopback or link-local IPv4 address (or are never public)
EMBEDDING = ["::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::a9fe:a9fe",
             "fec0::1", "64:ff9b:1::a00:1", "::ffff:127.0.0.1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"]


def _webhook_urls(client, tenants, org) -> list[str]:
    return [w["url"] for w in client.get(f"/api/org/{org}/webhooks", cookies=as_role(tenants, "admin")).json()["webhooks"]]


@pytest.mark.parametrize("address", EMBEDDING)
def test_ipv6_literals_embedding_private_ipv4_are_refused_when_saved(client, tenants, org, address, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    response = client.post(f"/api/org/{org}/webhooks", json={"url": f"http://[{address}]:8080/x", "events": ["*"]},
                           cookies=as_role(tenants, "admin"))
    assert response.status_code == 422, address
    assert response.json()["error"]["code"] == "VALIDATION"
    assert _webhook_urls(client, tenants, org) == []


def _resolve_to_v6(address):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    return getaddrinfo


@pytest.mark.parametrize("address", EMBEDDING)
def test_names_resolving_to_embedding_ipv6_are_refused_at_delivery(client, tenants, org, receiver, address, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to("93.184.216.34"))
    webhook = create_webhook(client, tenants, org, "http://rebind.customer.example/x")
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to_v6(address))
    outcome = client.post(f"/api/org/{org}/webhooks/{webhook['id']}/test", cookies=as_role(tenants, "admin")).json()
    assert outcome["ok"] is False and outcome["error"].startswith("Refused"), outcome
    assert receiver.received == []


def test_integration_urls_resolving_to_embedding_ipv6_are_refused(client, tenants, org, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", raising=False)
    monkeypatch.setattr(_webhooks.socket, "getaddrinfo", _resolve_to_v6("::ffff:0:a9fe:a9fe"))
    response = client.post(f"/api/org/{org}/integrations", cookies=as_role(tenants, "admin"), json={
        "kind": "slack", "config": {"webhookUrl": "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstwxyz"}})
    assert response.status_code == 422, response.text
    listed = client.get(f"/api/org/{org}/integrations", cookies=as_role(tenants, "admin")).json()
    assert listed["integrations"] == []


@pytest.mark.parametrize("address", ["2606:4700:4700::1111", "2002:5db8:d822::1", "::ffff:93.184.216.34", "93.184.216.34"])
def test_public_addresses_stay_allowed(address):
    from spec_server import addresses

    assert addresses.is_public(address)
