"""Outbound events: signed webhook deliveries and integration messages, as queue jobs.

Every event recorded through ``_events.record`` is fanned out (inside the same transaction)
to the org's webhooks and integrations whose patterns match it; each delivery is a job, so
the request never waits on a receiver. A webhook delivery is a real HTTP POST of
``{id, type, createdAt, data}`` with ``Backlex-Signature: t=<unix seconds>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>" under the webhook secret>`` (Stripe's scheme). A non-2xx answer
or a network error is retried with exponential backoff; every attempt is a delivery row.

Targets in private, loopback, link-local or reserved ranges are refused, both when a URL is
saved and at delivery time (after DNS resolution; the connection then goes to the address
that was checked), unless ``ALLOW_PRIVATE_WEBHOOK_TARGETS=1``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import time
from typing import Any
from urllib.parse import urlparse

import httpx

from generated.backlex import models
from handlers.backlex import _events
from handlers.backlex._jobs import job
from handlers.backlex.store import AuditEvent, Integration, Webhook, WebhookDelivery
from spec_server import addresses, clock
from spec_server.db import write_transaction

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Backlex-Signature"
TIMEOUT_SECONDS = 10.0
MAX_RETRIES = 5  # six attempts in all
RETRY_DELAY_SECONDS = 30  # then 60, 120, 240, 480
RESPONSE_EXCERPT = 500


class TargetRefused(Exception):
    """The target is not a public address (or cannot be resolved)."""


class DeliveryFailed(Exception):
    """Raised so the queue retries the delivery."""


# --- patterns ---------------------------------------------------------------------------

def matches(patterns: list[str] | None, event_type: str) -> bool:
    """``None``/``[]`` or ``*`` = every event; ``alarm.*`` = a prefix; anything else is exact."""
    if not patterns:
        return True
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


# --- signing ----------------------------------------------------------------------------

def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does (used by our tests; receivers may use any Stripe-style verifier)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- target checks ----------------------------------------------------------------------

def private_targets_allowed() -> bool:
    return os.environ.get("ALLOW_PRIVATE_WEBHOOK_TARGETS") == "1"


def _is_public(address: str) -> bool:
    return addresses.is_public(address)  # IPv4 inside IPv6 unwrapped (spec_server/addresses.py)


def check_url(url: str, *, resolve: bool) -> list[str]:
    """Refuse non-http(s) URLs and non-public targets; answers the addresses checked.

    With ``resolve`` every address the hostname resolves to must be public; without it only
    literal addresses and ``localhost`` are checked (a name that does not resolve yet may
    still be saved). With ALLOW_PRIVATE_WEBHOOK_TARGETS=1 nothing is refused or resolved ([])."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise TargetRefused("The URL must be an absolute http(s) URL")
    if private_targets_allowed():
        return []
    host = parsed.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise TargetRefused("The target is a loopback host")
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        if not resolve:
            return []
        try:
            infos = socket.getaddrinfo(host, parsed.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise TargetRefused(f"The target host {host} does not resolve") from None
        addresses = sorted({info[4][0] for info in infos})  # type: ignore[misc]  # IP sockaddrs start with a str
    for address in addresses:
        if not _is_public(address):
            raise TargetRefused(f"The target resolves to a non-public address ({address})")
    return addresses


def send(url: str, *, content: bytes, headers: dict) -> httpx.Response:
    """POST to ``url`` after checking it, connected to the very address that was checked
    (the name is not looked up twice, so DNS cannot point it elsewhere in between); TLS still
    verifies the certificate against the hostname. Raises TargetRefused or httpx.HTTPError."""
    parsed = urlparse(url)
    addresses = check_url(url, resolve=True)
    extensions = {}
    if addresses and parsed.hostname not in addresses:
        address = addresses[0]
        host = f"[{address}]" if ":" in address else address
        headers = {**headers, "Host": parsed.netloc.rsplit("@", 1)[-1]}
        url = parsed._replace(netloc=f"{host}:{parsed.port}" if parsed.port else host).geturl()
        if parsed.scheme == "https":
            extensions["sni_hostname"] = parsed.hostname
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        request = client.build_request("POST", url, content=content, headers=headers, extensions=extensions)
        return client.send(request)


def check_saved_url(url: str) -> None:
    """When a URL is saved: resolve it if possible; unresolvable names are checked at delivery."""
    try:
        check_url(url, resolve=True)
    except TargetRefused as refusal:
        if "does not resolve" not in str(refusal):
            raise


# --- payloads ---------------------------------------------------------------------------

def event_payload(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "type": event.action,
        "createdAt": clock.iso(event.created_at),
        "data": {"orgId": event.org_id, "targetType": event.target_type, "targetId": event.target_id,
                 "actor": event.actor_email, **(event.metadata or {})},
    }


def post_signed(webhook: Webhook, payload: dict) -> dict:
    """POST one signed delivery; answers {statusCode, durationMs, error}. Never raises."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    started = time.monotonic()
    outcome: dict[str, Any] = {"statusCode": None, "durationMs": 0, "error": None}
    try:
        headers = {"Content-Type": "application/json", "User-Agent": "backlex-webhooks/1",
                   "Backlex-Event": payload["type"], "Backlex-Webhook-Id": webhook.id,
                   SIGNATURE_HEADER: sign(webhook.secret, body, int(time.time()))}
        response = send(webhook.url, content=body, headers=headers)
        outcome["statusCode"] = response.status_code
        if not 200 <= response.status_code < 300:
            outcome["error"] = f"HTTP {response.status_code}: {response.text[:RESPONSE_EXCERPT]}"
    except TargetRefused as refusal:
        outcome["error"] = f"Refused: {refusal}"
    except httpx.HTTPError as error:
        outcome["error"] = f"{error.__class__.__name__}: {error}"[:RESPONSE_EXCERPT]
    outcome["durationMs"] = int((time.monotonic() - started) * 1000)
    return outcome


def record_attempt(webhook: Webhook, payload: dict, outcome: dict, attempt: int, *,
                   is_test=False) -> WebhookDelivery:
    with write_transaction():
        return WebhookDelivery.create(
            org=webhook.org_id, webhook_id=webhook.id, event_id=payload["id"], event_type=payload["type"],
            attempt=attempt, status="succeeded" if outcome["error"] is None else "failed",
            status_code=outcome["statusCode"], duration_ms=outcome["durationMs"],
            error=outcome["error"], is_test=is_test, created_at=clock.now_ms())


def delivery_view(delivery: WebhookDelivery) -> models.WebhookDelivery:
    return {
        "id": delivery.id,
        "webhookId": delivery.webhook_id,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "attempt": delivery.attempt,
        "status": delivery.status,
        "statusCode": delivery.status_code,
        "durationMs": delivery.duration_ms,
        "error": delivery.error,
        "test": bool(delivery.is_test),
        "createdAt": clock.iso(delivery.created_at),
    }


# --- jobs -------------------------------------------------------------------------------

@job(retries=MAX_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2, context=True)
def deliver(webhook_id: str, payload: dict, task=None) -> None:
    webhook = Webhook.get_or_none(Webhook.id == webhook_id)
    if webhook is None or not webhook.active:
        return  # deleted since: nothing to deliver
    attempt = MAX_RETRIES - (task.retries if task else MAX_RETRIES) + 1
    outcome = post_signed(webhook, payload)
    record_attempt(webhook, payload, outcome, attempt)
    if outcome["error"] is not None and not outcome["error"].startswith("Refused"):
        raise DeliveryFailed(outcome["error"])  # the queue retries with backoff


def integration_request(integration: Integration, payload: dict) -> tuple[str, dict, dict] | None:
    """(url, json, headers) of the message an integration sends, or None (GitHub: nothing to push)."""
    text = f"[backlex] {payload['type']}: {json.dumps(payload['data'], sort_keys=True)[:1500]}"
    config = integration.config or {}
    if integration.kind == "slack":
        return config["webhookUrl"], {"text": text}, {}
    if integration.kind == "discord":
        return config["webhookUrl"], {"content": text[:2000]}, {}
    if integration.kind == "datadog":
        return (f"https://api.{config['site']}/api/v1/events",
                {"title": payload["type"], "text": text, "tags": [f"org:{payload['data']['orgId']}"]},
                {"DD-API-KEY": config["apiKey"]})
    return None


@job(retries=MAX_RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2)
def notify_integration(integration_id: str, payload: dict) -> None:
    integration = Integration.get_or_none(Integration.id == integration_id)
    request = integration and integration_request(integration, payload)
    if not request:
        return
    url, body, headers = request
    try:
        response = send(url, content=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json", **headers})
    except TargetRefused as refusal:
        log.warning("integration %s target refused: %s", integration_id, refusal)
        return
    except httpx.HTTPError as error:
        raise DeliveryFailed(str(error)) from error
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")


# --- fan-out ----------------------------------------------------------------------------

@_events.subscribe
def fan_out(event: AuditEvent) -> None:
    """Enqueue a delivery per matching webhook and integration of the event's org."""
    payload = None
    for webhook in Webhook.select().where((Webhook.org == event.org_id) & Webhook.active):
        if matches(webhook.events, event.action):
            payload = payload or event_payload(event)
            deliver(webhook.id, payload)
    for integration in Integration.select().where(Integration.org == event.org_id):
        if matches(integration.events, event.action):
            payload = payload or event_payload(event)
            notify_integration(integration.id, payload)
