"""Slow and oversized request heads and bodies against a real server (uvicorn + our protocol):
each connection is answered and closed within its bound, and nothing is stored."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.scale.servers import database_url, running_server

BOUNDS = {"HEADER_READ_TIMEOUT": "1", "BODY_READ_TIMEOUT": "1", "MAX_HEADER_BYTES": "4096"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("slow")
    with database_url("sqlite", tmp_path) as url, \
            running_server(url, workers=1, env=BOUNDS, tmp_path=tmp_path) as running:
        yield running


def _connect(server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_many_slow_heads_are_answered_408_and_closed(server):
    sockets = [_connect(server) for _ in range(50)]
    for sock in sockets:
        sock.sendall(b"GET /api/v1/workspace HTTP/1.1\r\nHost: x\r\nX-Slow: a")  # and then nothing
    started = time.monotonic()
    answers = [_read_all(sock) for sock in sockets]
    assert time.monotonic() - started < 4
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), answers[:2]
    for sock in sockets:
        sock.close()


def test_a_head_over_the_limit_is_431_and_closed(server):
    sock = _connect(server)
    sock.sendall(b"GET /api/v1/workspace HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
    assert _read_all(sock).startswith(b"HTTP/1.1 431 ")
    sock.close()


def test_a_slow_body_is_408_in_the_envelope_and_nothing_is_stored(server):
    key = server.tenants.pm_key()
    sock = _connect(server)
    sock.sendall(b"POST /api/v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + key.encode() + b"\r\nContent-Length: 400\r\n\r\n{\"title\": \"slow")
    started = time.monotonic()
    answer = _read_all(sock)
    assert time.monotonic() - started < 4
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'{"error":"Request body not received within 1 s"}' in answer
    sock.close()
    listed = httpx.get(f"{server.url}/api/v1/intents", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200 and listed.json()["intents"] == []


def test_a_kept_alive_connection_is_bounded_on_its_next_request_too(server):
    key = server.tenants.pm_key()
    sock = _connect(server)
    sock.sendall(b"GET /api/v1/workspace HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode() + b"\r\n\r\n")
    first = b""
    while not first.endswith(b"}"):  # the whole first answer (a JSON object)
        first += sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    sock.sendall(b"GET /api/v1/workspace HTTP/1.1\r\nHost: x\r\n")  # the next head never ends
    assert _read_all(sock).startswith(b"HTTP/1.1 408 ")
    sock.close()


def test_a_large_body_sent_with_its_head_is_not_counted_as_head(server):
    """The head and the start of the body often arrive in one read: only the head counts."""
    key = server.tenants.pm_key()
    body = b'{"title": "t", "objective": "' + b"o" * 4000 + b'", "productId": "nope"}'
    response = httpx.post(f"{server.url}/api/v1/intents", content=body,
                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert response.status_code == 404  # the body was read (no such product), not refused as a 431


def test_an_oversized_head_never_starts_its_request(server):
    key = server.tenants.pm_key()
    product = server.tenants.pm_product_id()
    body = ('{"title": "Big head", "objective": "o", "productId": "%s"}' % product).encode()  # noqa: UP031
    sock = _connect(server)
    sock.sendall(b"POST /api/v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Pad: "
                 + b"p" * 8192 + b"\r\nAuthorization: Bearer " + key.encode()
                 + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert _read_all(sock).startswith(b"HTTP/1.1 431 ")
    sock.close()
    listed = httpx.get(f"{server.url}/api/v1/intents", headers={"Authorization": f"Bearer {key}"})
    assert "Big head" not in listed.text
