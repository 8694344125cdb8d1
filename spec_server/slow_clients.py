"""Connections that send their request head too slowly, or too much of it, are closed.

uvicorn bounds the idle time between requests (``timeout_keep_alive``) but not the time a
request head may take: a client that sends one header byte a second holds its connection
(and the server's file descriptor) for ever, and 200 such clients were never closed. This
protocol is uvicorn's own httptools protocol with two bounds on the head of each request:

- ``header_read_timeout``: from the connection's start, or from the first byte of a later
  request on it, the head must be complete within this many seconds;
- ``max_header_bytes``: the head may not exceed this many bytes (llhttp sets no limit).

Either answers a bare ``408`` / ``431`` with ``Connection: close``, closes the connection and
logs one line. The body's own time and size are bounded by ``bounds.BodyLimits``.

Hand-written because no server option covers it: uvicorn has none (its h11 limit counts
bytes, not time, and applies only to h11); the subclass adds one timer per request.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from spec_server import offload
from spec_server.config import settings

log = logging.getLogger(__name__)

TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class BoundedHeadProtocol(HttpToolsProtocol):
    head_deadline: asyncio.TimerHandle | None = None
    head_bytes: int | None = 0  # bytes of the current head received so far; None once it is complete

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        offload.watch_requests(self.server_state.tasks)  # the server's, shared by every connection
        self._start_head()

    parsed_head = 0  # bytes of the current head's URL and headers, as the parser hands them over

    def data_received(self, data: bytes) -> None:
        if self.head_bytes is not None:
            self.head_bytes += len(data)
        super().data_received(data)  # may complete the head (head_bytes None): the rest was body
        limit = settings().max_header_bytes
        unfinished_too_long = self.head_bytes is not None and self.head_bytes > limit
        if unfinished_too_long or self.parsed_head > limit:
            self._refuse(TOO_LARGE, f"request head over {limit} bytes")

    def on_url(self, url: bytes) -> None:
        self.parsed_head += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.parsed_head += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.head_bytes is None:  # a later request on a kept-alive connection
            self._start_head()

    refused = False  # the connection was answered and closed: the parser's later callbacks do nothing

    def on_headers_complete(self) -> None:
        self._stop_head()
        self.head_bytes = None
        if self.parsed_head > settings().max_header_bytes:  # never start a request with such a head
            return self._refuse(TOO_LARGE, f"request head over {settings().max_header_bytes} bytes")
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self.refused:
            super().on_message_complete()

    def connection_lost(self, exc) -> None:
        self._stop_head()
        super().connection_lost(exc)

    def _start_head(self) -> None:
        self._stop_head()
        self.head_bytes = self.parsed_head = 0
        self.head_deadline = self.loop.call_later(settings().header_read_timeout, self._head_too_slow)

    def _stop_head(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        self._refuse(TOO_SLOW, f"no complete request head within {settings().header_read_timeout:g} s")

    def _refuse(self, answer: bytes, why: str) -> None:
        self._stop_head()
        if self.refused or self.transport.is_closing():
            return
        self.refused = True
        peer = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.warning("closed a connection from %s: %s", peer, why)
        self.transport.write(answer)
        self.transport.close()
