"""Org API keys, integrations, webhooks and their deliveries."""

from __future__ import annotations

from typing import Any

import peewee

from handlers.backlex.store.core import Org
from spec_server.db import BaseModel, ForeignKeyId, JSONField, new_id, ordered_id

__all__ = ["OrgApiKey", "Integration", "Webhook", "WebhookDelivery", "OutboundDelivery", "MODELS"]


class OrgApiKey(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    name = peewee.CharField()
    scope = peewee.CharField()  # full | deploy | read-only
    key_digest = peewee.CharField(unique=True)
    key_prefix = peewee.CharField()
    mcp_tools: JSONField[list[str]] = JSONField(default=list)
    created_by = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    expires_at = peewee.BigIntegerField(null=True)
    last_used_at = peewee.BigIntegerField(null=True)
    revoked_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_org_api_key"
        indexes = ((("org", "created_at"), False),)


class Integration(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    kind = peewee.CharField()  # slack | discord | datadog | github
    config: JSONField[dict[str, Any]] = JSONField(default=dict)  # secrets included; masked when read back
    events: JSONField[list[str] | None] = JSONField(null=True)  # patterns; null or [] = every event
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_integration"
        indexes = ((("org", "created_at"), False),)


class Webhook(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    url = peewee.TextField()
    events: JSONField[list[str]] = JSONField(default=list)
    # HMAC needs the secret itself, so it is kept (unlike login secrets); shown once, never read back
    secret = peewee.CharField()
    secret_prefix = peewee.CharField()
    active = peewee.BooleanField(default=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_webhook"
        indexes = ((("org", "created_at"), False),)


class OutboundDelivery(BaseModel):
    """The outbox: one event for one webhook or integration, written in the transaction of the
    change that caused the event, then sent (and retried) by the dispatcher (``_outbox``).
    Its id is the delivery's ``Backlex-Webhook-Id``, the same on every attempt."""

    id = peewee.CharField(primary_key=True, default=ordered_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    target_kind = peewee.CharField()  # webhook | integration
    target_id = peewee.CharField()
    event_id = peewee.CharField()
    event_type = peewee.CharField()
    payload: JSONField[dict[str, Any]] = JSONField()
    status = peewee.CharField(default="pending")  # pending | delivered | failed | cancelled
    attempts = peewee.IntegerField(default=0)  # attempts begun
    finished = peewee.IntegerField(default=0)  # attempts whose outcome is recorded
    last_error = peewee.TextField(null=True)
    next_attempt_at = peewee.BigIntegerField(null=True)  # when the retry is due
    created_at = peewee.BigIntegerField()
    finished_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_outbound_delivery"
        indexes = ((("target_id", "event_id"), True), (("status", "created_at"), False))


class WebhookDelivery(BaseModel):
    """One attempt to deliver one event to one webhook."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    webhook_id = peewee.CharField(index=True)  # kept after the webhook is deleted
    outbound_id = peewee.CharField(null=True)  # its outbox row (none for test deliveries)
    event_id = peewee.CharField()
    event_type = peewee.CharField()
    attempt = peewee.IntegerField(default=1)
    status = peewee.CharField()  # succeeded | failed
    status_code = peewee.IntegerField(null=True)
    duration_ms = peewee.IntegerField(null=True)
    error = peewee.TextField(null=True)
    is_test = peewee.BooleanField(default=False)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_webhook_delivery"
        indexes = ((("org", "created_at"), False), (("outbound_id", "attempt"), True))


MODELS = (OrgApiKey, Integration, Webhook, OutboundDelivery, WebhookDelivery)
