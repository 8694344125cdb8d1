"""Pure lookups connexion repeats on every request, remembered (installed by ``create_app``).

connexion 3.3 rebuilds, per request, answers that depend only on the document:
- ``OpenAPIOperation.body_definition`` (seven calls a request with a body): it sorts the
  operation's media types, glob-matches the content type, and returns the document's own
  media-type object (to which it attaches the components, the same way each time);
- ``pythonic`` / ``sanitized``, which turn each parameter name into a Python name with
  ``inflection`` and three regular expressions.
Together about a seventh of the event loop's time on ``POST /api/v1/intents``. The
remembered versions return the very objects and strings connexion's own return
(``tests/speed/test_connexion_tuning.py``).

Then, per request under AsyncApp, connexion builds an operation's decorator chain afresh
(``AsyncOperation.fn`` a new ``StarletteDecorator``, its ``decorate`` three decorators with
``functools.wraps`` and ``inspect.signature``, its ``uri_parser`` a new parser of the
operation's parameters), runs Starlette's form parser on a JSON body to find no files, parses
the JSON body a second time with the standard library, and builds ``typing`` aliases to read
the content-type header. All of it depends on the operation alone, or repeats work done:
remembered per operation, skipped for bodies that are not forms, and the body the validator
parsed handed on (``BODY_KEY``). On the connexion floor (``bench/floor.py``) that was about a
fifth of a request's CPU (README "Benchmark"). A request without a query string resolves its
query parameters from no values, without building Starlette's ``QueryParams`` (twice a
request: the validator's and the handler's): the floor's intent by id in-process 107-109 →
102-104 µs (fastest of three runs, two A/B rounds).

Every request also went through the router of the served documents' pages (``openapi.json``,
``.yaml``, Swagger UI) before connexion's own routing; it is entered now only by a path that
starts with one of those pages' paths. In-process (``bench/inprocess.py``, the intent by id,
SQLite, 3 x 3,000 calls, medians of two A/B rounds) that took the floor from 166-195 to
127-141 µs a request and ours from 341-348 to 318-328.

The routing middleware's Starlette routers are left as they are: an index trying only the
routes a path can match saved 7.5 µs a routing for backlex's 52 paths (19 → 11.5 µs of CPU)
and cost 1.5 µs for Pathmode's 16 (5.9 → 7.4), not worth a layer of our own.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from connexion import lifecycle, utils
from connexion.apps import asynchronous
from connexion.context import operation as current_operation
from connexion.decorators import main, parameter
from connexion.middleware import swagger_ui
from connexion.operations import openapi

_UNSET = object()
# where the body validator leaves the JSON body it parsed, in the request's scope extensions
BODY_KEY = "spec_server_body"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def install() -> None:
    operation_class = openapi.OpenAPIOperation
    if getattr(operation_class.body_definition, "remembered", False):
        return
    computed = operation_class.body_definition

    @functools.wraps(computed)
    def body_definition(self, content_type=None):
        remembered = self.__dict__.setdefault("_remembered_body_definitions", {})
        found = remembered.get(content_type, _UNSET)
        if found is _UNSET:
            found = remembered[content_type] = computed(self, content_type)
        return found

    body_definition.remembered = True  # type: ignore[attr-defined]  # marks the patch as applied
    operation_class.body_definition = body_definition
    # the decorators pick the function by module-level name when they are built
    parameter.pythonic = functools.lru_cache(maxsize=4096)(parameter.pythonic)
    parameter.sanitized = functools.lru_cache(maxsize=4096)(parameter.sanitized)
    _remember_decorator_chains()
    _skip_repeated_request_work()
    _enter_document_pages_only()


def _remember_decorator_chains() -> None:
    operation_fn = asynchronous.AsyncOperation.fn.fget

    def fn(self):  # one StarletteDecorator per operation, not per request
        found = self.__dict__.get("_remembered_fn")
        if found is None:
            found = self.__dict__["_remembered_fn"] = operation_fn(self)
        return found

    asynchronous.AsyncOperation.fn = property(fn)
    decorate = main.BaseDecorator.decorate

    def remembered_decorate(self, function):
        chains = self.__dict__.setdefault("_remembered_chains", {})
        found = chains.get(function)
        if found is None:
            found = chains[function] = decorate(self, function)
        return found

    main.BaseDecorator.decorate = remembered_decorate
    uri_parser = main.BaseDecorator.uri_parser.fget

    def remembered_uri_parser(self):
        # keyed by the routed operation (the decorator may serve more than one in principle)
        routed = current_operation._get_current_object()
        parsers = self.__dict__.setdefault("_remembered_parsers", {})
        found = parsers.get(id(routed))
        if found is None or found[0] is not routed:
            found = parsers[id(routed)] = (routed, uri_parser(self))
        return found[1]

    main.BaseDecorator.uri_parser = property(remembered_uri_parser)


def _content_type(headers) -> str | None:
    """``connexion.utils.extract_content_type`` without building ``typing`` aliases each call."""
    for key, value in headers.items() if isinstance(headers, dict) else headers:
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        if name.lower() == "content-type":
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


def _skip_repeated_request_work() -> None:
    utils.extract_content_type = _content_type
    split_form_files = lifecycle.ConnexionRequest._split_form_files

    async def files(self):
        if self._files is None:
            if self.mimetype in FORM_CONTENT_TYPES:
                await split_form_files(self)
            else:  # what Starlette's form parser finds in any other body: nothing
                self._files = defaultdict(list)
                self._form = self.uri_parser.resolve_form(defaultdict(list))
        return self._files

    lifecycle.ConnexionRequest.files = files
    read_json = lifecycle.ConnexionRequest.json

    async def json(self):
        parsed = self.scope.get("extensions", {}).get(BODY_KEY, _UNSET)
        if parsed is not _UNSET:
            return parsed
        return await read_json(self)

    lifecycle.ConnexionRequest.json = json
    query_params = lifecycle.ConnexionRequest.query_params.fget

    def no_query_no_parse(self):
        # no query string, no Starlette QueryParams to build: the same resolution of no values
        if self._query_params is None and not self.scope.get("query_string"):
            self._query_params = self.uri_parser.resolve_query({})
        return query_params(self)

    no_query_no_parse.computed = query_params  # type: ignore[attr-defined]  # connexion's, for the tests
    lifecycle.ConnexionRequest.query_params = property(no_query_no_parse)


def _enter_document_pages_only() -> None:
    """connexion's middleware of the served documents and Swagger UI (``<mount>/openapi.json``,
    ``.yaml``, ``<mount>/ui/``) runs every request through a Starlette router of its mounts and
    their routes before it hands the request on. Here a request whose path starts with none of
    the pages' paths goes straight on (one under a ``root_path`` still takes the router); the
    pages are served by connexion's router as before."""
    middleware = swagger_ui.SwaggerUIMiddleware
    add_api, call = middleware.add_api, middleware.__call__

    def remembering_add_api(self, *args, **kwargs):
        add_api(self, *args, **kwargs)
        self._pages = tuple(mount.path + route.path for mount in self.router.routes
                            for route in getattr(mount, "routes", ()))

    async def pages_only(self, scope, receive, send):
        if scope["type"] == "http" and not scope.get("root_path") and not scope["path"].startswith(
                getattr(self, "_pages", ())):
            return await self.app(scope, receive, send)
        return await call(self, scope, receive, send)

    middleware.add_api = remembering_add_api
    middleware.__call__ = pages_only
