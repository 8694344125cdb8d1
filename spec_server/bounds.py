"""Every request body is bounded in size and in time, before any of it is parsed.

``BodyLimits`` is an ASGI middleware inside connexion's exception middleware (so its refusals
leave in the envelope of the API the path belongs to):

- a ``Content-Length`` over ``max_body_bytes`` is ``413`` before a byte of the body is read;
- a body without one (chunked) is read here as it arrives, counted, and the chunk that takes
  it over the limit is ``413`` (no more than the limit plus one chunk is ever held); a
  complete one goes on with a ``Content-Length``, which is how connexion finds a body;
- a body still incomplete ``body_read_timeout`` seconds after the request started is ``408``.

Both answers close the connection (the unread rest of the body is never read) and log one
line. Once the body is complete, ``receive`` is passed through untouched: a streaming
response waits on it for the client's disconnect, for as long as the stream lasts.

Hand-written: neither Starlette nor uvicorn bound a request body, and the one ASGI package
for it (``content-size-limit-asgi``, last released in 2020) raises an exception of its own
from ``receive`` where an answer in the API's envelope is wanted. Its cost here: one header
scan and, for a request with a body, one ``asyncio.timeout`` around each ``receive``.
"""

from __future__ import annotations

import asyncio
import logging

from spec_server import faults
from spec_server.config import settings
from spec_server.errors import BadRequest, PayloadTooLarge, RequestTimeout

log = logging.getLogger(__name__)

CLOSE = {"Connection": "close"}


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than {limit} bytes", headers=CLOSE,
                           details={"limit": limit})


def declared_length(scope) -> int | None:
    """The body's length by its headers: Content-Length, 0 for a request with neither it nor
    Transfer-Encoding (HTTP/1.1 gives such a request no body), None when it is chunked."""
    chunked = False
    for name, value in scope.get("headers") or ():
        if name == b"transfer-encoding":
            chunked = True
        elif name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise BadRequest("Content-Length is not a number", headers=CLOSE) from None
            if length < 0:
                raise BadRequest("Content-Length is negative", headers=CLOSE)
            return length
    return None if chunked else 0


def _refused(scope, error: Exception, why: str) -> Exception:
    log.warning("refused %s %s: %s", scope.get("method"), scope.get("path"), why)
    return error


class BodyLimits:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or faults.active("no-body-limit"):  # the planted fault lifts both bounds
            return await self.app(scope, receive, send)
        current = settings()
        limit, timeout = current.max_body_bytes, current.body_read_timeout
        length = declared_length(scope)
        if length is not None and length > limit:
            raise _refused(scope, too_large(limit), f"Content-Length {length} over {limit}")
        if length == 0:
            return await self.app(scope, receive, send)  # no body to wait for
        deadline = asyncio.get_running_loop().time() + timeout
        if length is None:  # chunked: read here, up to the limit; connexion reads a body only by its length
            body = await _read_chunked(scope, receive, limit, deadline, timeout)
            return await self.app(_with_length(scope, len(body)), _replay(body, receive), send)
        return await self.app(scope, _timed(scope, receive, deadline, timeout), send)


async def _receive_by(scope, receive, deadline: float, timeout: float):
    try:
        async with asyncio.timeout_at(deadline):
            return await receive()
    except TimeoutError:
        raise _refused(scope, RequestTimeout(f"Request body not received within {timeout:g} s", headers=CLOSE),
                       f"body incomplete after {timeout:g} s") from None


def _timed(scope, receive, deadline: float, timeout: float):
    """``receive`` with the deadline, until the body is complete (the server holds the client
    to its Content-Length)."""
    complete = False

    async def timed_receive():
        nonlocal complete
        if complete:
            return await receive()
        message = await _receive_by(scope, receive, deadline, timeout)
        complete = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return timed_receive


async def _read_chunked(scope, receive, limit: int, deadline: float, timeout: float) -> bytes:
    parts: list[bytes] = []
    received = 0
    while True:
        message = await _receive_by(scope, receive, deadline, timeout)
        if message["type"] != "http.request":
            return b"".join(parts)  # the client went away: the app finds out on its next receive
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise _refused(scope, too_large(limit), f"chunked body over {limit} bytes")
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _with_length(scope, length: int) -> dict:
    headers = [(name, value) for name, value in scope["headers"] if name != b"transfer-encoding"]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replay(body: bytes, receive):
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed():
        return pending.pop() if pending else await receive()

    return replayed
