"""CPU-heavy engine work (grading) on a small pool of its own, a few calls per tenant.

Grading a large intent is CPU work that may take a while; on the request threads, eight such
calls from one tenant held all eight for 110 s and every other tenant waited. Here:

- the work runs on ``ENGINE_THREADS`` threads of its own (default 2, the machine's cores:
  more threads cannot grade faster, they only take the GIL from the request threads);
- a tenant (a Pathmode workspace) has at most ``ENGINE_CALLS_PER_TENANT`` calls in the pool
  at once (default 1), and the pool takes at most ``ENGINE_QUEUE`` calls beyond its threads
  (default 4, queued in order);
- a call over either bound is refused at once: ``EngineBusy`` (503 with ``Retry-After``, in
  the API's envelope), never queued behind the abuser;
- a call still waiting after ``ENGINE_TIMEOUT`` seconds (default 30) is answered ``503``
  (the thread finishes its work, which nobody reads).

The handlers that use it wait in anyio's threads (``offload.waits_on_an_engine``), so the
request threads are never the ones waiting. A request's slot is taken in the security step,
before its body is read (``hold_for_request``), and given back when the request ends
(``ReleaseSlots``): measured with 16 clients of one tenant flooding verify with 900 KB bodies,
admitting in the handler (after reading and parsing each refused body) left another tenant's
reads at p99 ≈ 250 ms and the worker at 1.3-1.4 × its idle RSS; admitting before the body,
p99 54-78 ms and 1.15-1.23 × (bench/hostile.py). The bounds hold per worker process; N workers give
a tenant N calls at once.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import threading

from spec_server.errors import Unavailable

ENGINE_THREADS = int(os.environ.get("ENGINE_THREADS", "2"))
ENGINE_CALLS_PER_TENANT = int(os.environ.get("ENGINE_CALLS_PER_TENANT", "1"))
ENGINE_QUEUE = int(os.environ.get("ENGINE_QUEUE", "4"))
ENGINE_TIMEOUT = float(os.environ.get("ENGINE_TIMEOUT", "30"))
RETRY_AFTER_SECONDS = 5


class EngineBusy(Unavailable):
    """503: the engine pool cannot take this call now; Retry-After says when to try again."""

    def __init__(self, message: str):
        # the connection closes: a refused call's body (up to MAX_BODY_BYTES) is never read
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"})


class EnginePool:
    def __init__(self, threads: int, per_tenant: int, queue: int, timeout: float):
        self.threads, self.per_tenant, self.capacity, self.timeout = threads, per_tenant, threads + queue, timeout
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._by_tenant: dict[str, int] = {}
        self._total = 0

    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:  # started at the first call, in the process that serves (never before a fork)
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(self.threads, "spec-server-engine")
            return self._executor

    def reserve(self, tenant: str) -> Slot:
        """Admit one call of ``tenant`` now (or EngineBusy); the slot is held until released."""
        self._admit(tenant)
        return Slot(self, tenant)

    def run(self, tenant: str, function, /, *args, slot: Slot | None = None):
        """``function(*args)`` on the pool for ``tenant`` (in ``slot``, when the request holds
        one, else admitted here); its answer, or EngineBusy."""
        own = slot is None or slot.pool is not self
        if own:
            self._admit(tenant)
        try:
            future = self.executor().submit(contextvars.copy_context().run, function, *args)
            try:
                return future.result(timeout=self.timeout)
            except concurrent.futures.TimeoutError:
                future.cancel()  # a queued call never starts; a running one finishes unread
                raise EngineBusy(f"The engine did not answer within {self.timeout:g} s") from None
        finally:
            if own:
                self._release(tenant)

    def _refusal(self, tenant: str) -> None:
        if self._by_tenant.get(tenant, 0) >= self.per_tenant:
            raise EngineBusy("This workspace already has a verification running; try again shortly")
        if self._total >= self.capacity:
            raise EngineBusy("The verification engine is busy; try again shortly")

    def _admit(self, tenant: str) -> None:
        with self._lock:
            self._refusal(tenant)
            self._by_tenant[tenant] = self._by_tenant.get(tenant, 0) + 1
            self._total += 1

    def _release(self, tenant: str) -> None:
        with self._lock:
            self._total -= 1
            left = self._by_tenant[tenant] - 1
            if left:
                self._by_tenant[tenant] = left
            else:
                del self._by_tenant[tenant]


class Slot:
    """One admitted call of a tenant, released once."""

    def __init__(self, pool: EnginePool, tenant: str):
        self.pool, self.tenant, self._held = pool, tenant, True

    def release(self) -> None:
        with self.pool._lock:
            held, self._held = self._held, False
        if held:
            self.pool._release(self.tenant)


POOL = EnginePool(ENGINE_THREADS, ENGINE_CALLS_PER_TENANT, ENGINE_QUEUE, ENGINE_TIMEOUT)
SCOPE_KEY = "spec_server.engine"


def run(tenant: str, function, /, *args, slot: Slot | None = None):
    return POOL.run(tenant, function, *args, slot=slot)


def hold_for_request(scope, tenant: str) -> Slot | None:
    """Admit ``tenant``'s call in the security step, before the request body is read: a
    refused flood then costs no reading or parsing (and its connection closes). The slot is
    released when the request ends (``ReleaseSlots``); without that middleware, at once (the
    handler then admits the call itself)."""
    slot = POOL.reserve(tenant)
    holder = (scope.get("extensions") or {}).get(SCOPE_KEY)
    if holder is None:
        slot.release()
        return None
    holder["slot"] = slot
    return slot


class ReleaseSlots:
    """ASGI middleware: a slot the security step took is released when its request ends,
    however it ends (an answer, a 4xx before the handler, a disconnect)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        holder: dict = {}
        scope.setdefault("extensions", {})[SCOPE_KEY] = holder  # inner copies of scope share it
        try:
            return await self.app(scope, receive, send)
        finally:
            slot = holder.pop("slot", None)
            if slot is not None:
                slot.release()
