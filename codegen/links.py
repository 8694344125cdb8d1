"""Every OpenAPI link of a runtime document leads to an operation that takes what it passes.

A link names its target by ``operationId`` (or a local ``operationRef``) and fills the
target's parameters (``path.slug``, ``query.x``, ``header.x``, ``cookie.x`` or a bare name)
or its request body. A link whose target was renamed or removed upstream would otherwise
surface only in the conformance run ("Operation ... not found"), far from its cause.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from codegen.document import HTTP_METHODS, deref, operations, pointer_target

LOCATIONS = ("path", "query", "header", "cookie")


def _parameters(document: dict, item: dict, operation: dict) -> set[tuple[str, str]]:
    """(name, in) of every parameter an operation takes, its path item's included."""
    declared = [deref(document, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
    return {(p.get("name"), p.get("in")) for p in declared}


def _target(document: dict, by_id: dict, link: dict) -> tuple[str, tuple | None]:
    """How the link names its target, and the target's (path, method, item, operation) if it exists."""
    if "operationId" in link:
        return f"operationId {link['operationId']}", by_id.get(link["operationId"])
    reference = link.get("operationRef")
    if not isinstance(reference, str):
        return "no operationId or operationRef", None
    *item_ref, method = reference.split("/")
    item = pointer_target(document, "/".join(item_ref))
    found = method in HTTP_METHODS and isinstance(item, dict) and isinstance(item.get(method), dict)
    return f"operationRef {reference}", (None, method, item, item[method]) if found else None


def _missing(document: dict, by_id: dict, link: dict) -> Iterator[str]:
    named, target = _target(document, by_id, link)
    if target is None:
        yield f"{named} names no operation of the document"
        return
    _, _, item, operation = target
    name = operation.get("operationId", named)
    taken = _parameters(document, item, operation)
    for key in link.get("parameters", {}):
        location, _, bare = key.partition(".")
        if bare and location in LOCATIONS:
            if (bare, location) not in taken:
                yield f"{name} has no {location} parameter {bare}"
        elif not any(parameter == key for parameter, _ in taken):
            yield f"{name} has no parameter {key}"
    if "requestBody" in link and "requestBody" not in operation:
        yield f"{name} takes no request body, yet the link sets requestBody"


def link_problems(document: dict, origins: Mapping[str, str] | None = None) -> list[str]:
    """One message per broken link: source operation, link name, what is missing, and the
    overlay that added the link when ``origins`` (link name → overlay file) knows it."""
    by_id = {op["operationId"]: (path, method, item, op)
             for path, method, item, op in operations(document) if "operationId" in op}
    problems = []
    for path, method, _, op in operations(document):
        source = f"{op.get('operationId', '?')} ({method.upper()} {path})"
        for status, response in op.get("responses", {}).items():
            for name, link in deref(document, response).get("links", {}).items():
                added_by = f" (added by {origins[name]})" if origins and name in origins else ""
                for missing in _missing(document, by_id, deref(document, link)):
                    problems.append(f"{source} response {status} link {name}: {missing}{added_by}")
    return problems


def link_origins(overlays: Mapping[str, dict]) -> dict[str, str]:
    """Link name → the overlay file whose actions add a link of that name (when only one does)."""
    files: dict[str, set[str]] = {}

    def walk(node, source: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "links" and isinstance(value, dict):
                    for name in value:
                        files.setdefault(name, set()).add(source)
                walk(value, source)
        elif isinstance(node, list):
            for value in node:
                walk(value, source)

    for source, overlay in overlays.items():
        for action in overlay.get("actions", []):
            walk(action.get("update"), source)
    return {name: next(iter(sources)) for name, sources in files.items() if len(sources) == 1}
