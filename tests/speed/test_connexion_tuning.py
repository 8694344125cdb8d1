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


def test_a_handler_gets_the_body_the_validator_parsed_and_no_files(client, tenants):
    from connexion.lifecycle import ConnexionRequest

    seen = {}
    read_json, read_files = ConnexionRequest.json, ConnexionRequest.files

    async def json_spy(self):
        seen["parsed"] = self.scope["extensions"].get(connexion_tuning.BODY_KEY)
        seen["body"] = await read_json(self)
        return seen["body"]

    async def files_spy(self):
        seen["files"] = await read_files(self)
        return seen["files"]

    ConnexionRequest.json, ConnexionRequest.files = json_spy, files_spy
    body = {"title": "Faster checkout", "objective": "Cut steps", "productId": tenants.pm_product_id(),
            "outcomes": ["Fewer steps"], "healthMetrics": [], "constraints": []}
    try:
        response = client.post("/api/v1/intents", json=body, headers=tenants.pm_headers())
    finally:
        ConnexionRequest.json, ConnexionRequest.files = read_json, read_files
    assert response.status_code == 201, response.text
    assert seen["body"] is seen["parsed"] and seen["body"]["title"] == "Faster checkout"
    assert dict(seen["files"]) == {}


def test_the_document_pages_are_served_and_other_requests_skip_their_router(client, tenants):
    from connexion.middleware import swagger_ui

    entered = []
    route = swagger_ui.Router.__call__

    async def counting(self, scope, receive, send):
        # the pages' routers hand what they do not serve to the middleware's next app
        if isinstance(getattr(self.default, "__self__", None), swagger_ui.SwaggerUIMiddleware):
            entered.append(scope["path"])
        return await route(self, scope, receive, send)

    swagger_ui.Router.__call__ = counting  # Starlette's router, as connexion's pages use it
    try:
        documents = {api.mount: client.get(f"{api.mount}/openapi.json") for api in apis.discover()}
        yaml = client.get("/api/v1/openapi.yaml")
        page = client.get("/api/v1/ui/")
        moved = client.get("/api/v1/ui", follow_redirects=False)
        reached = len(entered)
        answered = client.get("/api/v1/intents", headers=tenants.pm_headers())
    finally:
        swagger_ui.Router.__call__ = route
    for mount, response in documents.items():
        assert response.status_code == 200 and response.json()["paths"], mount
    assert yaml.status_code == 200 and yaml.headers["content-type"].startswith("text/yaml")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert moved.status_code == 307 and moved.headers["location"].endswith("/api/v1/ui/")
    assert reached >= 5  # each page went through it
    assert answered.status_code == 200 and len(entered) == reached  # the API's request did not


def test_no_query_string_resolves_as_connexion_resolves_it():
    from connexion import lifecycle

    connexion_tuning.install()
    computed = lifecycle.ConnexionRequest.query_params.fget.computed
    checked = 0
    for operation in every_operation():
        for query in (b"", b"workspace_id=w1&limit=5"):
            scope = {"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": []}

            def request(scope=scope, operation=operation):
                return lifecycle.ConnexionRequest(scope, uri_parser=operation._uri_parser_class(
                    operation.parameters, operation.body_definition()))
            assert request().query_params == computed(request())
            checked += 1
    assert checked > 100
