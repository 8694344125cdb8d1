"""An answer that waits on work done elsewhere (a queued job) without holding a request thread.

A handler returns ``Later(poll, timeout, on_timeout)``: under AsyncApp the request then waits
on the event loop, and every ``interval`` seconds ``poll()`` (a read) takes a request thread
for a moment, until it gives the answer or ``timeout`` seconds have passed (then
``on_timeout()`` answers, or raises an ``ApiError``). Under FlaskApp, which gives every
request a thread of its own anyway, the same loop sleeps in that thread. ``pipeline.wrap``
runs both, with the handler's database connection and error envelope.

A request thread that slept until a job finished (the upgrade answer waited up to 30 s) was one
of the few every other request needs: one tenant's slow job held another's request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Later:
    poll: Callable[[], Any]  # the handler's answer, or None while the work is not done
    timeout: float
    on_timeout: Callable[[], Any]
    interval: float = 0.2


def answer_now(later: Later, expired: bool):
    """One poll: the answer, the timeout's answer once ``expired``, else None."""
    found = later.poll()
    if found is None and expired:
        return later.on_timeout()
    return found


async def settle(later: Later, poll: Callable[[Later, bool], Awaitable[Any]]):
    """Wait on the event loop; ``poll(later, expired)`` runs ``answer_now`` in a request thread."""
    deadline = time.monotonic() + later.timeout
    while True:
        await asyncio.sleep(later.interval)
        found = await poll(later, time.monotonic() >= deadline)
        if found is not None:
            return found


def settle_blocking(later: Later, poll: Callable[[Later, bool], Any]):
    """The same wait in the calling thread (FlaskApp)."""
    deadline = time.monotonic() + later.timeout
    while True:
        time.sleep(later.interval)
        found = poll(later, time.monotonic() >= deadline)
        if found is not None:
            return found
