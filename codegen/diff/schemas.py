"""Compare two schemas with a direction: a request that accepts less, or a response that
promises less, is breaking (codegen/diff/rules.py, ``SCHEMA``).

Locations read like the JSON a client sends or gets: ``request body .org.residency``,
``.members[]`` for array items, ``.config{}`` for additionalProperties values,
``.outcomes[].anyOf[1]`` for an alternative (matched by position). A finding about what a
value is (its presence, type, nullability, requiredness) is located at the value; one about a
constraint names the keyword too: ``request body .name: maxLength``.

Recursive schemas are safe: a pair of (old, new) nodes already being compared further up the
same descent is not compared again, so each change is reported at the shallowest place it is
reached.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from codegen.diff.extensions import compare_extensions
from codegen.diff.model import Findings, at
from codegen.diff.refs import follow
from codegen.diff.rules import kebab
from codegen.diff.shapes import READ, Shape, shape

MAX_DEPTH = 64  # far deeper than any document; only a guard
UPPER = ("maxLength", "maxItems", "maxProperties", "maximum")
LOWER = ("minLength", "minItems", "minProperties", "minimum", "uniqueItems")
CONSTRAINTS = {"pattern": "pattern", "format": "format", "multipleOf": "multiple-of"}
PROSE = {"description": "description-changed", "title": "description-changed",
         "example": "example-changed", "examples": "example-changed"}
UNPREFIXED = frozenset({*PROSE.values(), "keyword-changed"})  # documentation: the same id on both sides


@dataclass(frozen=True)
class _Place:
    base: str  # "request body", "query parameter limit", "response 200 header X-Total"
    path: str  # ".org.residency", "" at the root
    noun: str  # body/parameter/header at the root, property below

    @property
    def location(self) -> str:
        return f"{self.base} {self.path}" if self.path else self.base


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _accepted(types: frozenset[str] | None) -> frozenset[str] | None:
    """Every JSON type a value may have; ``number`` includes ``integer``."""
    if types is None:
        return None
    return types | {"integer"} if "number" in types else types


def type_repr(types: frozenset[str] | None) -> object:
    if types is None:
        return "any"
    return next(iter(types)) if len(types) == 1 else sorted(types)


def bound_repr(keyword: str, value: object) -> object:
    """A bound as the document would write it in 3.1 form: 5, or {"exclusiveMinimum": 5}."""
    if keyword == "uniqueItems":
        return value
    if isinstance(value, tuple):
        number, exclusive = value
        return {"exclusive" + keyword[0].upper() + keyword[1:]: number} if exclusive else number
    return value


def tightened(keyword: str, old: Any, new: Any) -> bool:
    """Whether the new bound admits fewer values than the old one (None: no bound)."""
    if keyword == "uniqueItems":
        return bool(new) and not old
    if new is None:
        return False
    if old is None:
        return True
    if keyword in ("maximum", "minimum"):
        (old_value, old_exclusive), (new_value, new_exclusive) = old, new
        if keyword == "maximum":
            return (new_value, not new_exclusive) < (old_value, not old_exclusive)
        return (new_value, new_exclusive) > (old_value, old_exclusive)
    return new < old if keyword in UPPER else new > old


class SchemaDiff:
    """One side (``request`` or ``response``) of one operation."""

    def __init__(self, old_document: dict, new_document: dict, findings: Findings, operation: str, side: str):
        self.old_document, self.new_document = old_document, new_document
        self.findings, self.operation, self.side = findings, operation, side

    def compare(self, old: object, new: object, base: str, noun: str) -> None:
        """Compare at the root of a body, parameter or header (noun: body/parameter/header)."""
        self._compare(old, new, _Place(base, "", noun), frozenset(), 0)

    def _add(self, what: str, keyword: str | None, old: object, new: object, *, place: _Place) -> None:
        change_id = what if what in UNPREFIXED else f"{self.side}-{place.noun}-{what}"
        location = at(place.location, keyword) if keyword else place.location
        self.findings.add(change_id, self.operation, location, old, new)

    def _compare(self, old: object, new: object, place: _Place, stack: frozenset, depth: int) -> None:
        old_target, _ = follow(self.old_document, old)
        new_target, _ = follow(self.new_document, new)
        pair = (id(old_target), id(new_target))
        if pair in stack or depth > MAX_DEPTH:
            return
        stack = stack | {pair}
        a, b = shape(self.old_document, old), shape(self.new_document, new)
        emit = functools.partial(self._add, place=place)
        if not self._types(a, b, emit):
            return  # an incompatible type: the finer differences would only repeat it
        self._nullable(a, b, emit)
        self._enum(a, b, emit)
        self._bounds(a, b, emit)
        self._constraints(a, b, emit)
        self._annotations(a, b, emit)
        compare_extensions(a.node, b.node, self.findings, self.operation, place.location)
        self._properties(a, b, place, stack, depth)
        self._children(a, b, place, stack, depth)

    @staticmethod
    def _types(a: Shape, b: Shape, emit) -> bool:
        before, after = _accepted(a.types), _accepted(b.types)
        if before == after:
            return True
        if after is None or (before is not None and after > before):
            emit("type-widened", None, type_repr(a.types), type_repr(b.types))
            return True
        if before is None or after < before:
            emit("type-narrowed", None, type_repr(a.types), type_repr(b.types))
            return True
        emit("type-changed", None, type_repr(a.types), type_repr(b.types))
        return False

    @staticmethod
    def _nullable(a: Shape, b: Shape, emit) -> None:
        if a.nullable != b.nullable:
            emit("became-nullable" if b.nullable else "became-not-nullable", None, a.nullable, b.nullable)

    @staticmethod
    def _enum(a: Shape, b: Shape, emit) -> None:
        if a.enum is None and b.enum is None:
            return
        if a.enum is None or b.enum is None:
            emit("enum-added" if a.enum is None else "enum-removed", "enum",
                 None if a.enum is None else list(a.enum), None if b.enum is None else list(b.enum))
            return
        before = {_canonical(v): v for v in a.enum}
        after = {_canonical(v): v for v in b.enum}
        for key in sorted(before.keys() - after.keys()):
            emit("enum-value-removed", "enum", before[key], None)
        for key in sorted(after.keys() - before.keys()):
            emit("enum-value-added", "enum", None, after[key])

    @staticmethod
    def _bounds(a: Shape, b: Shape, emit) -> None:
        for keyword in (*UPPER, *LOWER):
            before, after = a.bounds.get(keyword), b.bounds.get(keyword)
            if before != after:
                direction = "tightened" if tightened(keyword, before, after) else "loosened"
                emit(f"{kebab(keyword)}-{direction}", keyword, bound_repr(keyword, before), bound_repr(keyword, after))

    @staticmethod
    def _constraints(a: Shape, b: Shape, emit) -> None:
        for keyword, what in CONSTRAINTS.items():
            before, after = a.node.get(keyword), b.node.get(keyword)
            if before != after:
                change = "added" if before is None else "removed" if after is None else "changed"
                emit(f"{what}-{change}", keyword, before, after)

    @staticmethod
    def _annotations(a: Shape, b: Shape, emit) -> None:
        for keyword, what in PROSE.items():
            if a.node.get(keyword) != b.node.get(keyword):
                emit(what, keyword, a.node.get(keyword), b.node.get(keyword))
        if a.node.get("default") != b.node.get("default"):
            emit("default-changed", "default", a.node.get("default"), b.node.get("default"))
        was, now = bool(a.node.get("deprecated")), bool(b.node.get("deprecated"))
        if was != now:
            emit("deprecated" if now else "no-longer-deprecated", "deprecated", was, now)
        for keyword in sorted({*a.node, *b.node} - READ):
            if not keyword.startswith("x-") and a.node.get(keyword) != b.node.get(keyword):
                emit("keyword-changed", keyword, a.node.get(keyword), b.node.get(keyword))

    def _properties(self, a: Shape, b: Shape, place: _Place, stack: frozenset, depth: int) -> None:
        for name in sorted({*a.properties, *a.required, *b.properties, *b.required}):
            child = _Place(place.base, f"{place.path}.{name}", "property")
            had = name in a.properties or name in a.required
            has = name in b.properties or name in b.required
            before, after = a.properties.get(name), b.properties.get(name)
            if not has:
                # a request that still sends it fails only where extra properties are refused
                rejected = self.side == "request" and b.additional is False
                self._add("removed-now-rejected" if rejected else "removed", None, before, None, place=child)
            elif not had:
                self._add("added-required" if name in b.required else "added", None, None, after, place=child)
            else:
                if (name in a.required) != (name in b.required):
                    what = "became-required" if name in b.required else "became-optional"
                    self._add(what, None, name in a.required, name in b.required, place=child)
                self._compare(before or {}, after or {}, child, stack, depth + 1)

    def _children(self, a: Shape, b: Shape, place: _Place, stack: frozenset, depth: int) -> None:
        if a.items is not None or b.items is not None:
            items = _Place(place.base, f"{place.path}[]", "property")
            self._compare(a.items or {}, b.items or {}, items, stack, depth + 1)
        if (a.additional is False) != (b.additional is False):
            what = "additional-properties-restricted" if b.additional is False else "additional-properties-allowed"
            self._add(what, "additionalProperties", a.additional, b.additional, place=place)
        elif a.additional is not False and (a.additional is not True or b.additional is not True):
            values = _Place(place.base, f"{place.path}{{}}", "property")
            self._compare(_schema(a.additional), _schema(b.additional), values, stack, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            before, after = a.alternatives.get(keyword), b.alternatives.get(keyword)
            if before is None or after is None:
                if before != after:
                    what = "composition-added" if before is None else "composition-removed"
                    self._add(what, keyword, before, after, place=place)
                continue
            # alternatives are matched by position (a reorder shows as changes at each index)
            for index in range(max(len(before), len(after))):
                where = f"{keyword}[{index}]"
                if index >= len(after):
                    self._add("alternative-removed", where, before[index], None, place=place)
                elif index >= len(before):
                    self._add("alternative-added", where, None, after[index], place=place)
                else:
                    alternative = _Place(place.base, f"{place.path}.{where}", "property")
                    self._compare(before[index], after[index], alternative, stack, depth + 1)


def _schema(additional: object) -> object:
    return {} if additional is True else additional
