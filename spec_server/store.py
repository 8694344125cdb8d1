"""Tables shared by both APIs: rate-limit windows and the outbox of side effects."""

from __future__ import annotations

from typing import Any

import peewee

from spec_server.db import BaseModel, JSONField, ordered_id


class RateEvent(BaseModel):
    """One admitted request in a sliding window (bucket, key).

    ``seq`` numbers a key's admissions 1, 2, 3...; ``at`` never goes backwards along it. The
    requests in a window are then the newest ``seq`` minus the oldest in-window ``seq``, plus
    one: two index lookups, however many requests the window holds (see ratelimit)."""

    id: peewee.AutoField[int]  # peewee's implicit key
    bucket = peewee.CharField()
    key = peewee.CharField()
    at = peewee.BigIntegerField()
    seq = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("bucket", "key", "at", "seq"), False),)


class OutboxEvent(BaseModel):
    """A fire-and-forget side effect (Slack message, analytics event, email) that a
    deployment forwards; writing it never slows or fails the request that caused it."""

    id = peewee.CharField(primary_key=True, default=ordered_id)  # time-ordered: see db.ordered_id
    channel = peewee.CharField()  # slack, analytics, mail
    kind = peewee.CharField()
    subject_id = peewee.CharField(null=True)
    payload: JSONField[dict[str, Any]] = JSONField(default=dict)
    created_at = peewee.BigIntegerField()
    delivered_at = peewee.BigIntegerField(null=True)

    class Meta:
        # a forwarder reads one channel in time order; every other index was one more page
        # written by each create's commit (four single-column ones cost a tenth of a create)
        indexes = ((("channel", "created_at"), False),)


MODELS = (RateEvent, OutboxEvent)
