"""Parse an upstream document (plus overlay) into plain dataclasses.

Nothing downstream of this module reads the raw spec dict: the renderer only sees
``ApiSpec`` and ``Operation``. Surprises are gathered as ``Problem`` rows with a level
instead of stopping at the first one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codegen import openapi31
from codegen.bodies import Bodies, name_clashes, parse_bodies
from codegen.document import HTTP_METHODS, deref
from codegen.links import link_origins, link_problems
from codegen.overlay import OverlayError, apply_overlay
from codegen.problems import Problem
from spec_server import operations as rows
from spec_server.operations import Parameter, RateLimit


@dataclass(frozen=True)
class ApiConfig:
    """Where one API's sources live. Its mount (the path prefix it is served under) is the
    document's own: see ``mount_of``."""

    name: str
    spec: Path
    overlays: tuple[Path, ...]  # applied in order; missing files are skipped


def api_configs(root: Path) -> tuple[ApiConfig, ...]:
    """Every API of a project, by layout: ``specs/<api>.openapi.json``, corrected by
    ``specs/<api>.overlay.json`` then ``specs/<api>.links.overlay.json`` when they exist."""
    specs = root / "specs"
    configs = []
    for spec in sorted(specs.glob("*.openapi.json")):
        name = spec.name.removesuffix(".openapi.json")
        configs.append(ApiConfig(name, spec, (specs / f"{name}.overlay.json", specs / f"{name}.links.overlay.json")))
    return tuple(configs)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # as written in the runtime document (relative to the mount)
    public_path: str  # the path clients call
    tag: str
    handler_module: str
    handler_function: str
    security: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]  # alternatives of (scheme, scopes)
    success_status: int
    statuses: tuple[int, ...]
    scope: str | None
    auth: str | None
    rate_limit: RateLimit | None
    parameters: tuple[Parameter, ...]  # path and query, as connexion passes them to the handler
    has_body: bool
    body_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # see spec_server.operations
    quota_metrics: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        return f"{self.handler_module}.{self.handler_function}"

    def row(self) -> rows.Operation:
        """The operation as the generated table (and so the server) has it."""
        return rows.Operation(
            operation_id=self.operation_id, method=self.method, path=self.public_path, tag=self.tag,
            handler=self.handler, security=self.security, success_status=self.success_status,
            statuses=self.statuses, scope=self.scope, auth=self.auth, rate_limit=self.rate_limit,
            parameters=self.parameters, has_body=self.has_body, body_choices=self.body_choices,
            quota_metrics=self.quota_metrics)


@dataclass
class ApiSpec:
    config: ApiConfig
    document: dict  # the runtime document connexion loads
    mount: str = ""  # the path prefix the API is served under
    operations: list[Operation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bodies: Bodies = field(default_factory=Bodies)  # what generated/<api>/models.py is made of


def snake(text: str) -> str:
    """``getHealth`` → ``get_health``, ``get_api-keys`` → ``get_api_keys``, ``Enterprise SSO`` → ``enterprise_sso``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def derive_operation_id(method: str, path: str) -> str:
    """The rule for documents without operationIds (backlex).

    ``<method>_<words>``, where the words are the literal path segments, a segment that is
    followed by a path parameter (an item of a collection) is made singular, and parameters
    themselves are dropped. It mirrors Pathmode's own method-plus-path convention while
    staying readable: ``POST /org/{slug}/webhooks/{id}/test`` → ``post_org_webhook_test``,
    ``GET /org/{slug}/projects`` → ``get_org_projects``, ``PATCH /org/{slug}`` → ``patch_org``.
    """
    segments = [s for s in path.strip("/").split("/") if s]
    words = []
    for index, segment in enumerate(segments):
        if segment.startswith("{"):
            continue
        followed_by_param = index + 1 < len(segments) and segments[index + 1].startswith("{")
        words.append(singular(segment) if followed_by_param else segment)
    return snake("_".join([method, *words]))


def mount_of(document: dict) -> str:
    """Where an API is served: the path of its first server, plus the leading path segments
    every path of the document spells out (Pathmode's ``https://pathmode.io`` + ``/api/v1``),
    never a path's last segment. An overlay may set ``servers`` to choose it."""
    paths = [[s for s in path.strip("/").split("/") if s] for path in document.get("paths", {})]
    common: list[str] = []
    if paths:
        for index, segment in enumerate(paths[0][:-1]):
            if segment.startswith("{") or not all(len(p) > index + 1 and p[index] == segment for p in paths):
                break
            common.append(segment)
    return _server_path(document) + "".join(f"/{s}" for s in common)


def to_runtime_document(upstream: dict, overlays: list[dict], mount: str | None = None, *,
                        sources: Sequence[str] = (), errors: list[OverlayError] | None = None,
                        problems: list[Problem] | None = None) -> dict:
    """Overlay, then express the document in OpenAPI 3.0.3, which connexion 3.3 accepts.

    ``sources`` names the overlays in errors. Without an ``errors`` list the first action that
    cannot be applied raises ``OverlayError``; with one, it is skipped and appended there.

    OpenAPI 3.1 forms are converted where 3.0 says the same, and refused where it cannot
    (``codegen/openapi31.py``); what connexion would still refuse at start is refused here.
    Those problems go to ``problems``; without that list an error raises ``Unconvertible``.
    Both upstream documents declare 3.1.0 but are written in 3.0 idioms (``nullable``,
    boolean ``exclusiveMinimum``), so for them only the version string changes. When the
    API is mounted under a prefix that its paths spell out (Pathmode's ``/api/v1``), the
    prefix moves into ``servers`` so connexion can mount both APIs side by side; every public
    URL stays the same.
    """
    document = upstream
    for index, overlay in enumerate(overlays):
        source = sources[index] if index < len(sources) else "<overlay>"
        document = apply_overlay(document, overlay, source=source, errors=errors)
    mount = mount_of(document) if mount is None else mount
    converted = openapi31.convert(document)
    document = dict(converted.document, openapi="3.0.3")
    found = converted.problems + openapi31.unservable(document, converted.refused)
    if problems is not None:
        problems += found
    elif any(problem.level == "error" for problem in found):
        raise openapi31.Unconvertible("\n".join(p.message for p in found if p.level == "error"))
    upstream_mount = _server_path(document)
    if mount != upstream_mount:
        extra = mount[len(upstream_mount):]
        paths = {}
        for path, item in document["paths"].items():
            if not path.startswith(extra + "/"):
                raise ValueError(f"{path} is not under {extra}")
            paths[path[len(extra):]] = item
        document["paths"] = paths
        document["servers"] = [{"url": mount, "description": "Mounted base path"}]
    return document


def _shown(path: Path, config: ApiConfig) -> str:
    """An overlay's name as the README spells it (``specs/<api>.overlay.json``)."""
    try:
        return path.relative_to(config.spec.parent.parent).as_posix()
    except ValueError:  # an overlay kept elsewhere (tests)
        return path.as_posix()


def _server_path(document: dict) -> str:
    servers = document.get("servers") or [{"url": "/"}]
    url = servers[0]["url"]
    path = re.sub(r"^[a-z]+://[^/]+", "", url)
    return path.rstrip("/")


def _success_status(responses: dict) -> int:
    codes = sorted(int(code) for code in responses if code.isdigit() and code.startswith("2"))
    return codes[0] if codes else 200


_RATE_LIMIT = re.compile(r"(?P<bucket>[A-Za-z0-9_.-]+) (?P<requests>\d+)/(?P<count>\d*)(?P<unit>[smhd])"
                         r"(?: \(per (?P<per>[a-z ]+)\))?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_rate_limit(text: str | None) -> RateLimit | None:
    """``"general 300/h"`` → general, 300 per 3600 s; ``"analyzeCodebase 30/24h (per workspace)"``
    → per workspace; ``"none"`` or absent → no rule. Anything else raises ``ValueError``."""
    if text is None or text == "none":
        return None
    match = _RATE_LIMIT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"x-rateLimit {text!r} is not '<bucket> <requests>/<window>[ (per <key>)]'")
    window = int(match["count"] or 1) * _UNIT_SECONDS[match["unit"]]
    return RateLimit(match["bucket"], int(match["requests"]), window, match["per"])


def bucket_conflicts(stated: Sequence[tuple[str, str, RateLimit]]) -> list[Problem]:
    """One bucket is one window, whichever operation counts in it. ``stated`` holds
    ``(where, x-rateLimit text, rule)`` of every operation; a bucket whose rules differ
    (requests, window or what it is counted per) is one error naming each rule as written and
    the operations that state it."""
    by_bucket: dict[str, dict[RateLimit, list[tuple[str, str]]]] = {}
    for where, text, rule in stated:
        by_bucket.setdefault(rule.bucket, {}).setdefault(rule, []).append((where, text))
    problems = []
    for bucket, rules in sorted(by_bucket.items()):
        if len(rules) > 1:
            named = "; ".join(f"{places[0][1]!r} in {', '.join(where for where, _ in places)}"
                              for places in rules.values())
            problems.append(Problem("error", f"x-rateLimit bucket {bucket} is ambiguous: {named}"))
    return problems


def _parameters(document: dict, item: dict, op: dict) -> tuple[Parameter, ...]:
    """The operation's path and query parameters (path-level ones included, overridden by
    name and location), in the order connexion sees them."""
    merged: dict[tuple[str, str], dict] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        parameter = deref(document, raw)
        merged[(parameter["name"], parameter["in"])] = parameter
    found = []
    for (name, location), parameter in merged.items():
        if location not in ("path", "query"):
            continue  # connexion passes neither headers nor cookies to handlers
        schema = deref(document, parameter.get("schema", {}))
        listed = schema.get("enum") or ()
        found.append(Parameter(name, location, bool(parameter.get("required")) or location == "path",
                               "default" in schema or "default" in parameter,
                               tuple(value for value in listed if isinstance(value, str))))
    return tuple(found)


def _body_choices(document: dict, op: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The JSON body's properties (its own and its ``allOf`` parts') whose schema is an enum
    of strings, with the strings, by property name."""
    body = deref(document, op.get("requestBody", {}))
    schema = deref(document, body.get("content", {}).get("application/json", {}).get("schema", {}))
    parts: list[dict] = [schema]
    found: dict[str, tuple[str, ...]] = {}
    while parts:
        part = parts.pop(0)
        parts += [deref(document, sub) for sub in part.get("allOf", [])]
        for name, raw in (part.get("properties") or {}).items():
            values = deref(document, raw).get("enum")
            if values and all(isinstance(value, str) or value is None for value in values):
                found.setdefault(name, tuple(value for value in values if value is not None))
    return tuple(sorted(found.items()))


# Pathmode states each plan quota in prose: "{ error: 'plan_limit_reached', metric: 'intents', ...}",
# "Billing-gated on the api_keys metric"
QUOTA_NAMED = (re.compile(r"metric:\s*'(\w+)'"), re.compile(r"\bon the (\w+) metric\b"))


def _quota_metrics(document: dict, op: dict) -> tuple[tuple[str, ...], bool]:
    """The ``plan_limit_reached`` metrics the operation's descriptions name, and whether one
    mentions ``plan_limit_reached`` at all (then naming none is worth a warning)."""
    texts = [op.get("description") or "", *(deref(document, answer).get("description") or ""
                                             for answer in (op.get("responses") or {}).values())]
    mentioned = [text for text in texts if "plan_limit_reached" in text or "Billing-gated" in text]
    metrics = {metric for text in mentioned for pattern in QUOTA_NAMED for metric in pattern.findall(text)}
    return tuple(sorted(metrics)), bool(mentioned)


def _security(requirements: list[dict]) -> tuple:
    return tuple(tuple(sorted((name, tuple(scopes)) for name, scopes in req.items())) for req in requirements)


def parse(config: ApiConfig) -> ApiSpec:
    upstream = json.loads(config.spec.read_text())
    overlay_paths = [path for path in config.overlays if path.exists()]
    overlays = [json.loads(path.read_text()) for path in overlay_paths]
    sources = [_shown(path, config) for path in overlay_paths]
    overlay_errors: list[OverlayError] = []
    conversion: list[Problem] = []
    document = to_runtime_document(upstream, overlays, sources=sources, errors=overlay_errors, problems=conversion)
    # A broken action is skipped, not fatal: the rest of the document still parses and every
    # broken action is reported in one run; the errors keep codegen from writing anything.
    # So are the 3.1 forms with no 3.0 form.
    mount = _server_path(document)
    spec = ApiSpec(config=config, document=document, mount=mount,
                   problems=[*(Problem("error", str(e)) for e in overlay_errors), *conversion])
    upstream_prefix = mount[len(_server_path(upstream)):]
    global_security = document.get("security", [])
    seen: dict[str, str] = {}
    stated_limits: list[tuple[str, str, RateLimit]] = []
    for path, item in sorted((document.get("paths") or {}).items()):
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            public_path = mount + path
            upstream_path = upstream_prefix + path
            operation_id = op.get("operationId")
            if not operation_id:
                operation_id = derive_operation_id(method, path)
                op["operationId"] = operation_id
            where = f"{method.upper()} {upstream_path}"
            if operation_id in seen:
                spec.problems.append(Problem("error", f"operationId {operation_id} of {where} repeats {seen[operation_id]}"))
            seen[operation_id] = where
            tags = op.get("tags") or ["default"]
            if len(tags) > 1:
                spec.problems.append(Problem("warning", f"{operation_id}: several tags, using {tags[0]}"))
            try:
                rate_limit = parse_rate_limit(op.get("x-rateLimit"))
                if rate_limit is not None:
                    stated_limits.append((where, op["x-rateLimit"], rate_limit))
            except ValueError as error:
                spec.problems.append(Problem("error", f"{where}: {error}"))
                rate_limit = None
            quota_metrics, gated = _quota_metrics(document, op)
            if gated and not quota_metrics:
                spec.problems.append(Problem("warning", f"{where}: its description mentions a plan limit "
                                                        f"(plan_limit_reached) but names no metric"))
            spec.operations.append(
                Operation(
                    operation_id=operation_id,
                    method=method.upper(),
                    path=path,
                    public_path=public_path,
                    tag=tags[0],
                    handler_module=f"handlers.{snake(config.name)}.{snake(tags[0])}",
                    handler_function=snake(operation_id),
                    security=_security(op.get("security", global_security)),
                    success_status=_success_status(op.get("responses", {})),
                    statuses=tuple(sorted(int(c) for c in op.get("responses", {}) if c.isdigit())),
                    scope=op.get("x-scope"),
                    auth=op.get("x-auth"),
                    rate_limit=rate_limit,
                    parameters=_parameters(document, item, op),
                    has_body="requestBody" in op,
                    body_choices=_body_choices(document, op),
                    quota_metrics=quota_metrics,
                )
            )
    spec.operations.sort(key=lambda o: (o.public_path, o.method))
    spec.problems += bucket_conflicts(stated_limits)
    # Links are checked last: backlex's operationIds, which links name, exist only from here on.
    for message in link_problems(spec.document, link_origins(dict(zip(sources, overlays, strict=True)))):
        spec.problems.append(Problem("error", message))
    spec.bodies = parse_bodies(spec.document, spec.operations)
    spec.problems += [Problem("error", clash) for clash in name_clashes(spec.bodies)]
    return spec
