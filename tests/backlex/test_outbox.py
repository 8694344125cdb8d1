"""The outbox (handlers/backlex/_outbox.py): deliveries written with their event, sent by the
dispatcher, every attempt recorded, a duplicate job harmless, an interrupted attempt recorded."""

from __future__ import annotations

import logging

import pytest

from handlers.backlex import _events, _jobs, _outbox, _webhooks
from handlers.backlex.store import Org, OutboundDelivery, WebhookDelivery
from spec_server.db import database, write_transaction
from tests.backlex.project_helpers import as_role, org_a
from tests.backlex.webhook_receiver import Receiver


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "1")
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def queued(database):
    _jobs.bind()
    yield
    _jobs.run_inline()


@pytest.fixture
def org(client, tenants):
    return org_a(client, tenants)


def add_webhook(client, tenants, org, url, events=("org.*",)):
    response = client.post(f"/api/org/{org['slug']}/webhooks", json={"url": url, "events": list(events)},
                           cookies=as_role(tenants, "admin"))
    assert response.status_code == 201, response.text
    return response.json()["webhook"]


def rename(client, tenants, org, name):
    response = client.patch(f"/api/org/{org['slug']}", json={"name": name}, cookies=as_role(tenants))
    assert response.status_code == 200, response.text


def outbox() -> list[OutboundDelivery]:
    with database.connection_context():
        return list(OutboundDelivery.select().order_by(OutboundDelivery.created_at, OutboundDelivery.id))


def attempts(delivery_id: str) -> list[tuple[int, str, int | None]]:
    with database.connection_context():
        return [(d.attempt, d.status, d.status_code) for d in
                WebhookDelivery.select().where(WebhookDelivery.outbound_id == delivery_id).order_by(WebhookDelivery.attempt)]


def drain() -> int:
    with database.connection_context():
        return _jobs.drain()


def test_an_event_and_its_deliveries_are_written_together(client, tenants, org, receiver, queued):
    add_webhook(client, tenants, org, receiver.url)
    rename(client, tenants, org, "Acme Two")
    (row,) = outbox()
    assert (row.status, row.event_type, row.attempts, row.target_kind) == ("pending", "org.updated", 0, "webhook")
    assert _jobs.DELIVERIES.pending_count() == 1 and receiver.received == []  # the request sent nothing
    assert drain() == 1
    (row,) = outbox()
    assert (row.status, row.attempts, row.finished) == ("delivered", 1, 1)
    (received,) = receiver.received
    assert received["headers"]["Backlex-Webhook-Id"] == row.id and received["body"]["id"] == row.event_id
    assert attempts(row.id) == [(1, "succeeded", 200)]


def test_a_change_that_rolls_back_leaves_no_delivery(client, tenants, org, receiver, queued):
    add_webhook(client, tenants, org, receiver.url)
    with database.connection_context(), pytest.raises(RuntimeError):
        with write_transaction():
            _events.record(Org.get_by_id(org["id"]), "org.updated", target_type="org", target_id=org["id"])
            raise RuntimeError("the change fails after its event")
    assert outbox() == [] and _jobs.pending_count() == 0


def test_a_duplicate_dispatch_job_sends_nothing_more(client, tenants, org, receiver, queued):
    add_webhook(client, tenants, org, receiver.url)
    rename(client, tenants, org, "Acme Two")
    (row,) = outbox()
    with database.connection_context():
        _outbox.dispatch(row.id, org["id"], 1)  # e.g. its first holder died after delivering, before acknowledging
    assert drain() == 2
    assert len(receiver.received) == 1
    assert attempts(row.id) == [(1, "succeeded", 200)]


def test_an_attempt_interrupted_by_its_process_dying_is_recorded_and_the_next_one_follows(
        client, tenants, org, receiver, queued):
    add_webhook(client, tenants, org, receiver.url)
    rename(client, tenants, org, "Acme Two")
    (row,) = outbox()
    with database.connection_context():
        assert _outbox.begin(row.id, 1) is not None  # attempt 1 begun; its process dies before the answer
    assert drain() == 1  # the same job, taken over
    assert attempts(row.id) == [(1, "failed", None), (2, "succeeded", 200)]
    with database.connection_context():
        interrupted = WebhookDelivery.get((WebhookDelivery.outbound_id == row.id) & (WebhookDelivery.attempt == 1))
    assert interrupted.error == _outbox.INTERRUPTED
    (row,) = outbox()
    assert (row.status, row.attempts, row.finished) == ("delivered", 2, 2)
    assert [r["headers"]["Backlex-Webhook-Id"] for r in receiver.received] == [row.id]


def test_a_failed_attempt_is_one_log_line_naming_the_delivery(client, tenants, org, receiver, queued, caplog):
    add_webhook(client, tenants, org, receiver.url)
    receiver.statuses = [503]
    rename(client, tenants, org, "Acme Two")
    caplog.set_level(logging.INFO)
    assert drain() == 1
    (row,) = outbox()
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1 and row.id in failures[0].getMessage() and failures[0].exc_info is None
    assert "attempt 1 of 6 failed: HTTP 503" in failures[0].getMessage()
    assert (row.status, row.finished, row.next_attempt_at > row.created_at) == ("pending", 1, True)
    assert _jobs.DELIVERIES.scheduled_count() == 1  # attempt 2, in 30 s


def test_a_deleted_webhook_cancels_its_pending_deliveries(client, tenants, org, receiver, queued):
    webhook = add_webhook(client, tenants, org, receiver.url)
    rename(client, tenants, org, "Acme Two")
    client.delete(f"/api/org/{org['slug']}/webhooks/{webhook['id']}", cookies=as_role(tenants, "admin"))
    assert drain() == 1
    (row,) = outbox()
    assert row.status == "cancelled" and receiver.received == []


def test_a_delivery_job_queued_before_the_outbox_is_adopted(client, tenants, org, receiver):
    webhook = add_webhook(client, tenants, org, receiver.url)
    payload = {"id": "evt-legacy", "type": "org.updated", "createdAt": "2026-01-01T00:00:00.000Z",
               "data": {"orgId": org["id"]}}
    with database.connection_context():
        _webhooks.deliver(webhook["id"], payload)  # as an old queued job would run (inline here)
        _webhooks.deliver(webhook["id"], payload)  # twice: adopted once
    (row,) = outbox()
    assert row.event_id == "evt-legacy" and row.status == "delivered"
    assert [r["body"]["id"] for r in receiver.received] == ["evt-legacy"]


def test_integrations_with_nothing_to_send_get_no_outbox_row(client, tenants, org, queued):
    response = client.post(f"/api/org/{org['slug']}/integrations",
                           json={"kind": "github", "config": {"installationId": 7}, "events": ["*"]},
                           cookies=as_role(tenants, "admin"))
    assert response.status_code == 201, response.text
    rename(client, tenants, org, "Acme Two")
    assert outbox() == []


def test_retry_delays_double_from_30_seconds():
    assert [_outbox.retry_delay(attempt) for attempt in range(1, _outbox.MAX_ATTEMPTS)] == [30, 60, 120, 240, 480]
