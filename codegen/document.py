"""Reading an OpenAPI document: its operations and its local ``$ref``s."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(document: dict) -> Iterator[tuple[str, str, dict, dict]]:
    """``(path, method, path item, operation)`` for every operation, in document order."""
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item, item[method]


def pointer_target(document: dict, reference: str):
    """The node a local reference (``#/components/...``) points at, or None."""
    if not reference.startswith("#"):
        return None
    node = document
    for token in filter(None, reference[1:].split("/")):
        key = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def deref(document: dict, node):
    """``node`` itself, or what its local ``$ref`` points at (an unresolvable one gives ``{}``)."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node and node["$ref"] not in seen:
        seen.add(node["$ref"])
        node = pointer_target(document, node["$ref"])
    return node if node is not None else {}
