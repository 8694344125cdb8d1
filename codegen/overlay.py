"""A small OpenAPI Overlay 1.0 applier.

Targets are JSONPath expressions restricted to what overlays on these documents need: ``$``
followed by ``.name``, ``['name']`` (``['/api/v1/intents']`` for paths), ``[N]`` and filter
segments ``[?(@.name=='type' && @.in=='query')]`` (string equality joined by ``&&``), which
select the children of an array (or the members of an object) whose fields all match.

An action's target must match exactly one node, unless the action declares how many it means
with the extension field ``"x-matches": N``; it then applies to each. A parameter is selected
by ``name`` and ``in``, never by position: an upstream document that inserts a parameter would
silently move the correction onto its neighbour, so ``[N]`` inside ``parameters`` is refused.

Each action either ``update``s its target (an object is deep-merged key by key, other values
are replaced; an array target gets the update appended, as Overlay 1.0 says) or ``remove``s
it. Actions run in order.
"""

from __future__ import annotations

import copy
import re
import textwrap
from dataclasses import dataclass

_NAME = r"[A-Za-z0-9_$-]+"
_STRING = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_SEGMENT = re.compile(rf"""\.({_NAME})|\[(?:({_STRING})|(\d+))\]""")
_FILTER_OPEN = re.compile(r"\[\?\s*(\()?")
_CONDITION = re.compile(rf"\s*@\.({_NAME})\s*==\s*({_STRING})\s*")
_AND = re.compile(r"&&")
_FILTER_CLOSE = re.compile(r"\s*\]")
_PAREN_CLOSE = re.compile(r"\s*\)")


class OverlayError(ValueError):
    """An overlay action that cannot be applied: its target does not parse or matches the wrong nodes."""

    def __init__(self, target: str, problem: str, where: str = ""):
        self.target, self.problem, self.where = target, problem, where
        message = f"target {target} {problem}"
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class Filter:
    """``[?(@.a=='x' && @.b=='y')]``: the children whose fields ``a`` and ``b`` equal those strings."""

    conditions: tuple[tuple[str, str], ...]

    def matches(self, node) -> bool:
        return isinstance(node, dict) and all(node.get(field) == value for field, value in self.conditions)

    def __str__(self) -> str:
        return "[?(" + " && ".join(f"@.{field}=={value!r}" for field, value in self.conditions) + ")]"


Segment = str | int | Filter


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _parse_filter(target: str, pos: int) -> tuple[Filter, int] | None:
    opening = _FILTER_OPEN.match(target, pos)
    if not opening:
        return None
    conditions, pos = [], opening.end()
    while True:
        condition = _CONDITION.match(target, pos)
        if not condition:
            return None
        conditions.append((condition.group(1), _unquote(condition.group(2))))
        pos = condition.end()
        joined = _AND.match(target, pos)
        if not joined:
            break
        pos = joined.end()
    if opening.group(1):
        closing = _PAREN_CLOSE.match(target, pos)
        if not closing:
            return None
        pos = closing.end()
    closing = _FILTER_CLOSE.match(target, pos)
    return (Filter(tuple(conditions)), closing.end()) if closing else None


def parse_target(target: str) -> list[Segment]:
    """The segments of ``target`` (syntax only; ``resolve`` applies the rules about what may match)."""
    if not target.startswith("$"):
        raise OverlayError(target, "must start with '$'")
    segments: list[Segment] = []
    pos = 1
    while pos < len(target):
        segment: Segment
        parsed = _parse_filter(target, pos)
        if parsed:
            segment, pos = parsed
        else:
            match = _SEGMENT.match(target, pos)
            if not match:
                raise OverlayError(target, f"is unsupported JSONPath at {target[pos:]!r}")
            name, quoted, index = match.groups()
            segment = int(index) if index is not None else name if name is not None else _unquote(quoted)
            pos = match.end()
        segments.append(segment)
    return segments


def _children(node, segment: Segment):
    """The (key, child) pairs one segment selects from one node."""
    if isinstance(segment, Filter):
        items = enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else ()
        return [(key, child) for key, child in items if segment.matches(child)]
    if isinstance(segment, int):
        return [(segment, node[segment])] if isinstance(node, list) and segment < len(node) else []
    return [(segment, node[segment])] if isinstance(node, dict) and segment in node else []


def resolve(document: dict, target: str) -> list[tuple]:
    """The location (a tuple of keys) of every node ``target`` matches, in document order."""
    found: list[tuple[tuple, object]] = [((), document)]
    segments = parse_target(target)
    for previous, segment in zip([None, *segments[:-1]], segments, strict=True):
        if isinstance(segment, int) and previous == "parameters":
            raise OverlayError(target, _by_position(segment, [node for _, node in found]))
        found = [((*pointer, key), child) for pointer, node in found for key, child in _children(node, segment)]
    return [pointer for pointer, _ in found]


def _by_position(index: int, parameter_lists: list) -> str:
    """The refusal of ``parameters[N]``, with the filter that names the parameter there now."""
    here = [p[index] for p in parameter_lists if isinstance(p, list) and index < len(p)]
    named = here[0] if here and isinstance(here[0], dict) else {"name": "...", "in": "..."}
    by_name = Filter((("name", str(named.get("name"))), ("in", str(named.get("in")))))
    return f"selects a parameter by position ([{index}]); select it by name and in: parameters{by_name}"


def _node(document: dict, pointer: tuple):
    for key in pointer:
        document = document[key]
    return document


def deep_merge(base: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _matched(document: dict, action: dict) -> list[tuple]:
    target = action.get("target")
    if not isinstance(target, str):
        raise OverlayError(repr(target), "is not a JSONPath string")
    expected = action.get("x-matches", 1)
    if not isinstance(expected, int) or isinstance(expected, bool) or expected < 1:
        raise OverlayError(target, f"declares x-matches {expected!r}; it must be a positive integer")
    pointers = resolve(document, target)
    if not pointers:
        raise OverlayError(target, "matches nothing")
    if len(pointers) != expected and "x-matches" in action:
        raise OverlayError(target, f"matches {len(pointers)} nodes, but x-matches declares {expected}")
    if len(pointers) != expected:
        raise OverlayError(
            target, f"matches {len(pointers)} nodes; a target must match exactly one unless the action "
                    f'declares "x-matches": {len(pointers)}'
        )
    return pointers


def _apply_action(document: dict, action: dict) -> None:
    pointers = _matched(document, action)
    target = action["target"]
    if action.get("remove"):
        if () in pointers:
            raise OverlayError(target, "would remove the whole document")
        # Last first: removing an array item must not shift the next one to remove.
        for pointer in reversed(pointers):
            del _node(document, pointer[:-1])[pointer[-1]]
        return
    if "update" not in action:
        raise OverlayError(target, "has an action with neither update nor remove")
    nodes = [_node(document, pointer) for pointer in pointers]
    # Every node is checked before any changes, so a refused action leaves the document as it was.
    if not all(isinstance(node, (list, dict)) for node in nodes):
        raise OverlayError(target, "is neither an object nor an array, so it cannot be updated")
    if any(isinstance(node, dict) for node in nodes) and not isinstance(action["update"], dict):
        raise OverlayError(target, "is an object, and only an object can be merged into it")
    for node in nodes:
        if isinstance(node, list):
            node.append(copy.deepcopy(action["update"]))
        else:
            deep_merge(node, action["update"])


def _where(source: str, index: int, action: dict) -> str:
    description = textwrap.shorten(str(action.get("description", "")), 60, placeholder=" ...")
    return f'{source} action {index} ("{description}")'


def apply_overlay(document: dict, overlay: dict, *, source: str = "<overlay>",
                  errors: list[OverlayError] | None = None) -> dict:
    """Return a copy of ``document`` with every action of ``overlay`` applied.

    An action that cannot be applied raises an ``OverlayError`` naming ``source``, the action's
    index, description and target. With an ``errors`` list, such an action is skipped and its
    error appended instead, so one run reports every broken action.
    """
    result = copy.deepcopy(document)
    for index, action in enumerate(overlay.get("actions", [])):
        try:
            _apply_action(result, action)
        except OverlayError as error:
            located = OverlayError(error.target, error.problem, _where(source, index, action))
            if errors is None:
                raise located from None
            errors.append(located)
    return result
