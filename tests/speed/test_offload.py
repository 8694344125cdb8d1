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
