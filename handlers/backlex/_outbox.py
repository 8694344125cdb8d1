"""The outbox: an event's deliveries are written with the event and sent by a dispatcher.

``queue_deliveries`` (an ``_events`` subscriber) runs in the transaction of the change that
caused the event: one ``OutboundDelivery`` row per matching webhook and integration, and a
``dispatch`` job (the ``DELIVERIES`` lane) for each. They commit or roll back with the change,
so nothing acknowledged to a client is lost, and nothing rolled back is sent.

``dispatch(delivery_id, org_id, attempt)`` makes attempt ``attempt`` of one delivery. The row
decides, not the job, so a job that runs twice is harmless:

- ``attempts`` (begun) and ``finished`` (recorded) tell a duplicate job (a no-op) from the one
  that is due; an attempt begun by a consumer that died before recording it is recorded as
  failed ("Interrupted", the receiver may have had it) by the next run, which goes on with the
  next attempt;
- an attempt's outcome and the job for the next attempt are written in one transaction;
- 2xx: ``delivered``. A refused target: ``failed``, not retried. Anything else is retried 30 s
  later, then doubling, ``MAX_ATTEMPTS`` attempts in all (about 31 minutes), then ``failed``.
  A webhook or integration deleted meanwhile (or a webhook deactivated): ``cancelled``.

Every attempt of a webhook delivery is a ``WebhookDelivery`` row (what the API lists); a
failed one is also one log line naming the delivery. Each request carries the delivery's id
as ``Backlex-Webhook-Id``, the same on every attempt: a receiver drops a duplicate by it.
"""

from __future__ import annotations

import logging

from handlers.backlex import _events, _jobs, _webhooks
from handlers.backlex._jobs import job
from handlers.backlex.store import AuditEvent, Integration, OutboundDelivery, Webhook, WebhookDelivery
from spec_server import clock, db
from spec_server.db import ordered_id, write_transaction

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
INTERRUPTED = "Interrupted: the process sending this attempt stopped before its answer was recorded"


def retry_delay(attempt: int) -> int:
    """Seconds between attempt ``attempt`` and the next: 30, 60, 120, 240, 480."""
    return FIRST_RETRY_SECONDS * 2 ** (attempt - 1)


# --- writing the outbox (in the change's transaction) ----------------------------------------

@_events.subscribe
def queue_deliveries(event: AuditEvent) -> None:
    """One outbox row and one dispatcher job per webhook and integration the event matches."""
    payload = _webhooks.event_payload(event)
    targets = [("webhook", webhook.id) for webhook in
               Webhook.select(Webhook.id, Webhook.events).where((Webhook.org == event.org_id) & Webhook.active)
               if _webhooks.matches(webhook.events, event.action)]
    targets += [("integration", integration.id) for integration in
                Integration.select().where(Integration.org == event.org_id)
                if _webhooks.matches(integration.events, event.action)
                and _webhooks.integration_request(integration, payload) is not None]  # GitHub: nothing to push
    if not targets:
        return
    now = clock.now_ms()
    rows = [{"id": ordered_id(), "org": event.org_id, "target_kind": kind, "target_id": target_id,
             "event_id": event.id, "event_type": event.action, "payload": payload,
             "created_at": now, "next_attempt_at": now} for kind, target_id in targets]
    OutboundDelivery.insert_many(rows).execute()
    for row in rows:
        dispatch(row["id"], event.org_id, 1)


def adopt(target_kind: str, target_id: str, payload: dict) -> None:
    """A delivery job queued before the outbox existed becomes its outbox row (once)."""
    with write_transaction():
        if OutboundDelivery.get_or_none((OutboundDelivery.target_id == target_id)
                                        & (OutboundDelivery.event_id == payload["id"])):
            return
        now = clock.now_ms()
        org_id = payload["data"]["orgId"]
        row = OutboundDelivery.create(org=org_id, target_kind=target_kind, target_id=target_id,
                                      event_id=payload["id"], event_type=payload["type"], payload=payload,
                                      created_at=now, next_attempt_at=now)
        dispatch(row.id, org_id, 1)


# --- the dispatcher ---------------------------------------------------------------------------

def _target(row: OutboundDelivery):
    if row.target_kind == "webhook":
        webhook = Webhook.get_or_none(Webhook.id == row.target_id)
        return webhook if webhook is not None and webhook.active else None
    return Integration.get_or_none(Integration.id == row.target_id)


def _close(row: OutboundDelivery, status: str, error: str | None = None, **changes) -> None:
    OutboundDelivery.update(status=status, last_error=error, finished_at=clock.now_ms(), **changes).where(
        OutboundDelivery.id == row.id).execute()


def _record(row: OutboundDelivery, attempt: int, outcome: dict) -> None:
    """The attempt's delivery row (webhooks), replacing an "Interrupted" one of the same attempt."""
    if row.target_kind != "webhook":
        return
    fields = {"status": "succeeded" if outcome["error"] is None else "failed", "status_code": outcome["statusCode"],
              "duration_ms": outcome["durationMs"], "error": outcome["error"]}
    updated = WebhookDelivery.update(**fields).where(
        (WebhookDelivery.outbound_id == row.id) & (WebhookDelivery.attempt == attempt)).execute()
    if not updated:
        WebhookDelivery.create(org=row.org_id, webhook_id=row.target_id, outbound_id=row.id, event_id=row.event_id,
                               event_type=row.event_type, attempt=attempt, created_at=clock.now_ms(), **fields)


def begin(delivery_id: str, attempt: int) -> tuple[OutboundDelivery, object, int] | None:
    """Claim attempt ``attempt`` (or the one after an interrupted one): the row, its target and
    the attempt's number, or None when there is nothing for this job to do."""
    with write_transaction():
        row = OutboundDelivery.get_or_none(OutboundDelivery.id == delivery_id)
        if row is None or row.status != "pending":
            return None
        if row.attempts == attempt and row.finished == attempt - 1:  # its consumer died mid-attempt
            _record(row, attempt, {"statusCode": None, "durationMs": 0, "error": INTERRUPTED})
            log.warning("delivery %s attempt %d of %d interrupted (its process stopped)", row.id, attempt, MAX_ATTEMPTS)
            if attempt >= MAX_ATTEMPTS:
                _close(row, "failed", INTERRUPTED, finished=attempt)
                return None
            OutboundDelivery.update(finished=attempt).where(OutboundDelivery.id == row.id).execute()
            attempt += 1
        elif row.attempts != attempt - 1 or row.finished != attempt - 1:
            return None  # a duplicate: this attempt is done, or a later one has begun
        target = _target(row)
        if target is None:
            _close(row, "cancelled", "The target was deleted")
            return None
        begun = OutboundDelivery.update(attempts=attempt).where(
            (OutboundDelivery.id == row.id) & (OutboundDelivery.attempts == attempt - 1)).execute()
        return (row, target, attempt) if begun else None


def finish(row: OutboundDelivery, target, attempt: int, outcome: dict) -> None:
    """Record the attempt and decide what follows, in one transaction (the next attempt's job too)."""
    with write_transaction():
        _record(row, attempt, outcome)
        current = OutboundDelivery.get_by_id(row.id)
        if current.status != "pending" or current.attempts != attempt:
            return  # another consumer took this delivery over meanwhile
        error = outcome["error"]
        if error is None:
            _close(row, "delivered", None, finished=attempt)
            return
        if _webhooks.was_refused(outcome) or attempt >= MAX_ATTEMPTS:
            _close(row, "failed", error, finished=attempt)
            log.warning("delivery %s (%s %s, event %s) failed for good at attempt %d of %d: %s",
                        row.id, row.target_kind, row.target_id, row.event_id, attempt, MAX_ATTEMPTS, error)
            return
        delay = retry_delay(attempt)
        OutboundDelivery.update(finished=attempt, last_error=error, next_attempt_at=clock.now_ms() + delay * 1000).where(
            OutboundDelivery.id == row.id).execute()
        dispatch.schedule(args=(row.id, row.org_id, attempt + 1), delay=delay)
        log.warning("delivery %s (%s %s, event %s) attempt %d of %d failed: %s; next in %d s",
                    row.id, row.target_kind, row.target_id, row.event_id, attempt, MAX_ATTEMPTS, error, delay)


def send(row: OutboundDelivery, target) -> dict:
    if row.target_kind == "webhook":
        return _webhooks.post_signed(target, row.payload, row.id)
    return _webhooks.post_integration(target, row.payload) or {"statusCode": None, "durationMs": 0, "error": None}


# an error here is the store's (the send never raises): retried; given up, the repair sweep
# (``_repair``) wakes the delivery again, as it is still pending. No connection is held while
# the target answers (up to 10 s).
@job(_jobs.DELIVERIES, retries=5, retry_delay=2, connected=False)
def dispatch(delivery_id: str, org_id: str | None = None, attempt: int = 1) -> None:
    with db.connection():
        begun = begin(delivery_id, attempt)
    if begun is None:
        return
    row, target, number = begun
    outcome = send(row, target)
    with db.connection():
        finish(row, target, number, outcome)
