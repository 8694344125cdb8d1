"""Subscriptions, checkout sessions, invoices, usage packs and top-ups."""

from __future__ import annotations

import peewee

from handlers.backlex.store.core import Org
from spec_server.db import BaseModel, ForeignKeyId, new_id

__all__ = ["Subscription", "CheckoutSession", "Invoice", "UsagePack", "Topup", "MODELS"]


class Subscription(BaseModel):
    """An org's paid plan; one row per org (a free org has none)."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, unique=True, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    plan = peewee.CharField()
    interval = peewee.CharField()  # monthly | annual
    status = peewee.CharField()  # active | canceling | canceled
    period_start = peewee.BigIntegerField()
    period_end = peewee.BigIntegerField()
    ends_at = peewee.BigIntegerField(null=True)  # set while canceling
    card_brand = peewee.CharField(null=True)
    card_last_four = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    updated_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_subscription"


class CheckoutSession(BaseModel):
    """A hosted checkout started by an owner and completed by the payment engine."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    kind = peewee.CharField()  # plan | pack
    item = peewee.CharField()  # the plan id or the pack type
    interval = peewee.CharField(null=True)
    amount = peewee.IntegerField()  # in cents
    status = peewee.CharField(default="open")  # open | completed
    created_by = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    completed_at = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "bx_checkout_session"


class Invoice(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    number = peewee.CharField()
    description = peewee.TextField()
    amount = peewee.IntegerField()  # in cents
    currency = peewee.CharField(default="usd")
    status = peewee.CharField(default="paid")
    checkout_id = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_invoice"
        indexes = ((("org", "created_at"), False),)


class UsagePack(BaseModel):
    """A prepaid pack of units for one metric, bought through a pack checkout."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    type = peewee.CharField()  # requests | neurons | r2 | d1
    units = peewee.BigIntegerField()
    status = peewee.CharField(default="active")
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_usage_pack"


class Topup(BaseModel):
    """Units granted by an operator (``spec-server billing topup``), e.g. a goodwill credit."""

    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    type = peewee.CharField()
    units = peewee.BigIntegerField()
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_topup"


MODELS = (Subscription, CheckoutSession, Invoice, UsagePack, Topup)
