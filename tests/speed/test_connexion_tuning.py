"""spec_server.connexion_tuning: the remembered lookups return what connexion computes."""

from __future__ import annotations

import inspect

from connexion.decorators import parameter
from connexion.operations import openapi

from spec_server import apis, connexion_tuning
from spec_server.app import runtime_document
from spec_server.pipeline import resolver


def every_operation():
    for api in apis.discover():
        document = runtime_document(api, f"handlers.{api.name}._api")
        for path, methods in document["paths"].items():
            for method, spec in methods.items():
                if isinstance(spec, dict) and "responses" in spec:
                    yield openapi.OpenAPIOperation(method, path, spec, resolver(api),
                                                   components=document.get("components", {}))


def test_body_definitions_are_connexions_own_objects(app):
    connexion_tuning.install()
    computed = inspect.unwrap(openapi.OpenAPIOperation.body_definition)
    checked = 0
    for operation in every_operation():
        for content_type in (None, *operation.consumes):
            remembered = operation.body_definition(content_type)
            assert remembered is operation.body_definition(content_type)  # remembered
            assert remembered == computed(operation, content_type)
            if operation.request_body:
                # the document's own media-type object, as connexion returns it
                assert remembered is computed(operation, content_type)
                checked += 1
    assert checked > 20


def test_parameter_names_become_the_names_connexion_gives():
    connexion_tuning.install()
    for name in ("workspace_id", "workspaceId", "id", "type", "X-Request-Id", "page[size]", "3d", "class", ""):
        assert parameter.pythonic(name) == parameter.pythonic.__wrapped__(name)
        assert parameter.sanitized(name) == parameter.sanitized.__wrapped__(name)
