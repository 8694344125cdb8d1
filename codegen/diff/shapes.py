"""One meaning for the many spellings of a schema, so that only meaning is compared.

``shape()`` resolves refs, folds ``allOf`` (members' properties and required merged, the
schema's own keywords winning) and reads OpenAPI 3.0 and 3.1 forms alike: ``nullable: true``,
``type: [T, "null"]``, a ``null`` member of ``anyOf``/``oneOf`` and ``null`` in an ``enum`` all
mean nullable; an ``anyOf``/``oneOf`` left with a single member is that member; boolean
``exclusiveMinimum: true`` + ``minimum`` is numeric ``exclusiveMinimum``; ``const`` is a
one-value ``enum``.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.diff.refs import follow, resolve

# Keywords the comparison reads; any other keyword that changes is reported as keyword-changed.
READ = frozenset({
    "type", "nullable", "enum", "const", "properties", "required", "items", "additionalProperties",
    "anyOf", "oneOf", "allOf", "maxLength", "minLength", "maximum", "minimum", "exclusiveMaximum",
    "exclusiveMinimum", "maxItems", "minItems", "maxProperties", "minProperties", "uniqueItems",
    "pattern", "format", "multipleOf", "description", "title", "example", "examples", "default",
    "deprecated",
})
ALTERNATIVES = ("anyOf", "oneOf")


@dataclass(frozen=True)
class Shape:
    node: dict  # the folded schema: extensions and unread keywords are compared from here
    types: frozenset[str] | None  # None: any type
    nullable: bool
    enum: tuple | None
    properties: dict
    required: frozenset[str]
    items: object | None  # None when the schema says nothing about items
    additional: object  # True (anything), False (nothing) or a schema
    alternatives: dict[str, list]
    bounds: dict[str, object]  # keyword → int, bool or (value, exclusive) for maximum/minimum


def _as_dict(schema: object) -> dict:
    if schema is True or schema is None:
        return {}
    if schema is False:
        return {"not": {}}
    return schema if isinstance(schema, dict) else {}


def is_null(document: dict, schema: object) -> bool:
    node = _as_dict(resolve(document, schema))
    return node.get("type") == "null" or node.get("type") == ["null"] or node.get("enum") == [None]


def _merge(base: dict, extra: dict) -> dict:
    """allOf semantics where it matters: properties and required add up, other keywords override."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(value, dict):
            properties = dict(base.get("properties") or {})
            for name, schema in value.items():
                earlier = properties.get(name)
                properties[name] = schema if earlier is None or earlier == schema else {"allOf": [earlier, schema]}
            merged["properties"] = properties
        elif key == "required" and isinstance(value, list):
            merged["required"] = list(dict.fromkeys([*(base.get("required") or []), *value]))
        else:
            merged[key] = value
    return merged


def fold(document: dict, schema: object, seen: frozenset[int] = frozenset()) -> dict:
    """The schema with its refs followed and its ``allOf`` (and single alternatives) merged in."""
    target, siblings = follow(document, schema)
    if id(target) in seen:  # allOf reaching back to itself adds nothing new
        return {}
    seen = seen | {id(target)}
    node = {**_as_dict(target), **siblings}
    members = list(node.get("allOf") or [])
    own = {k: v for k, v in node.items() if k != "allOf"}
    for key in ALTERNATIVES:
        if not isinstance(own.get(key), list):
            continue
        rest = [member for member in own[key] if not is_null(document, member)]
        if len(rest) < len(own[key]):
            own["nullable"] = True
        if len(rest) == 1:
            members.append(rest[0])
            del own[key]
        else:
            own[key] = rest
    merged: dict = {}
    for member in members:
        merged = _merge(merged, fold(document, member, seen))
    return _merge(merged, own)


def _types(node: dict) -> tuple[frozenset[str] | None, bool]:
    raw = node.get("type")
    nullable = node.get("nullable") is True
    if raw is None:
        return None, nullable
    types = frozenset([raw] if isinstance(raw, str) else raw)
    if "null" in types and len(types) > 1:
        return types - {"null"}, True
    return types, nullable


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_bound(node: dict, inclusive: str, exclusive: str, tightest) -> tuple | None:
    """``maximum`` with 3.0's boolean or 3.1's numeric ``exclusiveMaximum``, as (value, exclusive)."""
    candidates = []
    if _number(node.get(inclusive)):
        candidates.append((node[inclusive], node.get(exclusive) is True))
    if _number(node.get(exclusive)):
        candidates.append((node[exclusive], True))
    return tightest(candidates) if candidates else None


def _bounds(node: dict) -> dict[str, object]:
    bounds: dict[str, object] = {
        key: node.get(key) for key in ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")
    }
    bounds["uniqueItems"] = node.get("uniqueItems") is True
    bounds["maximum"] = _numeric_bound(node, "maximum", "exclusiveMaximum", lambda c: min(c, key=lambda b: (b[0], not b[1])))
    bounds["minimum"] = _numeric_bound(node, "minimum", "exclusiveMinimum", lambda c: max(c, key=lambda b: (b[0], b[1])))
    return bounds


def _alternative_types(document: dict, node: dict) -> frozenset[str] | None:
    """Without a ``type`` of its own, a schema of alternatives has the union of theirs."""
    types: set[str] = set()
    for key in ALTERNATIVES:
        for member in node.get(key) or []:
            member_types, _ = _types(fold(document, member))
            if member_types is None:
                return None
            types |= member_types
    return frozenset(types) or None


def shape(document: dict, schema: object) -> Shape:
    node = fold(document, schema)
    types, nullable = _types(node)
    if types is None and any(isinstance(node.get(key), list) for key in ALTERNATIVES):
        types = _alternative_types(document, node)
    enum = node.get("enum")
    if "const" in node:
        enum = [node["const"]]
    if isinstance(enum, list) and None in enum:
        nullable = True
        enum = [value for value in enum if value is not None]
    additional = node.get("additionalProperties", True)
    if additional == {}:
        additional = True
    properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    return Shape(
        node=node,
        types=types,
        nullable=nullable,
        enum=tuple(enum) if isinstance(enum, list) else None,
        properties=properties or {},
        required=frozenset(r for r in node.get("required") or [] if isinstance(r, str)),
        items=node.get("items"),
        additional=additional,
        alternatives={key: node[key] for key in ALTERNATIVES if isinstance(node.get(key), list)},
        bounds=_bounds(node),
    )
