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

from codegen.document import HTTP_METHODS
from codegen.links import link_origins, link_problems
from codegen.overlay import OverlayError, apply_overlay


@dataclass(frozen=True)
class ApiConfig:
    """Where one API's sources live and where it is served."""

    name: str
    spec: Path
    overlays: tuple[Path, ...]  # applied in order; missing files are skipped
    mount: str  # the path prefix connexion mounts the API at


@dataclass(frozen=True)
class Problem:
    level: str  # "warning" or "error"
    message: str


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # as written in the runtime document (relative to the mount)
    public_path: str  # the path clients call
    tag: str
    handler_module: str
    handler_function: str
    security: tuple[tuple[str, ...], ...]
    success_status: int
    statuses: tuple[int, ...]
    scope: str | None
    auth: str | None
    rate_limit: str | None

    @property
    def handler(self) -> str:
        return f"{self.handler_module}.{self.handler_function}"


@dataclass
class ApiSpec:
    config: ApiConfig
    document: dict  # the runtime document connexion loads
    operations: list[Operation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def snake(text: str) -> str:
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


def to_runtime_document(upstream: dict, overlays: list[dict], mount: str, *, sources: Sequence[str] = (),
                        errors: list[OverlayError] | None = None) -> dict:
    """Overlay, then express the document in OpenAPI 3.0.3, which connexion 3.3 accepts.

    ``sources`` names the overlays in errors. Without an ``errors`` list the first action that
    cannot be applied raises ``OverlayError``; with one, it is skipped and appended there.

    Both upstream documents declare 3.1.0 but are written in 3.0 idioms (``nullable``,
    boolean ``exclusiveMinimum``), so only the version string changes meaning-wise. When the
    API is mounted under a prefix that its paths spell out (Pathmode's ``/api/v1``), the
    prefix moves into ``servers`` so connexion can mount both APIs side by side; every public
    URL stays the same.
    """
    document = upstream
    for index, overlay in enumerate(overlays):
        source = sources[index] if index < len(sources) else "<overlay>"
        document = apply_overlay(document, overlay, source=source, errors=errors)
    document = dict(document, openapi="3.0.3")
    upstream_mount = _server_path(upstream)
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
    return path.relative_to(config.spec.parent.parent).as_posix()


def _server_path(document: dict) -> str:
    servers = document.get("servers") or [{"url": "/"}]
    url = servers[0]["url"]
    path = re.sub(r"^[a-z]+://[^/]+", "", url)
    return path.rstrip("/")


def _success_status(responses: dict) -> int:
    codes = sorted(int(code) for code in responses if code.isdigit() and code.startswith("2"))
    return codes[0] if codes else 200


def parse(config: ApiConfig) -> ApiSpec:
    upstream = json.loads(config.spec.read_text())
    overlay_paths = [path for path in config.overlays if path.exists()]
    overlays = [json.loads(path.read_text()) for path in overlay_paths]
    sources = [_shown(path, config) for path in overlay_paths]
    overlay_errors: list[OverlayError] = []
    document = to_runtime_document(upstream, overlays, config.mount, sources=sources, errors=overlay_errors)
    # A broken action is skipped, not fatal: the rest of the document still parses and every
    # broken action is reported in one run; the errors keep codegen from writing anything.
    spec = ApiSpec(config=config, document=document, problems=[Problem("error", str(e)) for e in overlay_errors])
    global_security = document.get("security", [])
    seen: dict[str, str] = {}
    for path, item in sorted(document["paths"].items()):
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            public_path = config.mount + path
            upstream_path = path if config.mount == _server_path(upstream) else public_path
            operation_id = op.get("operationId")
            if not operation_id:
                operation_id = derive_operation_id(method, path)
                op["operationId"] = operation_id
            if operation_id in seen:
                spec.problems.append(
                    Problem("error", f"operationId {operation_id} of {method.upper()} {upstream_path} "
                                     f"repeats {seen[operation_id]}")
                )
            seen[operation_id] = f"{method.upper()} {upstream_path}"
            tags = op.get("tags") or ["default"]
            if len(tags) > 1:
                spec.problems.append(Problem("warning", f"{operation_id}: several tags, using {tags[0]}"))
            security = op.get("security", global_security)
            spec.operations.append(
                Operation(
                    operation_id=operation_id,
                    method=method.upper(),
                    path=path,
                    public_path=public_path,
                    tag=tags[0],
                    handler_module=f"handlers.{snake(config.name)}.{snake(tags[0])}",
                    handler_function=snake(operation_id),
                    security=tuple(tuple(sorted(req)) for req in security),
                    success_status=_success_status(op.get("responses", {})),
                    statuses=tuple(sorted(int(c) for c in op.get("responses", {}) if c.isdigit())),
                    scope=op.get("x-scope"),
                    auth=op.get("x-auth"),
                    rate_limit=op.get("x-rateLimit"),
                )
            )
    spec.operations.sort(key=lambda o: (o.public_path, o.method))
    # Links are checked last: backlex's operationIds, which links name, exist only from here on.
    for message in link_problems(spec.document, link_origins(dict(zip(sources, overlays, strict=True)))):
        spec.problems.append(Problem("error", message))
    return spec
