"""The APIs this server serves, found by layout, and what the shared code needs of each.

An API is a folder: ``specs/<api>.openapi.json`` (the source), ``generated/<api>/`` (what
codegen made of it) and ``handlers/<api>/`` (its behaviour). ``discover()`` serves every API
that has both a generated package and ``handlers/<api>/_api.py``, whose ``API`` (an
``ApiDefinition``) hands the shared server code what it needs: its operations, envelope,
security step, store models and migration steps, seed, demo and job consumer. Nothing in
``spec_server/`` names an API.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spec_server import choices, handler_check
from spec_server.errors import ApiError
from spec_server.operations import Operation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Demo:
    """The dataset ``serve`` seeds into an empty database, and the curl lines it prints."""

    seed: dict  # this API's part of a seed file
    lines: Callable[[str, dict], list[str]]  # (base URL, what seeding created) -> curl lines


@dataclass(frozen=True)
class ApiDefinition:
    name: str
    mount: str  # path prefix the API is served under
    openapi_path: Path  # generated runtime document
    operations: Mapping[str, Operation]  # by operationId, from the generated table
    envelope: Callable[[ApiError], Mapping[str, Any]]  # error body in the API's own shape (its ErrorBody)
    schema_error_status: int  # status of a request that breaks the schema (400 or 422)
    # the security step: decides who calls (or raises 400/401/403/429) before validation
    authorize: Callable[[Operation, Any], Any]
    # runs in the handler's thread before it, with its keyword arguments (e.g. org roles)
    before_handler: Callable[[Operation, dict], None] | None = None
    title: str = ""
    models: tuple = ()  # the API's peewee models (tables are created and migrated with the shared ones)
    migrations: tuple = ()  # spec_server.migrations.Step parts for this API's tables
    prepare_store: Callable[[Any], None] | None = None  # tables outside the models (a job queue's)
    # rate-limit buckets the document does not state (requests, window seconds); the
    # document's own (x-rateLimit) come from the generated table
    extra_rate_limits: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # rules the document does not state, checked against the operations: a list of findings
    completeness: Callable[[Sequence[Operation]], list[str]] | None = None
    # ``codegen --scaffold``: write what ``completeness`` would ask for (rows to fill in); lines written
    scaffold: Callable[[Sequence[Operation]], list[str]] | None = None
    seed: Callable[[dict], dict] | None = None  # ``spec-server seed``: this API's part of the file
    demo: Demo | None = None
    on_serve: Callable[[], None] | None = None  # once per server process (e.g. a job consumer)

    def owns(self, path: str) -> bool:
        return path == self.mount or path.startswith(self.mount + "/")

    def allowed_methods(self, path: str) -> list[str]:
        """Methods the document defines for a concrete path (for 405's Allow header)."""
        methods = {op.method for op in self.operations.values() if _template_matches(op.path, path)}
        return sorted(methods | ({"HEAD"} if "GET" in methods else set()))

    def rate_limits(self) -> dict[str, tuple[int, int]]:
        """Every bucket of this API: the document's (x-rateLimit) and the hand-written ones."""
        limits = dict(self.extra_rate_limits)
        for operation in self.operations.values():
            if operation.rate_limit is not None:
                limits[operation.rate_limit.bucket] = operation.rate_limit.limit
        return limits


def _template_matches(template: str, path: str) -> bool:
    parts, actual = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(actual) and all(
        p.startswith("{") or p == a for p, a in zip(parts, actual, strict=True))


def generated_names() -> list[str]:
    """APIs codegen has generated: the subpackages of ``generated``."""
    import generated

    return sorted(m.name for m in pkgutil.iter_modules(generated.__path__) if m.ispkg)


def handler_names() -> list[str]:
    import handlers

    return sorted(m.name for m in pkgutil.iter_modules(handlers.__path__) if m.ispkg)


def served_names() -> list[str]:
    """Generated APIs with hand-written handlers; a generated API without them is named in
    the log (``spec-server codegen --scaffold`` writes their skeleton)."""
    with_handlers = set(handler_names())
    names = []
    for name in generated_names():
        if name in with_handlers and _has_module(f"handlers.{name}._api"):
            names.append(name)
        else:
            log.warning("generated/%s has no handlers/%s/_api.py: not served "
                        "(run `spec-server codegen --scaffold`)", name, name)
    return names


def _has_module(dotted: str) -> bool:
    package, _, module = dotted.rpartition(".")
    return any(m.name == module for m in pkgutil.iter_modules(importlib.import_module(package).__path__))


def load(name: str) -> ApiDefinition:
    api = importlib.import_module(f"handlers.{name}._api").API
    if api.name != name:
        raise LookupError(f"handlers/{name}/_api.py defines the API {api.name!r}")
    return api


@functools.cache
def _discovered() -> tuple[ApiDefinition, ...]:
    return tuple(load(name) for name in served_names())


def discover(only: str = "all") -> tuple[ApiDefinition, ...]:
    """Every served API (or the one named ``only``), the longest mount first: a path belongs
    to the API whose mount is its longest prefix."""
    apis = [api for api in _discovered() if only in ("all", api.name)]
    if only != "all" and not apis:
        raise LookupError(f"no API {only!r}; served: {', '.join(a.name for a in _discovered())}")
    return tuple(sorted(apis, key=lambda api: (-len(api.mount), api.name)))


def forget() -> None:
    """Discover again on the next call (tests that add an API folder)."""
    _discovered.cache_clear()
    rate_limits.cache_clear()


def owner_of(path: str, apis: Sequence[ApiDefinition] | None = None) -> ApiDefinition | None:
    return next((api for api in (apis if apis is not None else discover()) if api.owns(path)), None)


@functools.cache
def rate_limits() -> dict[str, tuple[int, int]]:
    """Every served API's buckets. A bucket name means one limit across the server: two APIs
    that state different numbers for one name are an error (``completeness_findings``)."""
    limits: dict[str, tuple[int, int]] = {}
    for api in discover():
        limits.update(api.rate_limits())
    return limits


def completeness_findings(apis: Sequence[ApiDefinition],
                          operations: Mapping[str, Sequence[Operation]] | None = None) -> list[str]:
    """What the shared code checks of every API before it serves: its own completeness rules
    (e.g. backlex's permission table), its tables keyed by the document's lists (``choices``)
    and bucket names that mean one limit. ``operations``
    (by API name) replaces the generated tables: ``codegen --check`` passes a fresh parse."""
    findings = []
    seen: dict[str, tuple[str, tuple[int, int]]] = {}
    for api in apis:
        rows = list(operations[api.name]) if operations and api.name in operations else list(api.operations.values())
        if api.completeness is not None:
            findings += api.completeness(rows)  # each line starts with the file to edit
        findings += choices.findings(choices.declared_in(f"handlers.{api.name}"), rows)
        limits = dict(api.extra_rate_limits)
        limits.update({op.rate_limit.bucket: op.rate_limit.limit for op in rows if op.rate_limit is not None})
        findings += handler_check.bucket_findings(api.name, limits)
        for bucket, limit in sorted(limits.items()):
            other = seen.setdefault(bucket, (api.name, limit))
            if other[1] != limit:
                findings.append(f"specs/{api.name}.openapi.json: rate-limit bucket {bucket!r} is {limit[0]}/{limit[1]}s "
                                f"here but {other[1][0]}/{other[1][1]}s in {other[0]}: one name, one limit (rename one)")
    return findings
