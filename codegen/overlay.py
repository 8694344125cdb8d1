"""A small OpenAPI Overlay 1.0 applier.

Targets are JSONPath expressions restricted to what overlays on these documents need:
``$`` followed by ``.name``, ``['name']`` (``['/api/v1/intents']`` for paths) or ``[N]`` segments.
Each action either ``update``s its target (an object is deep-merged key by key, other values
are replaced; an array target gets the update appended, as Overlay 1.0 says) or ``remove``s
it. Actions run in order.
"""

from __future__ import annotations

import copy
import re

_SEGMENT = re.compile(r"""\.([A-Za-z0-9_$-]+)|\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\]""")


class OverlayError(ValueError):
    """An overlay action whose target does not exist or cannot be parsed."""


def parse_target(target: str) -> list[str | int]:
    if not target.startswith("$"):
        raise OverlayError(f"target must start with '$': {target!r}")
    keys, pos = [], 1
    while pos < len(target):
        match = _SEGMENT.match(target, pos)
        if not match:
            raise OverlayError(f"unsupported JSONPath at {target[pos:]!r} in {target!r}")
        name, single, double, index = match.groups()
        keys.append(int(index) if index is not None else next(g for g in (name, single, double) if g is not None))
        pos = match.end()
    return keys


def _resolve(document: dict, keys: list[str], target: str):
    node = document
    for key in keys:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
        elif isinstance(key, str) and isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise OverlayError(f"target not found: {target}")
    return node


def deep_merge(base: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def apply_overlay(document: dict, overlay: dict) -> dict:
    """Return a copy of ``document`` with every action of ``overlay`` applied."""
    result = copy.deepcopy(document)
    for action in overlay.get("actions", []):
        target = action["target"]
        keys = parse_target(target)
        if action.get("remove"):
            _resolve(result, keys, target)
            parent = _resolve(result, keys[:-1], target)
            del parent[keys[-1]]
        else:
            node = _resolve(result, keys, target)
            if isinstance(node, list):
                node.append(copy.deepcopy(action["update"]))
            elif isinstance(node, dict):
                deep_merge(node, action.get("update", {}))
            else:
                raise OverlayError(f"update target is neither an object nor an array: {target}")
    return result
