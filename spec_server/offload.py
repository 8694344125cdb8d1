"""Blocking work (database, git, outbound HTTP) off the event loop, in one thread pool.

Under AsyncApp every request made two trips to a worker thread through anyio (the security
step, then the handler), and anyio's per-call bookkeeping (capacity limiter, cancel scope,
worker lookup) cost more than the SQL of a list request. ``run`` is the plain asyncio hop:
``loop.run_in_executor`` on a fixed pool, with the caller's context variables copied, as
anyio does.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from concurrent.futures import ThreadPoolExecutor

from spec_server import db

# anyio's default too: enough for requests waiting on PostgreSQL or a git clone
THREADS = int(os.environ.get("SPEC_SERVER_THREADS", "40"))

_executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="spec-server",
                               initializer=db.keep_connections_in_this_thread)


async def run(function, /, *args, **kwargs):
    """``function(*args, **kwargs)`` in a worker thread, awaited."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor, call)
