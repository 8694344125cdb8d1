"""Blocking work (database, git, outbound HTTP) off the event loop, in one thread pool.

Under AsyncApp every request makes two trips to a worker thread (the security step, then
the handler). anyio's per-call bookkeeping (capacity limiter, cancel scope, worker lookup)
cost more than the SQL of a list request, and ``loop.run_in_executor`` still pays for a
``concurrent.futures.Future`` chained to an asyncio one (locks, conditions, callbacks): about
13 µs a trip under load. ``run`` hands the call to the threads on a ``SimpleQueue`` and the
thread resolves the caller's asyncio future directly: about 2 µs. The caller's context
variables are copied, as anyio does. A request alone in its worker skips the threads
(``alone``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import queue
import threading

import anyio.to_thread

from spec_server import db

# Requests in flight per worker (each thread keeps one database connection). Measured on
# PostgreSQL (bench/cpu.py, README "Benchmark"): more threads cost more CPU per request, in
# the server (threads taking the GIL in turn) and in PostgreSQL (more backends at once); with
# two workers and the database on the same two CPUs, 8 threads served reads 25-40% faster
# than 16, and 16 a third faster than 40. 8 still keep a worker busy while its queries wait on
# a database a millisecond away. Work that waits on the network runs elsewhere: handlers
# marked ``waits_on_the_network`` and streams in anyio's threads, deliveries in the job queue's.
THREADS = int(os.environ.get("SPEC_SERVER_THREADS", "8"))

# A request alone in its worker gains nothing from a thread: nothing else waits for the
# loop, and the two hand-offs (the loop wakes a thread, the thread wakes the loop) are most
# of its latency: at one connection a list took 0.85 ms of CPU with the hops, 0.62 ms
# without, and answered in 0.67 ms instead of 1.16 (p50; README "Benchmark"). With others in
# flight, the threads let the loop read, validate and answer them meanwhile, and cost less
# CPU per request than running each inline (0.41 against 0.49 ms at 32 connections).
# SPEC_SERVER_INLINE_ALONE=0 always uses the threads.
INLINE_ALONE = os.environ.get("SPEC_SERVER_INLINE_ALONE", "1") != "0"
_in_flight = 0  # HTTP requests this worker's app has begun and not finished (``CountRequests``)
# uvicorn's tasks of the requests it has received and not finished (``watch_requests``): a
# request whose head has arrived counts before its task first runs, so the first request of
# a burst does not take the loop from the others
_received: set | None = None
_loop_threads: set[int] = set()


def watch_requests(tasks: set | None) -> None:
    """Called by the server's protocol (``slow_clients``) with uvicorn's set of request tasks."""
    global _received
    _received = tasks


def alone() -> bool:
    """This request is the only one: the only one the app is serving (0: not within a request at
    all, as at start-up or in a job), and the only one the server has received."""
    return INLINE_ALONE and _in_flight == 1 and (_received is None or len(_received) <= 1)


def _inline(function, /, *args, **kwargs):
    # a copy of the context, as in a thread: what the call sets does not outlive it
    if threading.get_ident() not in _loop_threads:
        db.keep_connections_in_this_thread()  # the loop's thread keeps its connection too
        _loop_threads.add(threading.get_ident())
    return contextvars.copy_context().run(function, *args, **kwargs)


class CountRequests:
    """ASGI middleware counting the HTTP requests in flight, for ``alone``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        global _in_flight
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        _in_flight += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            _in_flight -= 1


_calls: queue.SimpleQueue = queue.SimpleQueue()
_started = threading.Lock()
_threads: list[threading.Thread] = []


async def run(function, /, *args, **kwargs):
    """``function(*args, **kwargs)`` in a worker thread, awaited; on the event loop itself when
    this request is the only one in flight (``alone``)."""
    if alone():
        return _inline(function, *args, **kwargs)
    if not _threads:
        _start_threads()
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    _calls.put((loop, future, call))
    return await future


def waits_on_the_network(handler):
    """Marks a handler that waits on a remote server (seconds, where a query takes a
    millisecond): it runs in anyio's threads (``run_apart``), so a slow target never holds
    one of the few request threads that every other request needs."""
    handler.waits_on_the_network = True
    return handler


def waits_on_an_engine(handler):
    """Marks a handler that hands CPU-heavy work to ``engine_pool`` and waits for it: it
    waits in anyio's threads too, so an engine that is busy never holds a request thread."""
    handler.waits_on_the_network = True  # the same treatment: it waits on something slow
    return handler


def runner_for(handler):
    """How a handler is run under AsyncApp: ``run_apart`` when it waits on the network (or
    an engine), else ``run``."""
    return run_apart if getattr(handler, "waits_on_the_network", False) else run


async def run_apart(function, /, *args, **kwargs):
    """``function(*args, **kwargs)`` in one of anyio's threads (its own limit, 40), awaited;
    anyio runs it in a copy of the caller's context, as ``run`` does."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))


def _start_threads() -> None:
    # started at the first call, in the process that serves (never before a fork)
    with _started:
        while len(_threads) < THREADS:
            thread = threading.Thread(target=_work, name=f"spec-server-{len(_threads)}", daemon=True)
            thread.start()
            _threads.append(thread)


def _work() -> None:
    db.keep_connections_in_this_thread()
    while True:
        loop, future, call = _calls.get()
        result, error = None, None
        try:
            result = call()
        except BaseException as raised:  # noqa: BLE001 - handed to the awaiting request as it is
            error = raised
        try:
            loop.call_soon_threadsafe(_settle, future, result, error)
        except RuntimeError:  # the loop closed meanwhile (shutdown): nobody awaits the answer
            pass
        # nothing of a finished request stays alive in an idle thread
        del loop, future, call, result, error


def _settle(future: asyncio.Future, result, error: BaseException | None) -> None:
    if future.cancelled():  # the request went away (client disconnect, shutdown)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
