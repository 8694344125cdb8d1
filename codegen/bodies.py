"""The response bodies the typed models are made of (parse side of ``generated/<api>/models.py``).

Every JSON success body of an operation gets a name of its own, ``<OperationId>Response<status>``
(``get_orgs`` 200 → ``GetOrgsResponse200``), whether the document writes it inline or as a
``$ref``: handlers and views are annotated with these names, so they must not depend on how
datamodel-code-generator numbers inline schemas. The error answers are one body per API,
``ErrorBody``, since one envelope function builds them all; when the document gives its error
answers several shapes, the most common one is ``ErrorBody`` and the others are listed
(``codegen.check`` reports them: one envelope cannot build both).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from codegen.document import deref

ERROR_BODY = "ErrorBody"


@dataclass(frozen=True)
class SuccessBody:
    type_name: str  # GetOrgsResponse200
    operation: str  # "GET /api/orgs", as clients call it
    status: int
    schema: str  # the body's schema as the runtime document writes it, canonical JSON


@dataclass(frozen=True)
class ErrorShape:
    schema: str  # canonical JSON
    answers: tuple[str, ...]  # "GET /api/orgs 401", every answer with this shape


@dataclass(frozen=True)
class Bodies:
    schemas: str = "{}"  # the components the bodies reach (see _referenced), canonical JSON
    success: tuple[SuccessBody, ...] = ()
    errors: tuple[ErrorShape, ...] = ()  # the most common shape first: it is ErrorBody


def type_name(operation_id: str, status: int) -> str:
    words = re.split(r"[^0-9a-zA-Z]+", operation_id)
    return "".join(word[:1].upper() + word[1:] for word in words) + f"Response{status}"


def _canonical(schema: dict) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


def _json_schema(document: dict, response: dict) -> dict | None:
    content = deref(document, response).get("content") or {}
    for media_type, entry in sorted(content.items()):
        if media_type == "application/json" or media_type.endswith("+json"):
            return entry.get("schema")
    return None


def _open_map(schema: dict) -> dict:
    """An object body that declares nothing (Pathmode's ``{"type": "object"}``) allows any
    keys, as JSON Schema reads it; datamodel-code-generator would make it a TypedDict with no
    keys, which accepts only ``{}``. Stated explicitly (``additionalProperties: {}``, any
    value; datamodel-code-generator reads ``true`` as nothing), it becomes ``dict[str, Any]``."""
    declares = {"properties", "additionalProperties", "allOf", "anyOf", "oneOf", "$ref", "patternProperties"}
    if schema.get("type") == "object" and not declares & set(schema):
        return {**schema, "additionalProperties": {}}
    return schema


def parse_bodies(document: dict, operations) -> Bodies:
    """``operations``: the parser's ``Operation`` rows (method, path, public path, id)."""
    success = []
    errors: dict[str, list[str]] = {}
    for op in operations:
        responses = document["paths"][op.path][op.method.lower()].get("responses", {})
        for code, response in sorted(responses.items()):
            schema = _json_schema(document, response)
            if schema is None or not code.isdigit():
                continue
            label = f"{op.method} {op.public_path}"
            if code.startswith("2"):
                success.append(SuccessBody(type_name(op.operation_id, int(code)), label, int(code),
                                           _canonical(_open_map(schema))))
            else:
                errors.setdefault(_canonical(schema), []).append(f"{label} {code}")
    counts = Counter({shape: len(answers) for shape, answers in errors.items()})
    ranked = sorted(errors, key=lambda shape: (-counts[shape], shape))
    used = [json.loads(body.schema) for body in success] + [json.loads(shape) for shape in ranked[:1]]
    schemas = _referenced(document.get("components", {}).get("schemas", {}), used)
    return Bodies(_canonical(schemas), tuple(success),
                  tuple(ErrorShape(shape, tuple(errors[shape])) for shape in ranked))


_COMPONENT = "#/components/schemas/"


def _referenced(components: dict, roots: list) -> dict:
    """The components the bodies refer to, directly or through each other: the request
    bodies' own components (``CreateOrgInput``) would be models that nothing uses."""
    found: dict[str, dict] = {}
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            name = reference.removeprefix(_COMPONENT) if isinstance(reference, str) else ""
            if name in components and name not in found:
                found[name] = components[name]
                pending.append(components[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return {name: found[name] for name in sorted(found)}


def name_clashes(bodies: Bodies) -> list[str]:
    """Body names that are also a component's (or each other's): one would hide the other."""
    taken = set(json.loads(bodies.schemas)) | {ERROR_BODY}
    clashes = []
    for body in bodies.success:
        if body.type_name in taken:
            clashes.append(f"{body.operation} {body.status}: its body's name {body.type_name} is taken")
        taken.add(body.type_name)
    return clashes
