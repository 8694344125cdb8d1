"""A real HTTP receiver on 127.0.0.1 that verifies backlex signatures as a customer would."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def stripe_style_valid(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """Written from the Stripe convention, independently of the server's code."""
    fields = {}
    for part in header.split(","):
        key, _, value = part.partition("=")
        fields.setdefault(key, []).append(value)
    if "t" not in fields or "v1" not in fields:
        return False
    timestamp = fields["t"][0]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in fields["v1"])


class Receiver:
    """Answers each POST with the next status of ``statuses`` (then 200), ``delay`` seconds
    after it arrived, and records it when it arrives (so an answer never read still counts);
    ``most_at_once`` is the most requests it has held at the same time."""

    def __init__(self, delay: float = 0.0):
        self.secret: str | None = None
        self.statuses: list[int] = []
        self.received: list[dict] = []
        self.delay = delay
        self.at_once = self.most_at_once = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({
                    "body": json.loads(body), "headers": dict(self.headers), "path": self.path,
                    "at": time.monotonic(),
                    "valid": receiver.secret is not None and stripe_style_valid(
                        receiver.secret, body, self.headers.get("Backlex-Signature", ""))})
                with lock:
                    receiver.at_once += 1
                    receiver.most_at_once = max(receiver.most_at_once, receiver.at_once)
                try:
                    time.sleep(receiver.delay)
                finally:
                    with lock:
                        receiver.at_once -= 1
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                with contextlib.suppress(ConnectionError):  # the sender died waiting: it counts as received
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"receiver failed")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/backlex"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
