"""Outbound events: signed webhook deliveries and integration messages.

Every event recorded through ``_events.record`` is written to the outbox (``_outbox``, in the
same transaction) for each of the org's webhooks and integrations whose patterns match it; the
dispatcher sends it from there, so the request never waits on a receiver. A webhook delivery
is a real HTTP POST of ``{id, type, createdAt, data}`` with ``Backlex-Signature: t=<unix
seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the webhook secret>`` (Stripe's scheme)
and ``Backlex-Webhook-Id``, the delivery's id: the same on every attempt of that event to that
webhook, so a receiver drops a duplicate by it. A non-2xx answer or a network error is retried
with exponential backoff; every attempt is a delivery row.

Targets in private, loopback, link-local or reserved ranges are refused, both when a URL is
saved and at delivery time (after DNS resolution; the connection then goes to the address
that was checked), unless ``ALLOW_PRIVATE_WEBHOOK_TARGETS=1``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlparse

import httpx

from generated.backlex import models
from handlers.backlex import _jobs
from handlers.backlex._jobs import job
from handlers.backlex.store import AuditEvent, Integration, Webhook, WebhookDelivery
from spec_server import addresses, clock
from spec_server.db import write_transaction

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Backlex-Signature"
DELIVERY_ID_HEADER = "Backlex-Webhook-Id"
TIMEOUT_SECONDS = 10.0
RESPONSE_EXCERPT = 500
REFUSED = "Refused: "  # the error of an attempt whose target is not allowed (never retried)


class TargetRefused(Exception):
    """The target is not a public address (or cannot be resolved)."""


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


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every delivery: building one (the CA bundle) cost 20 ms a client,
    more than a delivery's own work."""
    return httpx.create_ssl_context()


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
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, verify=_tls()) as client:
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


def _post(url: str, body: bytes, headers: dict) -> dict:
    """POST and answer {statusCode, durationMs, error}; never raises."""
    started = time.monotonic()
    outcome: dict[str, Any] = {"statusCode": None, "durationMs": 0, "error": None}
    try:
        response = send(url, content=body, headers=headers)
        outcome["statusCode"] = response.status_code
        if not 200 <= response.status_code < 300:
            outcome["error"] = f"HTTP {response.status_code}: {response.text[:RESPONSE_EXCERPT]}"
    except TargetRefused as refusal:
        outcome["error"] = f"{REFUSED}{refusal}"
    except httpx.HTTPError as error:
        outcome["error"] = f"{error.__class__.__name__}: {error}"[:RESPONSE_EXCERPT]
    outcome["durationMs"] = int((time.monotonic() - started) * 1000)
    return outcome


def post_signed(webhook: Webhook, payload: dict, delivery_id: str) -> dict:
    """POST one signed delivery; answers {statusCode, durationMs, error}. Never raises."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "backlex-webhooks/1",
               "Backlex-Event": payload["type"], DELIVERY_ID_HEADER: delivery_id,
               SIGNATURE_HEADER: sign(webhook.secret, body, int(time.time()))}
    return _post(webhook.url, body, headers)


def was_refused(outcome: dict) -> bool:
    return (outcome["error"] or "").startswith(REFUSED)


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


def post_integration(integration: Integration, payload: dict) -> dict | None:
    """Send an integration's message; answers {statusCode, durationMs, error}, or None when
    the integration has nothing to send (GitHub). Never raises."""
    request = integration_request(integration, payload)
    if not request:
        return None
    url, body, headers = request
    return _post(url, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})


# --- jobs queued before the outbox ----------------------------------------------------------
# A database upgraded with deliveries still queued holds jobs of these names: each becomes its
# outbox row (once, whichever runs first) and the dispatcher sends it.

@job(_jobs.LIFECYCLE)
def deliver(webhook_id: str, payload: dict, task=None) -> None:
    from handlers.backlex import _outbox

    _outbox.adopt("webhook", webhook_id, payload)


@job(_jobs.LIFECYCLE)
def notify_integration(integration_id: str, payload: dict) -> None:
    from handlers.backlex import _outbox

    _outbox.adopt("integration", integration_id, payload)
