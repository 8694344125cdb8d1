"""backlex — Integrations: operations tagged 'Integrations'.

Org API keys, integrations (Slack, Discord, Datadog, GitHub) and webhooks. Deliveries are
written to the outbox with their event and sent by its dispatcher (``_outbox``, over
``_webhooks``); notifications delegate to ``_notifications``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from generated.backlex import models
from handlers.backlex import (
    _events,
    _notifications,
    _outbox,  # noqa: F401 - its subscriber writes every event's deliveries
    _webhooks,
)
from handlers.backlex._api import current_org
from handlers.backlex.store import Integration, OrgApiKey, Webhook, WebhookDelivery
from spec_server import clock, context, credentials
from spec_server.choices import Keyed
from spec_server.db import new_id, write_transaction
from spec_server.errors import NotFound, Unprocessable
from spec_server.offload import waits_on_the_network
from spec_server.typed_bodies import with_undeclared

API_KEY_PREFIX = "pak_"
WEBHOOK_SECRET_PREFIX = "whsec_"
DAY_MS = 86_400_000
DELIVERY_LIST_LIMIT = 100
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
DATADOG_SITES = ("datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
                 "ap1.datadoghq.com", "ddog-gov.com")


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, details={"formErrors": [], "fieldErrors": {field: [message]}})


def _check_patterns(field: str, patterns: list[str] | None) -> list[str] | None:
    for pattern in patterns or []:
        if not EVENT_PATTERN.match(pattern):
            raise _invalid(field, f"{pattern!r} is not an event pattern (e.g. alarm.fired, alarm.*, *)")
    return patterns


# --- org API keys ---------------------------------------------------------------------------

def api_key_view(key: OrgApiKey) -> models.ApiKey:
    now = clock.now_ms()
    return {"id": key.id, "name": key.name, "prefix": key.key_prefix, "scope": key.scope,
            "mcpTools": key.mcp_tools or [], "createdBy": key.created_by,
            "createdAt": clock.iso(key.created_at), "expiresAt": clock.iso(key.expires_at),
            "expired": key.expires_at is not None and key.expires_at <= now,
            "lastUsedAt": clock.iso(key.last_used_at)}


def get_org_api_keys(slug) -> tuple[models.GetOrgApiKeysResponse200, int]:
    keys = (OrgApiKey.select().where((OrgApiKey.org == current_org()) & OrgApiKey.revoked_at.is_null())
            .order_by(OrgApiKey.created_at.desc(), OrgApiKey.id))
    return {"keys": [api_key_view(k) for k in keys]}, 200


def post_org_api_keys(slug, body) -> tuple[models.PostOrgApiKeysResponse201, int]:
    org = current_org()
    name = body["name"].strip()
    if not name:
        raise _invalid("name", "Name must not be blank")
    tools = [tool.strip() for tool in body.get("mcpTools") or [] if tool.strip()]  # blanks dropped
    secret = credentials.mint(API_KEY_PREFIX, 32)
    now = clock.now_ms()
    days = body.get("expiresInDays")
    with write_transaction():
        key = OrgApiKey.create(org=org, name=name, scope=body["scope"], key_digest=credentials.digest(secret),
                               key_prefix=secret[:12], mcp_tools=sorted(set(tools)),
                               created_by=context.caller().email, created_at=now,
                               expires_at=now + days * DAY_MS if days else None)
        _events.record(org, "api_key.created", target_type="api_key", target_id=key.id,
                       metadata={"name": name, "scope": key.scope, "prefix": key.key_prefix})
    return {"key": {**api_key_view(key), "secret": secret}}, 201


def delete_org_api_key(slug, id_):
    org = current_org()
    with write_transaction():
        key = OrgApiKey.get_or_none((OrgApiKey.id == id_) & (OrgApiKey.org == org) & OrgApiKey.revoked_at.is_null())
        if key is None:
            raise NotFound("API key not found")
        OrgApiKey.update(revoked_at=clock.now_ms()).where(OrgApiKey.id == key.id).execute()
        _events.record(org, "api_key.revoked", target_type="api_key", target_id=key.id,
                       metadata={"name": key.name, "prefix": key.key_prefix})
    return None, 204


def authenticate_api_key(token: str) -> OrgApiKey | None:
    """The live key a ``Bearer pak_...`` token names (recording its use), or None.

    No operation of the document accepts org keys yet; this is the check a data plane or
    MCP endpoint calls."""
    if not token.startswith(API_KEY_PREFIX):
        return None
    key = OrgApiKey.get_or_none((OrgApiKey.key_digest == credentials.digest(token)) & OrgApiKey.revoked_at.is_null())
    now = clock.now_ms()
    if key is None or (key.expires_at is not None and key.expires_at <= now):
        return None
    with write_transaction():
        OrgApiKey.update(last_used_at=now).where(OrgApiKey.id == key.id).execute()
    return OrgApiKey.get_by_id(key.id)


# --- integrations ---------------------------------------------------------------------------

def _https_url(field: str, value, hosts: tuple[str, ...], path_prefix: str) -> str:
    parsed = urlparse(value) if isinstance(value, str) else None
    if (parsed is None or parsed.scheme != "https" or parsed.hostname not in hosts
            or not parsed.path.startswith(path_prefix) or len(parsed.path) <= len(path_prefix)):
        raise _invalid(field, f"Must be an incoming-webhook URL https://{hosts[0]}{path_prefix}...")
    try:  # the provider's name must resolve to public addresses, as a webhook's must
        _webhooks.check_saved_url(value)
    except _webhooks.TargetRefused as refusal:
        raise _invalid(field, str(refusal)) from None
    return value


CONFIG_FIELDS = {"slack": {"webhookUrl", "channel"}, "discord": {"webhookUrl"},
                 "datadog": {"apiKey", "site"}, "github": {"installationId", "repository"}}


def _validate_config(kind: str, config: dict) -> dict:
    """Per-kind config; unknown keys are refused so a typo never passes silently."""
    fields = CONFIG_FIELDS[kind]
    unknown = sorted(set(config) - fields)
    if unknown:
        raise _invalid("config", f"Unknown {kind} settings: {', '.join(unknown)}")
    if kind == "slack":
        clean: dict[str, Any] = {"webhookUrl": _https_url("config.webhookUrl", config.get("webhookUrl"),
                                                          ("hooks.slack.com",), "/services/")}
        if config.get("channel") is not None:
            if not isinstance(config["channel"], str) or not re.match(r"^#?[a-z0-9._-]{1,80}$", config["channel"]):
                raise _invalid("config.channel", "Not a Slack channel name")
            clean["channel"] = config["channel"]
        return clean
    if kind == "discord":
        return {"webhookUrl": _https_url("config.webhookUrl", config.get("webhookUrl"),
                                         ("discord.com", "discordapp.com"), "/api/webhooks/")}
    if kind == "datadog":
        api_key, site = config.get("apiKey"), config.get("site", "datadoghq.com")
        if not isinstance(api_key, str) or not re.match(r"^[0-9a-f]{32}$", api_key):
            raise _invalid("config.apiKey", "A Datadog API key is 32 hexadecimal characters")
        if site not in DATADOG_SITES:
            raise _invalid("config.site", f"site must be one of {', '.join(DATADOG_SITES)}")
        return {"apiKey": api_key, "site": site}
    installation = config.get("installationId")
    if isinstance(installation, str) and installation.isdigit():
        installation = int(installation)
    if isinstance(installation, bool) or not isinstance(installation, int) or installation <= 0:
        raise _invalid("config.installationId", "A GitHub App installation id is a positive integer")
    clean = {"installationId": installation}
    if config.get("repository") is not None:
        if not isinstance(config["repository"], str) or not re.match(r"^[\w.-]+/[\w.-]+$", config["repository"]):
            raise _invalid("config.repository", "Use owner/name")
        clean["repository"] = config["repository"]
    return clean


SECRET_FIELDS = {"slack": ("webhookUrl",), "discord": ("webhookUrl",), "datadog": ("apiKey",), "github": ()}
KEYED = (Keyed(__name__, "CONFIG_FIELDS", CONFIG_FIELDS, "post_org_integrations", "kind"),
         Keyed(__name__, "SECRET_FIELDS", SECRET_FIELDS, "post_org_integrations", "kind"))


def _mask(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme and parsed.hostname:
        return f"{parsed.scheme}://{parsed.hostname}/…{value[-4:]}"
    return "…" + value[-4:]


def integration_view(integration: Integration) -> models.Integration:
    config = dict(integration.config or {})
    for field in SECRET_FIELDS[integration.kind]:
        if field in config:
            config[field] = _mask(config[field])
    return {"id": integration.id, "kind": integration.kind, "config": config,
            "events": integration.events, "createdAt": clock.iso(integration.created_at)}


def get_org_integrations(slug) -> tuple[models.GetOrgIntegrationsResponse200, int]:
    integrations = (Integration.select().where(Integration.org == current_org())
                    .order_by(Integration.created_at, Integration.id))
    return {"integrations": [integration_view(i) for i in integrations]}, 200


def post_org_integrations(slug, body) -> tuple[models.PostOrgIntegrationsResponse201, int]:
    org = current_org()
    config = _validate_config(body["kind"], body.get("config") or {})
    events = _check_patterns("events", body.get("events"))
    with write_transaction():
        integration = Integration.create(org=org, kind=body["kind"], config=config,
                                         events=events or None, created_at=clock.now_ms())
        _events.record(org, "integration.connected", target_type="integration", target_id=integration.id,
                       metadata={"kind": integration.kind})
    return {"integration": integration_view(integration)}, 201


def delete_org_integration(slug, id_):
    org = current_org()
    with write_transaction():
        integration = Integration.get_or_none((Integration.id == id_) & (Integration.org == org))
        if integration is None:
            raise NotFound("Integration not found")
        integration.delete_instance()
        _events.record(org, "integration.disconnected", target_type="integration", target_id=integration.id,
                       metadata={"kind": integration.kind})
    return None, 204


# --- notifications (the per-user inbox lives in _notifications) -----------------------------

def get_org_notifications(slug, limit=None) -> tuple[models.GetOrgNotificationsResponse200, int]:
    """GET /api/org/{slug}/notifications"""
    return _notifications.list_notifications(limit)


def post_org_notifications_read_all(slug) -> tuple[models.PostOrgNotificationsReadAllResponse200, int]:
    """POST /api/org/{slug}/notifications/read-all"""
    return _notifications.mark_all_read()


def post_org_notification_read(slug, id_) -> tuple[models.PostOrgNotificationReadResponse200, int]:
    """POST /api/org/{slug}/notifications/{id}/read"""
    return _notifications.mark_read(id_)


# --- webhooks -------------------------------------------------------------------------------

def webhook_view(webhook: Webhook) -> models.Webhook:
    return {"id": webhook.id, "url": webhook.url, "events": webhook.events, "active": bool(webhook.active),
            "secretPrefix": webhook.secret_prefix, "createdAt": clock.iso(webhook.created_at)}


def _find_webhook(webhook_id: str) -> Webhook:
    webhook = Webhook.get_or_none((Webhook.id == webhook_id) & (Webhook.org == current_org()))
    if webhook is None:
        raise NotFound("Webhook not found")
    return webhook


def get_org_webhooks(slug) -> tuple[models.GetOrgWebhooksResponse200, int]:
    webhooks = Webhook.select().where(Webhook.org == current_org()).order_by(Webhook.created_at, Webhook.id)
    return {"webhooks": [webhook_view(w) for w in webhooks]}, 200


def post_org_webhooks(slug, body) -> tuple[models.PostOrgWebhooksResponse201, int]:
    org = current_org()
    url = body["url"].strip()
    try:
        _webhooks.check_saved_url(url)
    except _webhooks.TargetRefused as refusal:
        raise _invalid("url", str(refusal)) from None
    events = _check_patterns("events", body["events"])
    secret = credentials.mint(WEBHOOK_SECRET_PREFIX, 24)
    with write_transaction():
        webhook = Webhook.create(org=org, url=url, events=events, secret=secret,
                                 secret_prefix=secret[:10], created_at=clock.now_ms())
        _events.record(org, "webhook.created", target_type="webhook", target_id=webhook.id,
                       metadata={"url": url, "events": events})
    return {"webhook": {**webhook_view(webhook), "secret": secret}}, 201


def delete_org_webhook(slug, id_):
    org = current_org()
    with write_transaction():
        webhook = _find_webhook(id_)
        webhook.delete_instance()  # its deliveries stay listed (they name the webhook by id)
        _events.record(org, "webhook.deleted", target_type="webhook", target_id=webhook.id,
                       metadata={"url": webhook.url})
    return None, 204


@waits_on_the_network  # the delivery is sent now, and its target may take its 10 s
def post_org_webhook_test(slug, id_) -> tuple[models.PostOrgWebhookTestResponse200, int]:
    """Send one real, signed ``webhook.test`` delivery now and answer its outcome."""
    webhook = _find_webhook(id_)
    payload = {"id": "evt_test_" + credentials.mint("", 8), "type": "webhook.test",
               "createdAt": clock.iso(clock.now_ms()),
               "data": {"orgId": webhook.org_id, "webhookId": webhook.id, "message": "Test delivery from backlex"}}
    outcome = _webhooks.post_signed(webhook, payload, new_id())
    delivery = _webhooks.record_attempt(webhook, payload, outcome, 1, is_test=True)
    body: models.PostOrgWebhookTestResponse200 = {"ok": outcome["error"] is None}
    return with_undeclared(body, deliveryId=delivery.id, statusCode=outcome["statusCode"],
                           durationMs=outcome["durationMs"], error=outcome["error"]), 200


def get_org_webhook_deliveries(slug,
                               webhook_id=None) -> tuple[models.GetOrgWebhookDeliveriesResponse200, int]:
    query = WebhookDelivery.org == current_org()
    if webhook_id:
        query &= WebhookDelivery.webhook_id == webhook_id
    deliveries = (WebhookDelivery.select().where(query)
                  .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.attempt.desc())
                  .limit(DELIVERY_LIST_LIMIT))
    return {"deliveries": [_webhooks.delivery_view(d) for d in deliveries]}, 200
