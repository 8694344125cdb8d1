"""Sliding-window rate limits whose windows live in the database.

Each admitted request is a row (bucket, key, at, seq). A request is admitted while fewer
than ``limit`` rows fall in the trailing window. The check and the insert are one statement
(``INSERT ... SELECT ... WHERE in_window < limit``) run in the writers' turn, so N workers
admit exactly ``limit`` between them. ``seq`` numbers a key's admissions and ``at`` never
goes backwards along it, so the rows in the window are ``newest.seq - oldest_in_window.seq
+ 1``: two index lookups, where counting the window cost one step per request in it (a
thousand on a busy key). On PostgreSQL the key's advisory lock and the admission travel as
one query (one round trip instead of BEGIN, lock, insert, COMMIT). Rows that left the window
are deleted now and then (``CLEANUP_ONE_IN``): they never count, they only take space.
"""

from __future__ import annotations

import math
import random
from typing import Any

from peewee import Case, Cast, Select, fn

from spec_server import apis, clock
from spec_server.compiled import Prepared
from spec_server.config import settings
from spec_server.db import database, is_postgres, serialize, serializing_statement, write_turn
from spec_server.errors import RateLimited
from spec_server.store import RateEvent

CLEANUP_ONE_IN = 32  # an admission deletes its key's expired rows with this odds


def _admission(bucket, key, now, start, limit):
    of_key = (RateEvent.bucket == bucket) & (RateEvent.key == key)
    newest = RateEvent.select(RateEvent.seq).where(of_key).order_by(RateEvent.at.desc(), RateEvent.seq.desc()).limit(1)
    newest_at = RateEvent.select(RateEvent.at).where(of_key).order_by(RateEvent.at.desc(), RateEvent.seq.desc()).limit(1)
    oldest_in_window = (RateEvent.select(RateEvent.seq).where(of_key & (RateEvent.at > start))
                        .order_by(RateEvent.at, RateEvent.seq).limit(1))
    newest_seq = fn.COALESCE(newest, 0)  # (a function: peewee reads ``query - query`` as EXCEPT)
    in_window = newest_seq - fn.COALESCE(oldest_in_window, newest_seq + 1) + 1  # 0 when empty
    # the casts type the parameters for PostgreSQL, which cannot infer them in a bare SELECT;
    # ``at`` stays at the newest's when this worker's clock is behind (seq order = at order)
    room = Select(columns=[
        Cast(bucket, "VARCHAR"), Cast(key, "VARCHAR"),
        Case(None, [(newest_at > now, newest_at)], Cast(now, "BIGINT")),
        newest_seq + 1,
    ]).where(in_window < Cast(limit, "BIGINT"))
    return RateEvent.insert_from(room, [RateEvent.bucket, RateEvent.key, RateEvent.at, RateEvent.seq])


# every rate-limited request runs this: compiled once (see compiled.Prepared)
_ADMIT = Prepared(_admission, "bucket", "key", "now", "start", "limit")
_EXPIRED = Prepared(lambda bucket, key, start: RateEvent.delete().where(
    (RateEvent.bucket == bucket) & (RateEvent.key == key) & (RateEvent.at <= start)), "bucket", "key", "start")


def limit_of(bucket: str) -> tuple[int, int]:
    """(requests, window seconds): configuration's override (``RATE_LIMITS``), else what the
    API states (its document's ``x-rateLimit`` in the generated table, or its own table)."""
    overrides = settings().rate_limits
    override = overrides.get(bucket, overrides.get("*"))  # "*": every bucket (RATE_LIMITS='*=N/S')
    return override if override is not None else apis.rate_limits()[bucket]


def buckets() -> list[str]:
    return sorted(apis.rate_limits())


def hit(bucket: str, key: str, *, message: str | None = None, extra_body: bool = False) -> None:
    """Admit one request of ``key`` in ``bucket`` or raise ``RateLimited``.

    ``extra_body`` adds ``retryAfterSeconds`` to the error body (analyze-codebase's shape).
    """
    limit, window_s = limit_of(bucket)
    now = clock.now_ms()
    window_start = now - window_s * 1000
    values: dict[str, Any] = {"bucket": bucket, "key": key, "now": now, "start": window_start, "limit": limit}
    if is_postgres() and not database.in_transaction():
        # the lock and the admission in one round trip, one implicit transaction
        admitted = _ADMIT.execute_after(*serializing_statement(f"rate:{bucket}:{key}"), **values).rowcount == 1
    else:
        with write_turn():
            serialize(f"rate:{bucket}:{key}")
            admitted = _ADMIT.execute(**values).rowcount == 1
    if admitted and random.randrange(CLEANUP_ONE_IN) == 0:
        with write_turn():
            _EXPIRED.execute(bucket=bucket, key=key, start=window_start)
    if not admitted:
        raise _limited(bucket, key, limit, window_s, now, message, extra_body)


def _limited(bucket, key, limit, window_s, now, message, extra_body) -> RateLimited:
    # the request fits once enough of the oldest events have left the window
    # (a limit of 0 never admits: come back after a whole window)
    in_window = RateEvent.select().where(
        (RateEvent.bucket == bucket) & (RateEvent.key == key) & (RateEvent.at > now - window_s * 1000))
    count = in_window.count()  # read after the refusal: other requests may have been admitted since
    blocking = (in_window.order_by(RateEvent.at, RateEvent.seq).offset(max(0, count - limit)).limit(1).first()
                if limit > 0 else None)
    freed_at = blocking.at + window_s * 1000 if blocking else now + window_s * 1000
    retry_after = max(1, math.ceil((freed_at - now) / 1000))
    return RateLimited(
        message or "Rate limit exceeded. Please try again later.",
        retry_after=retry_after,
        extra={"retryAfterSeconds": retry_after} if extra_body else None,
    )
