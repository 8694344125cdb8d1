"""spec_server.route_index: the indexed router picks the route Starlette's own loop picks."""

from __future__ import annotations

import asyncio
import json

from starlette.routing import Mount, Route, Router

from spec_server import apis
from spec_server.route_index import IndexedRouter


class Endpoint:
    """An ASGI app (not a function, which Starlette would call with a request) naming its route."""

    def __init__(self, path, method):
        self.route = (path, method)

    async def __call__(self, scope, receive, send):
        scope["answered"] = self.route
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def router_of(kind, api):
    paths = json.loads(api.openapi_path.read_text())["paths"]

    routes = [Route(path, Endpoint(path, method), methods=[method])
              for path, item in paths.items() for method in item if method in ("get", "post", "patch", "put", "delete")]
    routes.append(Route("/files/{rest:path}", Endpoint("/files/{rest:path}", "get"), methods=["get"]))
    return kind(routes=[Mount(api.mount, app=kind(routes=routes))])


def answer(router, method: str, path: str):
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(router(scope, receive, send))
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    return scope.get("answered"), status, scope.get("path_params")


def requests_of(api):
    paths = json.loads(api.openapi_path.read_text())["paths"]
    for path in paths:
        concrete = api.mount + path.replace("{", "x-").replace("}", "")
        for method in ("GET", "POST", "PATCH", "DELETE", "PUT"):
            yield method, concrete
            yield method, concrete + "/"
            yield method, concrete + "/extra"
    yield "GET", api.mount + "/files/a/b/c"
    yield "GET", api.mount + "/nowhere"
    yield "GET", api.mount


def test_every_request_reaches_what_starlette_would_answer():
    checked = 0
    for api in apis.discover():
        plain, indexed = router_of(Router, api), router_of(IndexedRouter, api)
        for method, path in requests_of(api):
            assert answer(indexed, method, path) == answer(plain, method, path), (method, path)
            checked += 1
    assert checked > 300
