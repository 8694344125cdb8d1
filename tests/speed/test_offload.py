"""spec_server.offload: a call in a worker thread answers as the call itself would."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from spec_server import offload

request_name = contextvars.ContextVar("request_name", default=None)


def test_the_call_runs_in_another_thread_with_the_callers_context():
    def where(suffix):
        return threading.current_thread().name, f"{request_name.get()}{suffix}"

    async def request():
        request_name.set("req-1")
        return await offload.run(where, "!")

    thread_name, seen = asyncio.run(request())
    assert thread_name.startswith("spec-server-") and seen == "req-1!"


def test_an_exception_reaches_the_awaiting_request_and_the_threads_go_on():
    def fail():
        raise LookupError("missing")

    async def requests():
        with pytest.raises(LookupError, match="missing"):
            await offload.run(fail)
        return await asyncio.gather(*[offload.run(pow, n, 2) for n in range(100)])

    assert asyncio.run(requests()) == [n * n for n in range(100)]


def test_a_request_that_went_away_does_not_break_the_thread_that_served_it():
    release = threading.Event()

    async def requests():
        waiting = asyncio.ensure_future(offload.run(release.wait, 5))
        await asyncio.sleep(0.05)
        waiting.cancel()  # the client disconnected
        release.set()
        await asyncio.sleep(0.05)  # the thread settles a cancelled future: ignored
        return await offload.run(lambda: "still serving")

    assert asyncio.run(requests()) == "still serving"


def test_a_handler_that_waits_on_the_network_runs_while_every_request_thread_is_busy():
    """Handlers marked ``waits_on_the_network`` (a webhook test waits up to 10 s on its
    target) run in anyio's threads: a slow target cannot take the few request threads."""
    release = threading.Event()

    @offload.waits_on_the_network
    def slow_delivery():
        return threading.current_thread().name, request_name.get()

    async def requests():
        busy = [asyncio.ensure_future(offload.run(release.wait, 5)) for _ in range(offload.THREADS)]
        await asyncio.sleep(0.05)
        request_name.set("req-apart")
        try:
            return await asyncio.wait_for(offload.runner_for(slow_delivery)(slow_delivery), timeout=2)
        finally:
            release.set()
            await asyncio.gather(*busy)

    thread_name, seen = asyncio.run(requests())
    assert not thread_name.startswith("spec-server-") and seen == "req-apart"


def test_the_webhook_test_delivery_is_marked_and_ordinary_handlers_are_not():
    from handlers.backlex import integrations
    from handlers.pathmode import intents

    assert offload.runner_for(integrations.post_org_webhook_test) is offload.run_apart
    assert offload.runner_for(intents.get_intents) is offload.run


def counted_app(work):
    """An ASGI app behind ``CountRequests`` whose request runs ``work`` through ``offload.run``."""

    async def app(scope, receive, send):
        scope["answer"] = await offload.run(work)

    return offload.CountRequests(app)


def test_a_request_alone_in_flight_runs_on_the_loop_and_its_context_stays_its_own():
    def where():
        request_name.set("changed inside")
        return threading.current_thread().name

    async def one_request():
        scope = {"type": "http"}
        request_name.set("req-1")
        await counted_app(where)(scope, None, None)
        return scope["answer"], request_name.get()

    thread_name, after = asyncio.run(one_request())
    assert thread_name == threading.current_thread().name and after == "req-1"


def test_requests_in_flight_together_run_in_the_threads():
    started = threading.Barrier(2, timeout=5)  # both must run at once: on the loop, the first would block

    def where():
        started.wait()
        return threading.current_thread().name

    async def two_requests():
        scopes = [{"type": "http"}, {"type": "http"}]
        # as uvicorn does: both received (their tasks in the server's set) before either runs
        tasks = {asyncio.ensure_future(counted_app(where)(scope, None, None)) for scope in scopes}
        offload.watch_requests(tasks)
        try:
            await asyncio.gather(*tasks)
        finally:
            offload.watch_requests(None)
        return [scope["answer"] for scope in scopes]

    assert all(name.startswith("spec-server-") for name in asyncio.run(two_requests()))
