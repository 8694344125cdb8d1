"""OpenAPI 3.1 forms in the OpenAPI 3.0.3 runtime document (connexion 3.3 serves 3.0 only).

Every schema of the document (components, parameters, request bodies, responses, headers,
callbacks; through allOf/anyOf/oneOf/not/items/properties/additionalProperties) is rewritten
where OpenAPI 3.1 (JSON Schema 2020-12) has a form that means the same to connexion's
Draft 4 validator with the OpenAPI 3.0 rules (``nullable``, boolean ``exclusiveMinimum``),
and refused, one error per construct naming it and where it is, where there is none. Both
upstream documents are 3.0 idioms under a 3.1 version string, so they pass through unchanged.

    type: [X, "null"]           type: X, nullable: true (no nullable when an enum leaves null out)
    type: ["null"]              enum: [null], nullable: true
    type: [A, B, ...]           anyOf: [{type: A, A's keywords}, {type: B, B's keywords}, ...]
    exclusiveMinimum: n         minimum: n, exclusiveMinimum: true (the stricter of it and minimum)
    const: v                    enum: [v]
    examples: [a, ...]          example: a (an example already there wins)
    {$ref, siblings}            {allOf: [{$ref}], siblings}
    true / false as a schema    {} / {not: {}} (additionalProperties keeps its boolean)
    contentEncoding: base64     format: byte (on a string)
    contentMediaType: application/octet-stream      format: binary (on a string)
    $comment                    dropped (a note for maintainers, no meaning)
    jsonSchemaDialect           dropped when it names the OAS 3.1 default dialect, else refused
    webhooks                    dropped with a warning: not served

Last, the document is checked against the OpenAPI 3.0 schema connexion checks at start
(``unservable``), so what no rule here knows (``info.summary``, say) is refused at codegen time
too, never when the server starts.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from connexion.spec import OpenAPISpecification, create_spec_validator

from codegen.document import HTTP_METHODS
from codegen.problems import Problem

NO_30_FORM = "(OpenAPI 3.1 / JSON Schema 2020-12) has no OpenAPI 3.0 form"
DEFAULT_DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
# what an OpenAPI 3.0 Schema Object may hold: connexion's own meta-schema says
SCHEMA_30_KEYWORDS = frozenset(OpenAPISpecification.openapi_schema["definitions"]["Schema"]["properties"])

# construct named in the error -> the keywords that spell it
REFUSED = {
    "prefixItems": ("prefixItems",),
    "if/then/else": ("if", "then", "else"),
    "dependentSchemas": ("dependentSchemas",),
    "dependentRequired": ("dependentRequired",),
    "dependencies": ("dependencies",),
    "unevaluatedProperties": ("unevaluatedProperties",),
    "unevaluatedItems": ("unevaluatedItems",),
    "contains/minContains/maxContains": ("contains", "minContains", "maxContains"),
    "patternProperties": ("patternProperties",),
    "propertyNames": ("propertyNames",),
    "$defs": ("$defs", "definitions"),
    "$schema": ("$schema",),
    "$id": ("$id",),
    "$anchor": ("$anchor",),
    "$dynamicRef": ("$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor"),
    "$vocabulary": ("$vocabulary",),
    "contentSchema": ("contentSchema",),
}
REFUSED_KEYWORDS = frozenset(keyword for keywords in REFUSED.values() for keyword in keywords)
# keywords a rule below converts, or refuses by name when it cannot: never "unknown"
ANSWERED = REFUSED_KEYWORDS | {"$ref", "const", "contentEncoding", "contentMediaType"}

# keywords that constrain only values of one JSON type: a type list splits them by type
KEYWORDS_OF_TYPE = {
    "string": ("minLength", "maxLength", "pattern"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "integer": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "array": ("items", "minItems", "maxItems", "uniqueItems"),
    "object": ("properties", "additionalProperties", "required", "minProperties", "maxProperties"),
}
CONTENT_FORMATS = {("contentEncoding", "base64"): "byte", ("contentMediaType", "application/octet-stream"): "binary"}


class Unconvertible(ValueError):
    """A document with a construct that has no OpenAPI 3.0 form; the message lists each."""


@dataclass
class Converted:
    document: dict
    problems: list[Problem] = field(default_factory=list)
    refused: list[tuple] = field(default_factory=list)  # where each refused construct is


def dotted(where: tuple) -> str:
    return ".".join(str(part) for part in where)


def convert(document: dict) -> Converted:
    """The document with every 3.1 form rewritten, and what could not be (see the module)."""
    result = Converted(copy.deepcopy(document))
    _Walk(result).document(result.document)
    return result


def unservable(document: dict, refused: Collection[tuple] = ()) -> list[Problem]:
    """Every place connexion 3.3 would refuse at start (its OpenAPI 3.0 schema check, defaults
    included), except at or under a construct already refused by name."""
    validator = create_spec_validator(document)(OpenAPISpecification.openapi_schema)
    problems = []
    for error in validator.iter_errors(document):
        # of a oneOf (Schema | Reference), the branch that went furthest says what is wrong
        error = max(_leaves(error), key=lambda leaf: len(leaf.absolute_path))
        for where, message in _located(error):
            if not any(where[:len(r)] == r for r in refused):
                problems.append(Problem("error", f"{dotted(where) or '(document)'}: not valid in OpenAPI 3.0, "
                                                 f"which connexion 3.3 serves: {message}"))
    return problems


def _located(error) -> list[tuple[tuple, str]]:
    """(where, what): a field 3.0 does not have is named at its own location."""
    where = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known, patterns = error.schema.get("properties", {}), error.schema.get("patternProperties", {})
        extra = [key for key in error.instance
                 if key not in known and not any(re.search(pattern, key) for pattern in patterns)]
        if extra:
            return [((*where, key), f"{key} is not an OpenAPI 3.0 field here") for key in extra]
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return [(where, message)]


def _leaves(error):
    if not error.context:
        yield error
    for branch in error.context:
        yield from _leaves(branch)


def _same(a, b) -> bool:
    """JSON equality (in Python ``True == 1``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _renamed(node: dict, old: str, new: str, value) -> dict:
    """``node`` with ``old`` replaced by ``new: value`` where it stood (key order is output)."""
    return {(new if key == old else key): (value if key == old else v)
            for key, v in node.items() if key == old or key != new}


class _Walk:
    def __init__(self, result: Converted):
        self.result = result

    def refuse(self, where: tuple, text: str) -> None:
        self.result.problems.append(Problem("error", f"{dotted(where)}: {text}"))
        self.result.refused.append(where)

    # ---- the document's parts that hold schemas

    def document(self, document: dict) -> None:
        if "webhooks" in document:
            names = ", ".join(sorted(document.pop("webhooks") or {})) or "none"
            self.result.problems.append(Problem(
                "warning", f"webhooks: {names}: OpenAPI 3.1 webhooks are not served (left out of the runtime document)"))
        if "jsonSchemaDialect" in document:
            if document["jsonSchemaDialect"] == DEFAULT_DIALECT:
                del document["jsonSchemaDialect"]  # the default stated: the same schemas either way
            else:
                self.refuse(("jsonSchemaDialect",), f"jsonSchemaDialect {document['jsonSchemaDialect']!r} {NO_30_FORM}")
        components = document.get("components") or {}
        if "pathItems" in components:
            self.refuse(("components", "pathItems"), f"components.pathItems {NO_30_FORM}")
        schemas = components.get("schemas") or {}
        for name, schema in schemas.items():
            schemas[name] = self.schema(schema, ("components", "schemas", name))
        for kind, walk in (("parameters", self.parameter), ("headers", self.parameter),
                           ("responses", self.response), ("requestBodies", self.request_body),
                           ("callbacks", self.callback)):
            for name, node in (components.get(kind) or {}).items():
                walk(node, ("components", kind, name))
        for path, item in (document.get("paths") or {}).items():
            self.path_item(item, ("paths", path))

    def path_item(self, item, where: tuple) -> None:
        if not isinstance(item, dict) or "$ref" in item:
            return
        for index, parameter in enumerate(item.get("parameters") or []):
            self.parameter(parameter, (*where, "parameters", index))
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            at = (*where, method)
            for index, parameter in enumerate(operation.get("parameters") or []):
                self.parameter(parameter, (*at, "parameters", index))
            if "requestBody" in operation:
                self.request_body(operation["requestBody"], (*at, "requestBody"))
            for status, response in (operation.get("responses") or {}).items():
                self.response(response, (*at, "responses", status))
            for name, callback in (operation.get("callbacks") or {}).items():
                self.callback(callback, (*at, "callbacks", name))

    def parameter(self, parameter, where: tuple) -> None:
        """A parameter or a header: a schema, or content."""
        if not isinstance(parameter, dict) or "$ref" in parameter:
            return
        if "schema" in parameter:
            parameter["schema"] = self.schema(parameter["schema"], (*where, "schema"))
        self.content(parameter, where)

    def request_body(self, body, where: tuple) -> None:
        if isinstance(body, dict) and "$ref" not in body:
            self.content(body, where)

    def response(self, response, where: tuple) -> None:
        if not isinstance(response, dict) or "$ref" in response:
            return
        for name, header in (response.get("headers") or {}).items():
            self.parameter(header, (*where, "headers", name))
        self.content(response, where)

    def callback(self, callback, where: tuple) -> None:
        if isinstance(callback, dict) and "$ref" not in callback:
            for expression, item in callback.items():
                self.path_item(item, (*where, expression))

    def content(self, holder: dict, where: tuple) -> None:
        for media_type, media in (holder.get("content") or {}).items():
            if not isinstance(media, dict):
                continue
            at = (*where, "content", media_type)
            if "schema" in media:
                media["schema"] = self.schema(media["schema"], (*at, "schema"))
            for name, encoding in (media.get("encoding") or {}).items():
                for header_name, header in (encoding.get("headers") or {}).items():
                    self.parameter(header, (*at, "encoding", name, "headers", header_name))

    # ---- schemas

    def schema(self, node, where: tuple, *, boolean_allowed: bool = False):
        """``node`` in its OpenAPI 3.0 form (a new object when anything changed)."""
        if isinstance(node, bool):
            return node if boolean_allowed else ({} if node else {"not": {}})
        if not isinstance(node, dict):
            return node  # not a schema at all: ``unservable`` names it
        node = dict(node)
        self.refuse_constructs(node, where)
        # the subschemas first, at their upstream locations
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                node[key] = [self.schema(s, (*where, key, i)) for i, s in enumerate(node[key])]
        if "not" in node:
            node["not"] = self.schema(node["not"], (*where, "not"))
        if isinstance(node.get("items"), list):
            self.refuse((*where, "items"), f"items as an array of schemas (a tuple) {NO_30_FORM}")
        elif "items" in node:
            node["items"] = self.schema(node["items"], (*where, "items"))
        if isinstance(node.get("properties"), dict):
            node["properties"] = {name: self.schema(s, (*where, "properties", name))
                                  for name, s in node["properties"].items()}
        if "additionalProperties" in node:
            node["additionalProperties"] = self.schema(node["additionalProperties"], (*where, "additionalProperties"),
                                                       boolean_allowed=True)
        # then its own keywords; the order matters: a type list splits what the others left
        node.pop("$comment", None)
        node = self.ref_with_siblings(node)
        node = self.examples(node)
        node = self.const(node, where)
        node = self.exclusive_bounds(node)
        node = self.content_keywords(node, where)
        node = self.type_list(node, where)
        for key in node:
            if not (key in SCHEMA_30_KEYWORDS or key in ANSWERED or key.startswith("x-")):
                self.refuse(where, f"{key} is not an OpenAPI 3.0 schema keyword (an extension needs the x- prefix)")
        return node

    def refuse_constructs(self, node: dict, where: tuple) -> None:
        for construct, keywords in REFUSED.items():
            if any(keyword in node for keyword in keywords):
                self.refuse(where, f"{construct} {NO_30_FORM}")
        reference = node.get("$ref")
        if isinstance(reference, str) and ("/$defs/" in reference or reference.startswith("#/$defs")):
            self.refuse(where, f"$ref into $defs {NO_30_FORM}: {reference}")

    @staticmethod
    def ref_with_siblings(node: dict) -> dict:
        """3.1 reads keywords beside a ``$ref``; 3.0 ignores them, unless they move beside an allOf."""
        if "$ref" not in node or len(node) == 1:
            return node
        siblings = {key: value for key, value in node.items() if key not in ("$ref", "allOf")}
        return {"allOf": [{"$ref": node["$ref"]}, *node.get("allOf", [])], **siblings}

    @staticmethod
    def examples(node: dict) -> dict:
        examples = node.get("examples")
        if not isinstance(examples, list):
            return node  # not a list: ``unservable`` names it
        if examples and "example" not in node:
            return _renamed(node, "examples", "example", examples[0])
        return {key: value for key, value in node.items() if key != "examples"}

    def const(self, node: dict, where: tuple) -> dict:
        if "const" not in node:
            return node
        value = node["const"]
        if "enum" in node:
            if not any(_same(value, option) for option in node["enum"] or []):
                self.refuse(where, f"const is not among its enum, so the schema accepts nothing "
                                   f"(const {json.dumps(value)}, enum {json.dumps(node['enum'])})")
                return node
            node = {key: v for key, v in node.items() if key != "enum"}
        return _renamed(node, "const", "enum", [value])

    @staticmethod
    def exclusive_bounds(node: dict) -> dict:
        """2020-12's numeric exclusive bound as 3.0's inclusive bound plus ``true``; beside an
        inclusive bound the stricter of the two stays."""
        for exclusive, inclusive, stricter in (("exclusiveMinimum", "minimum", lambda bound, n: bound > n),
                                               ("exclusiveMaximum", "maximum", lambda bound, n: bound < n)):
            value = node.get(exclusive)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue  # absent, or already the 3.0 boolean
            bound = node.get(inclusive)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool) and stricter(bound, value):
                node = {key: v for key, v in node.items() if key != exclusive}
            else:
                node = dict(node)
                node[inclusive] = value
                node[exclusive] = True
        return node

    def content_keywords(self, node: dict, where: tuple) -> dict:
        present = [key for key in ("contentEncoding", "contentMediaType") if key in node]
        if not present:
            return node
        types = node.get("type")
        types = set(types) if isinstance(types, list) else {types}
        if "string" not in types or types - {"string", "null"}:
            for key in present:
                self.refuse(where, f"{key} on a schema that is not a string {NO_30_FORM}")
            return node
        formats = {CONTENT_FORMATS.get((key, node[key])) for key in present}
        wanted = formats.pop() if len(formats) == 1 else None
        if wanted is None or node.get("format", wanted) != wanted:
            spelled = ", ".join(f"{key}: {node[key]}" for key in present)
            self.refuse(where, f"{spelled} {NO_30_FORM} (only contentEncoding: base64 as format: byte, "
                               "or contentMediaType: application/octet-stream alone as format: binary)")
            return node
        node = _renamed(node, present[0], "format", wanted)
        return {key: value for key, value in node.items() if key not in present}

    def type_list(self, node: dict, where: tuple) -> dict:
        types = node.get("type")
        if not isinstance(types, list):
            return node
        names = list(dict.fromkeys(types))
        others = [name for name in names if name != "null"]
        # 2020-12 checks enum by itself, so an enum without null refuses null whatever the type;
        # connexion lets a nullable null past the enum
        enum = node.get("enum")
        nullable = "null" in names and (enum is None or any(option is None for option in enum))
        if not names:
            self.refuse(where, "type: [] accepts nothing")
            return node
        if not others:
            if not nullable:
                self.refuse(where, "type: [\"null\"] with an enum that leaves null out: the schema accepts nothing")
                return node
            node = _renamed(node, "type", "enum", [None])
            node["nullable"] = True
            return node
        if len(others) == 1:
            node = _renamed(node, "type", "type", others[0])
            if nullable:
                node["nullable"] = True
            return node
        branches = []
        for name in others:
            branch = {"type": name}
            branch.update({key: node[key] for key in KEYWORDS_OF_TYPE.get(name, ()) if key in node})
            if nullable:
                branch["nullable"] = True
            branches.append(branch)
        moved = {key for name in others for key in KEYWORDS_OF_TYPE.get(name, ())}
        node = {key: value for key, value in node.items() if key != "type" and key not in moved}
        if "anyOf" in node:  # its own anyOf stays; the types join it through allOf
            node["allOf"] = [*node.get("allOf", []), {"anyOf": branches}]
        else:
            node["anyOf"] = branches
        return node
