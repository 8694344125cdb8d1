"""Request bodies and parameters reached through ``components`` refs validate as inline ones do
(spec_server/validation.py), through the connexion app wired as ``create_app`` wires it.

connexion attaches the document's components to a body schema object; a body taken from
``components/requestBodies`` is an object inside those components, so that schema contains
itself, and so do the components: every body of such a document used to answer 500
(``Circular reference detected``), not only the one taken from ``requestBodies``.
"""

from __future__ import annotations

import connexion
import pytest
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionResponse
from connexion.resolver import Resolver
from starlette.testclient import TestClient

from spec_server import connexion_tuning, errors, jsonio
from spec_server.validation import CompiledValidators, body_validator

SCHEMA_ERROR_STATUS = 422
WIDGET = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 8}}}
DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "refs", "version": "1"},
    "paths": {
        "/by-request-body-ref": {"post": {
            "operationId": "by_request_body_ref",
            "requestBody": {"$ref": "#/components/requestBodies/Widget"},
            "responses": {"200": {"$ref": "#/components/responses/Ok"}}}},
        "/by-all-of": {"post": {
            "operationId": "by_all_of",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/Widget"},
                          {"type": "object", "required": ["size"],
                           "properties": {"size": {"type": "integer", "minimum": 1}}}]}}}},
            "responses": {"200": {"$ref": "#/components/responses/Ok"}}}},
        "/by-parameter-ref": {"get": {
            "operationId": "by_parameter_ref",
            "parameters": [{"$ref": "#/components/parameters/Limit"}],
            "responses": {"200": {"$ref": "#/components/responses/Ok"}}}},
    },
    "components": {
        "schemas": {"Widget": WIDGET},
        "requestBodies": {"Widget": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}}}},
        "parameters": {"Limit": {"name": "limit", "in": "query", "required": True,
                                 "schema": {"type": "integer", "minimum": 1, "maximum": 10}}},
        "responses": {"Ok": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}}}}},
    },
}


def answer(**_kwargs):
    return {"ok": True}, 200


def error_status(_request, exc: Exception) -> ConnexionResponse:
    status = exc.status_code if isinstance(exc, errors.ApiError) else exc.status if isinstance(
        exc, ProblemException) else 500
    return ConnexionResponse(status_code=status, body=jsonio.dumps({"error": str(exc)}), mimetype="application/json")


@pytest.fixture(scope="module")
def client():
    connexion_tuning.install()  # as create_app does
    app = connexion.AsyncApp(__name__)
    app.add_api(DOCUMENT, resolver=Resolver(function_resolver=lambda _name: answer), validate_responses=True,
                validator_map={"body": {"application/json": body_validator(SCHEMA_ERROR_STATUS)}})
    for kind in (ProblemException, errors.ApiError, Exception):
        app.add_error_handler(kind, error_status)
    return TestClient(app, raise_server_exceptions=False)


def test_a_body_from_components_request_bodies_is_validated(client):
    assert client.post("/by-request-body-ref", json={"name": "gear"}).status_code == 200
    refused = client.post("/by-request-body-ref", json={"name": "far too long a name"})
    assert refused.status_code == SCHEMA_ERROR_STATUS
    assert client.post("/by-request-body-ref", json={}).status_code == SCHEMA_ERROR_STATUS


def test_a_body_of_all_of_with_a_ref_holds_every_branch(client):
    assert client.post("/by-all-of", json={"name": "gear", "size": 2}).status_code == 200
    assert client.post("/by-all-of", json={"name": "gear"}).status_code == SCHEMA_ERROR_STATUS
    assert client.post("/by-all-of", json={"size": 2}).status_code == SCHEMA_ERROR_STATUS


def test_a_parameter_from_components_parameters_is_validated(client):
    maximum = DOCUMENT["components"]["parameters"]["Limit"]["schema"]["maximum"]
    assert client.get("/by-parameter-ref", params={"limit": maximum}).status_code == 200
    assert client.get("/by-parameter-ref", params={"limit": maximum + 1}).status_code == 400
    assert client.get("/by-parameter-ref").status_code == 400


def test_a_schema_that_holds_itself_through_components_keeps_its_fast_path():
    schema = dict(WIDGET)
    schema["components"] = {"requestBodies": {"Widget": {"content": {"application/json": {"schema": schema}}}}}
    validators = CompiledValidators(schema)
    assert validators.accepts({"name": "gear"})
    assert not validators.accepts({"name": 7})
    assert list(validators.reference.iter_errors({"name": 7}))


def test_a_recursive_schema_is_left_to_the_reference():
    node = {"type": "object", "properties": {"name": {"type": "string"}}}
    node["properties"]["child"] = node  # what connexion makes of a schema that refers to itself
    validators = CompiledValidators(node)
    assert validators.fast is None and not validators.accepts({"name": "a"})
    assert list(validators.reference.iter_errors({"child": {"name": 1}}))
    assert not list(validators.reference.iter_errors({"child": {"name": "b"}}))
