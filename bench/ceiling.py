"""The ceiling: a bare Starlette app answering the benchmarked operations with fixed bodies.

``BENCH_BODIES`` names a JSON file ``{"<METHOD> <route>": [status, body]}`` recorded from our
server, so the ceiling sends exactly the bytes our server sends.
Run: ``uvicorn --factory bench.ceiling:create``.
"""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route


def fixed(status: int, body) -> callable:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    async def endpoint(_request):
        return Response(payload, status_code=status, media_type="application/json")

    return endpoint


def create() -> Starlette:
    with open(os.environ["BENCH_BODIES"]) as handle:
        bodies = json.load(handle)
    routes = []
    for key, (status, body) in bodies.items():
        method, _, path = key.partition(" ")
        routes.append(Route(path, fixed(status, body), methods=[method]))
    return Starlette(routes=routes)
