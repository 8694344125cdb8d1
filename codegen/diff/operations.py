"""Paths and operations: matched by server path + path (path parameter names aside), then
their parameters, request bodies, responses, security and extensions compared.

An operation is named ``METHOD`` + the path of ``servers[0].url`` + the path, so Pathmode's
upstream ``https://pathmode.io`` + ``/api/v1/intents`` and its runtime ``/api/v1`` +
``/intents`` are both ``GET /api/v1/intents``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from codegen.diff import security
from codegen.diff.extensions import compare_extensions
from codegen.diff.model import Findings, at
from codegen.diff.refs import resolve
from codegen.diff.schemas import SchemaDiff

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PLACEHOLDER = re.compile(r"\{([^}]*)\}")
JSON = "application/json"
# Keywords compared below; any other key of an operation that changes is keyword-changed.
OPERATION_KEYS = frozenset({"tags", "summary", "description", "operationId", "parameters", "requestBody",
                            "responses", "deprecated", "security"})
SERIALIZATION = ("style", "explode", "allowReserved", "allowEmptyValue")
PATH_ITEM_KEYS = frozenset({*METHODS, "parameters", "summary", "description", "$ref"})
PARAMETER_KEYS = frozenset({"name", "in", "required", "deprecated", "schema", "content", "description",
                            "example", "examples", *SERIALIZATION})


def server_prefix(document: dict) -> str:
    """The path part of ``servers[0].url``: scheme and host dropped, no trailing slash."""
    servers = document.get("servers") or [{"url": "/"}]
    url = servers[0].get("url", "/") if isinstance(servers[0], dict) else "/"
    return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", "", url).rstrip("/")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template as written, relative to the server
    item: dict  # the path item (refs resolved)
    operation: dict
    prefix: str

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.prefix}{self.path}"

    @property
    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.path)


def routes(document: dict) -> dict[tuple[str, str], Route]:
    """Every operation, keyed by (full path with placeholders blanked, method)."""
    prefix = server_prefix(document)
    found: dict[tuple[str, str], Route] = {}
    for path, item in sorted((document.get("paths") or {}).items()):
        item = resolve(document, item)
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                key = (PLACEHOLDER.sub("{}", prefix + path), method)
                found.setdefault(key, Route(method, path, item, item[method], prefix))
    return found


def compare_paths(old_document: dict, new_document: dict, findings: Findings) -> None:
    before, after = routes(old_document), routes(new_document)
    for key in sorted(before.keys() - after.keys()):
        route = before[key]
        findings.add("operation-removed", route.name, "operation", _label(route.operation), None)
    for key in sorted(after.keys() - before.keys()):
        route = after[key]
        findings.add("operation-added", route.name, "operation", None, _label(route.operation))
    for key in sorted(before.keys() & after.keys()):
        OperationDiff(old_document, new_document, findings, before[key], after[key]).run()


def _label(operation: dict) -> object:
    return operation.get("operationId") or operation.get("summary")


def _media_label(base: str, media_type: str) -> str:
    return base if media_type == JSON else f"{base} ({media_type})"


class OperationDiff:
    """One operation present in both documents."""

    def __init__(self, old_document: dict, new_document: dict, findings: Findings, old: Route, new: Route):
        self.old_document, self.new_document, self.findings = old_document, new_document, findings
        self.old, self.new = old, new
        self.name = new.name
        self.request = SchemaDiff(old_document, new_document, findings, self.name, "request")
        self.response = SchemaDiff(old_document, new_document, findings, self.name, "response")

    def add(self, change_id: str, location: str, old: object = None, new: object = None) -> None:
        self.findings.add(change_id, self.name, location, old, new)

    def run(self) -> None:
        renames = self._path_parameters()
        self._operation()
        self._parameters(renames)
        self._request_body()
        self._responses()
        security.compare_requirements(security.effective(self.old_document, self.old.operation),
                                      security.effective(self.new_document, self.new.operation),
                                      self.findings, self.name)

    def _path_parameters(self) -> dict[str, str]:
        """Old name → new name of each placeholder, by position (the URL is the same)."""
        renames = {}
        for old_name, new_name in zip(self.old.placeholders, self.new.placeholders, strict=True):
            renames[old_name] = new_name
            if old_name != new_name:
                self.add("path-parameter-renamed", f"path parameter {new_name}", old_name, new_name)
        return renames

    def _prose(self, old: dict, new: dict, base: str) -> None:
        for keyword in ("summary", "description"):
            if old.get(keyword) != new.get(keyword):
                self.add("description-changed", at(base, keyword), old.get(keyword), new.get(keyword))

    def _operation(self) -> None:
        old, new = self.old.operation, self.new.operation
        if old.get("operationId") != new.get("operationId"):
            change_id = ("operation-id-added" if old.get("operationId") is None
                         else "operation-id-removed" if new.get("operationId") is None else "operation-id-changed")
            self.add(change_id, "operationId", old.get("operationId"), new.get("operationId"))
        was, now = bool(old.get("deprecated")), bool(new.get("deprecated"))
        if was != now:
            self.add("operation-deprecated" if now else "operation-undeprecated", "deprecated", was, now)
        if old.get("tags") != new.get("tags"):
            self.add("tags-changed", "tags", old.get("tags"), new.get("tags"))
        self._prose(old, new, "")
        self._prose(self.old.item, self.new.item, "path item")
        compare_extensions(self.old.item, self.new.item, self.findings, self.name, "path item")
        compare_extensions(old, new, self.findings, self.name, "")
        self._unread(old, new, OPERATION_KEYS, "")
        self._unread(self.old.item, self.new.item, PATH_ITEM_KEYS, "path item")

    def _unread(self, old: dict, new: dict, read: frozenset, base: str) -> None:
        """Keys without a rule (callbacks, servers, externalDocs…): reported, never silent."""
        for keyword in sorted({*old, *new} - read):
            if not keyword.startswith("x-") and old.get(keyword) != new.get(keyword):
                self.add("keyword-changed", at(base, keyword), old.get(keyword), new.get(keyword))

    # -- parameters

    def _effective_parameters(self, route: Route, document: dict, renames: dict[str, str]) -> dict[tuple, dict]:
        """Path-level then operation-level parameters; the operation's win on the same name + in."""
        found: dict[tuple, dict] = {}
        for parameter in [*(route.item.get("parameters") or []), *(route.operation.get("parameters") or [])]:
            parameter = resolve(document, parameter)
            if not isinstance(parameter, dict) or "name" not in parameter:
                continue
            where, name = str(parameter.get("in")), str(parameter["name"])
            if where == "path":
                name = renames.get(name, name)
            found[(where, name.lower() if where == "header" else name)] = parameter
        return found

    def _parameters(self, renames: dict[str, str]) -> None:
        before = self._effective_parameters(self.old, self.old_document, renames)
        after = self._effective_parameters(self.new, self.new_document, {})
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key), after.get(key)
            base = f"{key[0]} parameter {(new or old or {}).get('name')}"
            if old is None:
                assert new is not None  # the key came from one of the two
                required = bool(new.get("required"))
                self.add("new-required-request-parameter" if required else "new-optional-request-parameter", base, None, new)
            elif new is None:
                self.add("request-parameter-removed", base, old, None)
            else:
                self._parameter(old, new, base)

    def _parameter(self, old: dict, new: dict, base: str) -> None:
        was, now = bool(old.get("required")), bool(new.get("required"))
        if was != now:
            self.add("request-parameter-became-required" if now else "request-parameter-became-optional", base, was, now)
        was, now = bool(old.get("deprecated")), bool(new.get("deprecated"))
        if was != now:
            self.add("request-parameter-deprecated" if now else "request-parameter-no-longer-deprecated",
                     at(base, "deprecated"), was, now)
        for keyword in SERIALIZATION:
            if old.get(keyword) != new.get(keyword):
                self.add("request-parameter-serialization-changed", at(base, keyword), old.get(keyword), new.get(keyword))
        if old.get("description") != new.get("description"):
            self.add("description-changed", at(base, "description"), old.get("description"), new.get("description"))
        if (old.get("example"), old.get("examples")) != (new.get("example"), new.get("examples")):
            self.add("example-changed", at(base, "example"), old.get("example", old.get("examples")),
                     new.get("example", new.get("examples")))
        compare_extensions(old, new, self.findings, self.name, base)
        self._unread(old, new, PARAMETER_KEYS, base)
        self.request.compare(_parameter_schema(old), _parameter_schema(new), base, "parameter")

    # -- bodies

    def _request_body(self) -> None:
        old = resolve(self.old_document, self.old.operation.get("requestBody"))
        new = resolve(self.new_document, self.new.operation.get("requestBody"))
        base = "request body"
        if not isinstance(old, dict) and not isinstance(new, dict):
            return
        if not isinstance(old, dict):
            self.add("new-required-request-body" if new.get("required") else "new-optional-request-body",
                     base, None, sorted(new.get("content") or {}))
            return
        if not isinstance(new, dict):
            self.add("request-body-removed", base, sorted(old.get("content") or {}), None)
            return
        was, now = bool(old.get("required")), bool(new.get("required"))
        if was != now:
            self.add("request-body-became-required" if now else "request-body-became-optional", base, was, now)
        if old.get("description") != new.get("description"):
            self.add("description-changed", at(base, "description"), old.get("description"), new.get("description"))
        compare_extensions(old, new, self.findings, self.name, base)
        self._content(old.get("content") or {}, new.get("content") or {}, base, self.request, "request-body-media-type")

    def _content(self, before: dict, after: dict, base: str, side: SchemaDiff, media_id: str) -> None:
        """Media types of a request body or a response, each one's schema compared."""
        for media_type in sorted(before.keys() - after.keys()):
            self.add(f"{media_id}-removed", base, media_type, None)
        for media_type in sorted(after.keys() - before.keys()):
            self.add(f"{media_id}-added", base, None, media_type)
        for media_type in sorted(before.keys() & after.keys()):
            old, new = before[media_type] or {}, after[media_type] or {}
            where = _media_label(base, media_type)
            if (old.get("example"), old.get("examples")) != (new.get("example"), new.get("examples")):
                self.add("example-changed", at(where, "example"), old.get("example", old.get("examples")),
                         new.get("example", new.get("examples")))
            if old.get("encoding") != new.get("encoding"):
                self.add("keyword-changed", at(where, "encoding"), old.get("encoding"), new.get("encoding"))
            compare_extensions(old, new, self.findings, self.name, where)
            side.compare(old.get("schema", {}), new.get("schema", {}), where, "body")

    # -- responses

    def _responses(self) -> None:
        before = self.old.operation.get("responses") or {}
        after = self.new.operation.get("responses") or {}
        for status in sorted({*before, *after}, key=str):
            base = f"response {status}"
            old = resolve(self.old_document, before.get(status))
            new = resolve(self.new_document, after.get(status))
            if not isinstance(new, dict):
                self.add("response-status-removed", base, (old or {}).get("description"), None)
            elif not isinstance(old, dict):
                self.add("response-status-added", base, None, new.get("description"))
            else:
                self._response(old, new, status, base)

    def _response(self, old: dict, new: dict, status: str, base: str) -> None:
        if old.get("description") != new.get("description"):
            self.add("description-changed", at(base, "description"), old.get("description"), new.get("description"))
        if old.get("links") != new.get("links"):
            self.add("keyword-changed", at(base, "links"), old.get("links"), new.get("links"))
        compare_extensions(old, new, self.findings, self.name, base)
        self._content(old.get("content") or {}, new.get("content") or {}, f"{base} body", self.response,
                      "response-media-type")
        self._headers(old.get("headers") or {}, new.get("headers") or {}, base)

    def _headers(self, before: dict, after: dict, base: str) -> None:
        old_headers = {name.lower(): (name, value) for name, value in before.items()}
        new_headers = {name.lower(): (name, value) for name, value in after.items()}
        for key in sorted(old_headers.keys() | new_headers.keys()):
            name = (new_headers.get(key) or old_headers[key])[0]
            where = f"{base} header {name}"
            if key not in new_headers:
                self.add("response-header-removed", where, old_headers[key][1], None)
                continue
            if key not in old_headers:
                self.add("response-header-added", where, None, new_headers[key][1])
                continue
            old = resolve(self.old_document, old_headers[key][1]) or {}
            new = resolve(self.new_document, new_headers[key][1]) or {}
            was, now = bool(old.get("required")), bool(new.get("required"))
            if was != now:
                self.add("response-header-became-required" if now else "response-header-became-optional", where, was, now)
            if old.get("description") != new.get("description"):
                self.add("description-changed", at(where, "description"), old.get("description"), new.get("description"))
            compare_extensions(old, new, self.findings, self.name, where)
            self.response.compare(_parameter_schema(old), _parameter_schema(new), where, "header")


def _parameter_schema(parameter: dict) -> Any:
    """A parameter's or header's ``schema``, else the schema of its single ``content`` entry."""
    if "schema" in parameter:
        return parameter["schema"]
    content = parameter.get("content") or {}
    for media in content.values():
        return (media or {}).get("schema", {})
    return {}
