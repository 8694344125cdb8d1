"""OpenAPI 3.1 forms are converted to what means the same in OpenAPI 3.0, or refused at codegen
time by name and location (codegen/openapi31.py), never at server start.

Each conversion is checked twice: its output, and connexion 3.3 serving the converted
document (its own validators, through the ASGI app) accepting a valid value and refusing an
invalid one, so the constraint still holds.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path

import connexion
import pytest
from connexion.resolver import Resolver
from starlette.testclient import TestClient

from codegen import cli, openapi31
from codegen.parser import to_runtime_document
from codegen.render import ROOT, api_configs, render_models

NAME = {"type": "string", "minLength": 1}


def conversion(schema, expected, valid: list, invalid: list):
    return schema, expected, valid, invalid


CONVERSIONS = {
    "nullable": conversion({"type": ["string", "null"], "maxLength": 3},
                           {"type": "string", "maxLength": 3, "nullable": True}, [None, "abc"], ["abcd", 1]),
    "null only": conversion({"type": ["null"]}, {"enum": [None], "nullable": True}, [None], ["x", 0]),
    "null left out by the enum": conversion({"type": ["string", "null"], "enum": ["a", "b"]},
                                            {"type": "string", "enum": ["a", "b"]}, ["a"], [None, "c"]),
    "null in the enum": conversion({"type": ["string", "null"], "enum": ["a", None]},
                                   {"type": "string", "enum": ["a", None], "nullable": True}, ["a", None], ["b"]),
    "const": conversion({"const": "x"}, {"enum": ["x"]}, ["x"], ["y", None]),
    "const null": conversion({"const": None}, {"enum": [None]}, [None], ["x"]),
    "exclusiveMinimum": conversion({"type": "integer", "exclusiveMinimum": 0},
                                   {"type": "integer", "minimum": 0, "exclusiveMinimum": True}, [1], [0]),
    "exclusiveMaximum": conversion({"type": "number", "exclusiveMaximum": 1.5},
                                   {"type": "number", "maximum": 1.5, "exclusiveMaximum": True}, [1.4], [1.5]),
    "a stricter minimum": conversion({"type": "integer", "minimum": 5, "exclusiveMinimum": 2},
                                     {"type": "integer", "minimum": 5}, [5], [4]),
    "a stricter exclusiveMinimum": conversion({"type": "integer", "minimum": 2, "exclusiveMinimum": 2},
                                              {"type": "integer", "minimum": 2, "exclusiveMinimum": True}, [3], [2]),
    "examples": conversion({"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"},
                           ["zzz"], [1]),
    "an example beside examples": conversion({"type": "string", "example": "e", "examples": ["a"]},
                                             {"type": "string", "example": "e"}, ["zzz"], [1]),
    "$ref with siblings": conversion({"$ref": "#/components/schemas/Name", "maxLength": 3},
                                     {"allOf": [{"$ref": "#/components/schemas/Name"}], "maxLength": 3},
                                     ["ab"], ["", "abcd"]),
    "two types": conversion({"type": ["string", "integer"], "minLength": 2, "minimum": 10, "description": "d"},
                            {"description": "d", "anyOf": [{"type": "string", "minLength": 2},
                                                           {"type": "integer", "minimum": 10}]},
                            ["ab", 10], ["a", 9, None, True]),
    "two types and null": conversion({"type": ["string", "integer", "null"]},
                                     {"anyOf": [{"type": "string", "nullable": True},
                                                {"type": "integer", "nullable": True}]},
                                     [None, "a", 1], [1.5, []]),
    "two types beside an anyOf": conversion(
        {"type": ["string", "integer"], "anyOf": [{"enum": ["ab", 1]}, {"enum": ["cd", 2]}]},
        {"anyOf": [{"enum": ["ab", 1]}, {"enum": ["cd", 2]}],
         "allOf": [{"anyOf": [{"type": "string"}, {"type": "integer"}]}]},
        ["ab", 2], ["zz", 3]),
    "object or array": conversion({"type": ["object", "array"], "required": ["a"], "minItems": 1},
                                  {"anyOf": [{"type": "object", "required": ["a"]},
                                             {"type": "array", "minItems": 1}]},
                                  [{"a": 1}, [1]], [{}, [], "a"]),
    "boolean subschemas": conversion({"type": "object", "properties": {"gone": False, "any": True}},
                                     {"type": "object", "properties": {"gone": {"not": {}}, "any": {}}},
                                     [{"any": 1}], [{"gone": 1}]),
    "contentEncoding base64": conversion({"type": "string", "contentEncoding": "base64"},
                                         {"type": "string", "format": "byte"}, ["aGk="], [1]),
    "contentMediaType octet-stream": conversion({"type": "string", "contentMediaType": "application/octet-stream"},
                                                {"type": "string", "format": "binary"}, ["x"], [1]),
    "$comment": conversion({"type": "string", "$comment": "why"}, {"type": "string"}, ["x"], [1]),
    "inside items": conversion({"type": "array", "items": {"type": ["integer", "null"], "exclusiveMaximum": 10}},
                               {"type": "array", "items": {"type": "integer", "maximum": 10,
                                                           "exclusiveMaximum": True, "nullable": True}},
                               [[None, 9]], [[10]]),
    "inside additionalProperties": conversion({"type": "object", "additionalProperties": {"const": 1}},
                                              {"type": "object", "additionalProperties": {"enum": [1]}},
                                              [{"k": 1}], [{"k": 2}]),
    "inside allOf, anyOf, oneOf and not": conversion(
        {"allOf": [{"const": 1}], "anyOf": [{"const": 1}], "oneOf": [{"const": 1}], "not": {"const": 2}},
        {"allOf": [{"enum": [1]}], "anyOf": [{"enum": [1]}], "oneOf": [{"enum": [1]}], "not": {"enum": [2]}},
        [1], [2, 3]),
}


def document_of(properties: dict) -> dict:
    """One POST operation per property: ``/<case>`` takes ``{"value": <the case's schema>}``."""
    paths = {}
    for index, schema in enumerate(properties.values()):
        body = {"type": "object", "required": ["value"], "properties": {"value": schema}}
        paths[f"/case{index}"] = {"post": {
            "operationId": f"case{index}",
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": {"description": "accepted"}}}}
    return {"openapi": "3.1.0", "info": {"title": "forms", "version": "1"}, "paths": paths,
            "components": {"schemas": {"Name": NAME}}}


def converted(document: dict) -> tuple[dict, list]:
    problems = []
    return to_runtime_document(document, [], problems=problems), problems


def value_schema(document: dict, index: int):
    body = document["paths"][f"/case{index}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return body["properties"]["value"]


def accepted(_body=None):
    return {"accepted": True}, 200


@pytest.fixture(scope="module")
def served():
    """The converted document of every case, served by connexion 3.3 itself."""
    document, problems = converted(document_of({name: case[0] for name, case in CONVERSIONS.items()}))
    assert problems == []
    app = connexion.AsyncApp(__name__)
    app.add_api(document, resolver=Resolver(function_resolver=lambda _name: accepted))
    return document, TestClient(app)


@pytest.mark.parametrize("name", CONVERSIONS)
def test_a_3_1_form_becomes_its_3_0_form(name):
    schema, expected, *_ = CONVERSIONS[name]
    document, problems = converted(document_of({name: schema}))
    assert problems == []
    assert value_schema(document, 0) == expected
    assert document["openapi"] == "3.0.3"


@pytest.mark.parametrize("name", CONVERSIONS)
def test_connexion_serves_the_converted_form_and_the_constraint_holds(served, name):
    document, client = served
    index = list(CONVERSIONS).index(name)
    _, expected, valid, invalid = CONVERSIONS[name]
    assert value_schema(document, index) == expected
    for value in valid:
        assert client.post(f"/case{index}", json={"value": value}).status_code == 200, value
    for value in invalid:
        assert client.post(f"/case{index}", json={"value": value}).status_code == 400, value


def test_datamodel_code_generator_renders_every_converted_form(served):
    """Each converted body, handed to datamodel-code-generator as models are (as components)."""
    document, _ = served
    schemas = {f"Case{index}Body": document["paths"][f"/case{index}"]["post"]["requestBody"]["content"][
        "application/json"]["schema"] for index in range(len(CONVERSIONS))}
    models = render_models({"openapi": "3.0.3", "info": {"title": "forms", "version": "1"}, "paths": {},
                            "components": {"schemas": {**document["components"]["schemas"], **schemas}}}, "test")
    assert all(f"class Case{index}Body(" in models for index in range(len(CONVERSIONS)))


def test_every_place_that_holds_a_schema_is_converted():
    """components (schemas, parameters, headers, responses, requestBodies, callbacks), path and
    operation parameters, request bodies, responses, their headers and encodings."""
    form, spelled = {"type": ["string", "null"]}, {"type": "string", "nullable": True}
    media = {"application/json": {"schema": form, "encoding": {"a": {"headers": {"X-A": {"schema": form}}}}}}
    response = {"description": "r", "headers": {"X-R": {"schema": form}}, "content": media}
    operation = {"operationId": "op", "parameters": [{"name": "q", "in": "query", "schema": form},
                                                     {"name": "c", "in": "query", "content": media}],
                 "requestBody": {"content": media}, "responses": {"200": response}}
    document = {
        "openapi": "3.1.0", "info": {"title": "places", "version": "1"},
        "paths": {"/p": {"parameters": [{"name": "h", "in": "header", "schema": form}], "post": copy.deepcopy(
            operation) | {"callbacks": {"done": {"{$request.body#/url}": {"post": copy.deepcopy(operation)}}}}}},
        "components": {"schemas": {"S": form}, "parameters": {"P": {"name": "p", "in": "query", "schema": form}},
                       "headers": {"H": {"schema": form}}, "responses": {"R": response},
                       "requestBodies": {"B": {"content": media}},
                       "callbacks": {"C": {"{$request.body#/url}": {"post": copy.deepcopy(operation)}}}},
    }
    runtime, problems = converted(document)
    assert problems == []
    forms = places_of(document, form)
    assert len(forms) > 20
    assert places_of(runtime, spelled) == forms and places_of(runtime, form) == []


def places_of(node, schema, where=()) -> list[tuple]:
    if node == schema:
        return [where]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    return [place for key, value in items for place in places_of(value, schema, (*where, key))]


def test_what_holds_data_is_left_alone():
    """Examples are data, not schemas: an ``examples`` list or a ``type`` list inside one stays."""
    example = {"type": ["a", "null"], "examples": ["x"], "const": 1}
    document = document_of({"value": {"type": "object", "example": example}})
    document["paths"]["/case0"]["post"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"type": "object"}, "examples": {"one": {"value": example}}}}
    runtime, problems = converted(document)
    assert problems == []
    assert value_schema(runtime, 0)["example"] == example
    assert runtime["paths"]["/case0"]["post"]["responses"]["200"]["content"]["application/json"]["examples"] == {
        "one": {"value": example}}


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_the_upstream_documents_have_no_3_1_form_to_convert(config):
    upstream = json.loads(config.spec.read_text())
    result = openapi31.convert(upstream)
    assert result.document == upstream and result.problems == []
    assert openapi31.unservable(dict(upstream, openapi="3.0.3")) == []


# ---- refusals

WHERE = "components.schemas.Widget.properties.tags"

REFUSALS = {
    "prefixItems": {"type": "array", "prefixItems": [{"type": "string"}]},
    "if/then/else": {"if": {"minLength": 2}, "then": {"pattern": "^a"}, "else": {"pattern": "^b"}},
    "dependentSchemas": {"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}},
    "dependentRequired": {"type": "object", "dependentRequired": {"a": ["b"]}},
    "unevaluatedProperties": {"type": "object", "unevaluatedProperties": False},
    "unevaluatedItems": {"type": "array", "unevaluatedItems": False},
    "contains/minContains/maxContains": {"type": "array", "contains": {"const": 1}, "minContains": 2},
    "patternProperties": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
    "propertyNames": {"type": "object", "propertyNames": {"maxLength": 3}},
    "$defs": {"$defs": {"a": {"type": "string"}}, "type": "string"},
    "$schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"},
    "$id": {"$id": "https://example.com/tags", "type": "string"},
    "$anchor": {"$anchor": "tags", "type": "string"},
    "$dynamicRef": {"$dynamicRef": "#meta"},
    "$ref into $defs": {"$ref": "#/components/schemas/Widget/$defs/tag"},
    "contentMediaType on a schema that is not a string": {"type": "object", "contentMediaType": "application/json"},
    "contentEncoding on a schema that is not a string": {"type": "integer", "contentEncoding": "base64"},
    "contentMediaType: image/png": {"type": "string", "contentMediaType": "image/png"},
    "items as an array": {"type": "array", "items": [{"type": "string"}]},
    "const is not among its enum": {"const": "a", "enum": ["b"]},
    "tagz is not an OpenAPI 3.0 schema keyword": {"type": "string", "tagz": 1},
}


def widget_document(tags) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "widgets", "version": "1"}, "paths": {},
            "components": {"schemas": {"Widget": {"type": "object", "properties": {"tags": tags}}}}}


@pytest.mark.parametrize("construct", REFUSALS)
def test_a_form_with_no_3_0_form_is_refused_by_name_and_location(construct):
    _, problems = converted(widget_document(REFUSALS[construct]))
    errors = [p.message for p in problems if p.level == "error"]
    assert len(errors) == 1, errors  # one per construct: connexion's own check adds nothing there
    where = "items" if construct == "items as an array" else ""
    assert errors[0].startswith(f"{WHERE}{'.' + where if where else ''}: {construct}")


def test_each_construct_is_one_error_at_its_own_location():
    tags = {"type": "array", "prefixItems": [{}], "items": {"type": "object", "propertyNames": {"maxLength": 2},
                                                           "properties": {"a": {"if": {}, "then": {}}}}}
    _, problems = converted(widget_document(tags))
    assert [p.message.split(" (")[0] for p in problems] == [
        f"{WHERE}: prefixItems", f"{WHERE}.items: propertyNames", f"{WHERE}.items.properties.a: if/then/else"]


def test_webhooks_are_left_out_with_a_warning():
    document = widget_document({"type": "string"})
    document["webhooks"] = {"widgetMade": {"post": {"responses": {"200": {"description": "ok"}}}}}
    runtime, problems = converted(document)
    assert "webhooks" not in runtime
    assert [(p.level, p.message.split(":")[0:2]) for p in problems] == [("warning", ["webhooks", " widgetMade"])]


def test_path_items_in_components_are_refused():
    document = widget_document({"type": "string"})
    document["components"]["pathItems"] = {"Shared": {"get": {"responses": {"200": {"description": "ok"}}}}}
    _, problems = converted(document)
    assert [p.message for p in problems] == [f"components.pathItems: components.pathItems {openapi31.NO_30_FORM}"]


def test_json_schema_dialect_is_refused_unless_it_names_the_default():
    document = widget_document({"type": "string"})
    document["jsonSchemaDialect"] = "https://json-schema.org/draft/2019-09/schema"
    _, problems = converted(document)
    assert [p.message.split(" '")[0] for p in problems] == ["jsonSchemaDialect: jsonSchemaDialect"]
    document["jsonSchemaDialect"] = openapi31.DEFAULT_DIALECT
    runtime, problems = converted(document)
    assert problems == [] and "jsonSchemaDialect" not in runtime


def test_what_connexion_would_refuse_at_start_is_refused_at_codegen_time():
    """A 3.1 field no rule knows (``info.summary``, ``license.identifier``) is named where it is."""
    document = widget_document({"type": "string"})
    document["info"] |= {"summary": "3.1 only", "license": {"name": "MIT", "identifier": "MIT"}}
    _, problems = converted(document)
    assert sorted(p.message.split(":")[0] for p in problems) == ["info.license.identifier", "info.summary"]
    assert all("not valid in OpenAPI 3.0" in p.message for p in problems)


def test_without_a_problems_list_an_error_raises():
    with pytest.raises(openapi31.Unconvertible, match=f"{WHERE}: prefixItems"):
        to_runtime_document(widget_document(REFUSALS["prefixItems"]), [])


# ---- codegen

def project_with(tmp_path: Path, mutate) -> Path:
    """A copy of the project's specs, backlex's document changed by ``mutate``."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    spec = tmp_path / "specs" / "backlex.openapi.json"
    document = json.loads(spec.read_text())
    mutate(document)
    spec.write_text(json.dumps(document))
    return tmp_path


def first_schema(document: dict) -> tuple[str, dict]:
    return next(iter(document["components"]["schemas"].items()))


@pytest.mark.parametrize("check", [False, True], ids=["codegen", "--check"])
def test_codegen_prints_each_refusal_and_exits_2_writing_nothing(tmp_path, check):
    name = None

    def mutate(document):
        nonlocal name
        name, schema = first_schema(document)
        schema.setdefault("properties", {})["tags"] = REFUSALS["prefixItems"]
        schema["properties"]["sizes"] = REFUSALS["patternProperties"]

    root = project_with(tmp_path, mutate)
    out = io.StringIO()
    assert cli.run(check=check, root=root, out=out) == 2
    lines = out.getvalue().splitlines()
    assert lines == [
        f"error: backlex: components.schemas.{name}.properties.tags: prefixItems {openapi31.NO_30_FORM}",
        f"error: backlex: components.schemas.{name}.properties.sizes: patternProperties {openapi31.NO_30_FORM}",
    ]
    assert not (root / "generated").exists()


def test_codegen_writes_a_converted_document(tmp_path):
    def mutate(document):
        _, schema = first_schema(document)
        schema.setdefault("properties", {})["note"] = {"type": ["string", "null"], "maxLength": 5}

    root = project_with(tmp_path, mutate)
    out = io.StringIO()
    assert cli.run(root=root, out=out) == 0, out.getvalue()
    name, schema = first_schema(json.loads((root / "generated" / "backlex" / "openapi.json").read_text()))
    assert schema["properties"]["note"] == {"type": "string", "maxLength": 5, "nullable": True}
