"""Starlette's router, trying only the routes a path can match.

Starlette tries every route in order, a regular expression and a scope dict each (about 2 µs a
route here), and connexion routes every request twice (its routing middleware, then the app):
backlex's 52 paths cost ~100 µs a lookup for ``/api/org/{slug}/projects``, a fifth of that
request's CPU. A route's path has a fixed number of ``/``-separated segments and fixed literal
ones (no convertor but ``path`` crosses a ``/``), so only routes with the request's segment
count and literals can match. ``IndexedRouter`` runs Starlette's own ``matches`` on those, in
the routes' order, and hands the first full match its request, as Starlette would; anything
else (a method mismatch, a miss, a redirect, a websocket) goes to Starlette's own loop over
every route, so the answers are Starlette's.
"""

from __future__ import annotations

from starlette._utils import get_route_path
from starlette.routing import Match, Route, Router

ALWAYS = None  # an entry the index cannot narrow (a mount, a ``{name:path}`` route): always tried


def _literals(route) -> tuple[int, tuple[tuple[int, str], ...]] | None:
    """(segment count, its literal segments by position) of a plain route; None otherwise."""
    if type(route) is not Route or ":path}" in route.path:
        return ALWAYS
    segments = route.path.split("/")
    return len(segments), tuple((position, text) for position, text in enumerate(segments) if "{" not in text)


class RouteIndex:
    def __init__(self, routes: list):
        self.by_count: dict[int, list] = {}
        shapes = [(route, _literals(route)) for route in routes]
        counts = {shape[0] for _route, shape in shapes if shape is not ALWAYS}
        for count in counts:
            self.by_count[count] = [(route, None if shape is ALWAYS else shape[1]) for route, shape in shapes
                                    if shape is ALWAYS or shape[0] == count]
        self.always = [(route, None) for route, shape in shapes if shape is ALWAYS]

    def candidates(self, path: str):
        segments = path.split("/")
        for route, literals in self.by_count.get(len(segments), self.always):
            if literals is None or all(segments[position] == text for position, text in literals):
                yield route


class IndexedRouter(Router):
    _index: RouteIndex | None = None
    _indexed: tuple = ()

    def route_index(self) -> RouteIndex:
        key = (id(self.routes), len(self.routes))  # connexion adds routes after the router is made
        if self._index is None or self._indexed != key:
            self._index, self._indexed = RouteIndex(self.routes), key
        return self._index

    async def app(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for route in self.route_index().candidates(get_route_path(scope)):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)
