"""The usage ledger: one row per recorded amount, kept when its project is deleted."""

from __future__ import annotations

import peewee

from handlers.backlex.store.core import Org
from spec_server.db import BaseModel, ForeignKeyId, new_id

__all__ = ["UsageRecord", "MODELS"]


class UsageRecord(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    project_id = peewee.CharField()  # no foreign key: history outlives the project row
    project_slug = peewee.CharField()
    project_name = peewee.CharField()
    metric = peewee.CharField()  # requests | d1 | r2 | neurons
    amount = peewee.BigIntegerField()
    period = peewee.CharField()  # calendar month, YYYY-MM (UTC)
    recorded_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_usage_record"
        indexes = ((("org", "period", "metric"), False), (("org", "project_id"), False))


MODELS = (UsageRecord,)
