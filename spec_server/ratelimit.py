"""Sliding-window rate limits whose windows live in the database.

Each admitted request is a row (bucket, key, at). A request is admitted while fewer than
``limit`` rows fall in the trailing window; the check and the insert run in one serialized
transaction, so N workers admit exactly ``limit`` between them.
"""

from __future__ import annotations

import math

from peewee import SQL, fn

from spec_server import clock
from spec_server.compiled import Prepared, insert
from spec_server.config import settings
from spec_server.db import serialize, write_transaction
from spec_server.errors import RateLimited
from spec_server.store import RateEvent

# every rate-limited request runs these three: compiled once (see compiled.Prepared)
_IN_WINDOW = Prepared(lambda bucket, key, start: RateEvent.select(fn.COUNT(SQL("*"))).where(
    (RateEvent.bucket == bucket) & (RateEvent.key == key) & (RateEvent.at > start)), "bucket", "key", "start")
_EXPIRED = Prepared(lambda bucket, key, start: RateEvent.delete().where(
    (RateEvent.bucket == bucket) & (RateEvent.key == key) & (RateEvent.at <= start)), "bucket", "key", "start")


def hit(bucket: str, key: str, *, message: str | None = None, extra_body: bool = False) -> None:
    """Admit one request of ``key`` in ``bucket`` or raise ``RateLimited``.

    ``extra_body`` adds ``retryAfterSeconds`` to the error body (analyze-codebase's shape).
    """
    limit, window_s = settings().rate_limits[bucket]
    now = clock.now_ms()
    window_start = now - window_s * 1000
    with write_transaction():
        serialize(f"rate:{bucket}:{key}")
        count = _IN_WINDOW.scalar(bucket=bucket, key=key, start=window_start)
        if count >= limit:
            raise _limited(bucket, key, count, limit, window_s, now, message, extra_body)
        insert(RateEvent, bucket=bucket, key=key, at=now)
        _EXPIRED.execute(bucket=bucket, key=key, start=window_start)


def _limited(bucket, key, count, limit, window_s, now, message, extra_body) -> RateLimited:
    # the request fits once enough of the oldest events have left the window
    # (a limit of 0 never admits: come back after a whole window)
    in_window = RateEvent.select().where(
        (RateEvent.bucket == bucket) & (RateEvent.key == key) & (RateEvent.at > now - window_s * 1000))
    blocking = in_window.order_by(RateEvent.at).offset(count - limit).limit(1).first() if limit > 0 else None
    freed_at = blocking.at + window_s * 1000 if blocking else now + window_s * 1000
    retry_after = max(1, math.ceil((freed_at - now) / 1000))
    return RateLimited(
        message or "Rate limit exceeded. Please try again later.",
        retry_after=retry_after,
        extra={"retryAfterSeconds": retry_after} if extra_body else None,
    )
