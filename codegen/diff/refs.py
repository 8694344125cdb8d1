"""Local ``$ref`` resolution, safe on cycles (``#/components/schemas/A`` → … → A)."""

from __future__ import annotations

from typing import Any

from codegen.document import pointer_target

MAX_HOPS = 32  # a chain of refs longer than this is a cycle of refs pointing only at refs


def pointer(document: dict, ref: str) -> Any:
    """The node a local JSON pointer names; None when it names nothing (or is not local)."""
    return pointer_target(document, ref)


def follow(document: dict, node: Any) -> tuple[Any, dict]:
    """The node at the end of a ``$ref`` chain, and the keywords found beside the refs (3.1).

    The node returned is the document's own object, so its identity marks a cycle. A ref that
    names nothing, or an external one, is left as it is: comparing the ref strings is then all
    that can be done.
    """
    siblings: dict = {}
    for _ in range(MAX_HOPS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        target = pointer(document, node["$ref"])
        if target is None:
            break
        siblings = {**{k: v for k, v in node.items() if k != "$ref"}, **siblings}
        node = target
    return node, siblings


def resolve(document: dict, node: Any) -> Any:
    """Follow ``$ref`` to the node it names; keywords beside a ``$ref`` win over the target's."""
    target, siblings = follow(document, node)
    if siblings and isinstance(target, dict):
        return {**target, **siblings}
    return target
