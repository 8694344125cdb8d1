"""Where the suite points: an in-process app or a running deployment, plus its credentials.

Credentials are ``spec-server seed``'s output for the suite's seed file (``spec-server
conformance --print-seed``): each API's plugin reads its part and says, one line each, what
is missing (``conformance.plugin``). ``state`` is where plugins keep what they made through
the API (backlex's tenant orgs, the ids positive cases are pointed at).

The suite runs with raised rate limits. A boundary check needs a bucket's own limit back for
the few requests it sends: ``own_limit(bucket)`` gives it in-process (the server's configured
value for that bucket, the raised one again afterwards); a deployment's configuration is its
own, so there it changes nothing and the check reads what the server does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx


@dataclass
class Target:
    """``app`` (in-process ASGI app) or ``base_url`` (``http://host:port``), never both."""

    credentials: dict
    base_url: str | None = None
    app: object | None = None
    state: dict = field(default_factory=dict)  # per API: what its plugin made and remembers
    # values positive cases are pointed at, per API: path parameters and "body" fields
    pins: dict = field(default_factory=dict)
    # in-process only: lifts the suite's raised limit of one bucket for a while (see own_limit)
    lift_raised_limit: Callable[[str], contextlib.AbstractContextManager] | None = None

    @property
    def remote(self) -> bool:
        return self.base_url is not None

    def client(self) -> httpx.Client:
        if self.remote:
            return httpx.Client(base_url=self.base_url, timeout=30)
        from starlette.testclient import TestClient  # an httpx.Client over the ASGI app

        return TestClient(self.app, raise_server_exceptions=False)

    def of(self, api: str) -> dict:
        """The API's part of the credentials."""
        return self.credentials.get(api, {})

    def state_of(self, api: str) -> dict:
        return self.state.setdefault(api, {})

    def pins_of(self, api: str) -> dict:
        return self.pins.setdefault(api, {})

    @contextlib.contextmanager
    def own_limit(self, bucket: str) -> Iterator[bool]:
        """Within the block the bucket has the server's own limit; yields whether the suite
        could make it so (in-process), or False (a deployment: its limits are what they are)."""
        if self.lift_raised_limit is None:
            yield False
            return
        with self.lift_raised_limit(bucket):
            yield True
