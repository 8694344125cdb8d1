"""The app shell: every operation resolves, and every error leaves in its API's envelope,
under both flavours (AsyncApp by default, FlaskApp one option away)."""

from __future__ import annotations

import dataclasses

import pytest

from generated.backlex.operations import OPERATIONS as BACKLEX_OPERATIONS
from generated.pathmode.operations import OPERATIONS as PATHMODE_OPERATIONS
from spec_server import config
from spec_server.app import StartupRefused, create_app
from spec_server.pipeline import load_handler
from tests.support import documented_operations


@pytest.fixture(scope="module")
def flask_app(app, tmp_path_factory):
    current = config.settings()
    flask = create_app(dataclasses.replace(current, flavour="flask"))
    config.install(current)
    return flask


@pytest.fixture(params=["async", "flask"])
def any_client(request, app, flask_app, database, settings):
    chosen = app if request.param == "async" else flask_app
    with chosen.test_client() as test_client:
        yield test_client


def test_every_documented_operation_resolves_to_a_handler():
    operations = [*BACKLEX_OPERATIONS, *PATHMODE_OPERATIONS]
    documented = documented_operations("backlex") | documented_operations("pathmode")
    assert {(op.method, op.path) for op in operations} == documented
    for operation in operations:
        assert callable(load_handler(operation.handler)), operation.handler
        module = operation.handler.rsplit(".", 2)[-2]
        assert module == operation.tag.lower().replace(" ", "_").replace("-", "_")


def test_start_up_fails_when_a_handler_is_missing(monkeypatch, app):
    from generated.pathmode import operations

    broken = dataclasses.replace(operations.BY_ID["get_intents"], handler="handlers.pathmode.intents.nope")
    monkeypatch.setitem(operations.BY_ID, "get_intents", broken)
    with pytest.raises(StartupRefused, match="handlers/pathmode/intents.py: no function nope for GET /api/v1/intents"):
        create_app(config.settings())


def test_start_up_fails_when_a_handler_does_not_take_the_operations_parameters(monkeypatch, app):
    """A renamed path parameter ({id} -> {intentId}) stops the start, naming the handler, instead
    of failing the first request with an unexpected keyword (500)."""
    from generated.pathmode import operations

    original = operations.BY_ID["get_intents_id"]
    renamed = dataclasses.replace(original, path="/api/v1/intents/{intentId}", parameters=tuple(
        dataclasses.replace(p, name="intentId") if p.name == "id" else p for p in original.parameters))
    monkeypatch.setitem(operations.BY_ID, "get_intents_id", renamed)
    with pytest.raises(StartupRefused) as refused:
        create_app(config.settings())
    assert "handlers/pathmode/intents.py: get_intents_id: no parameter intent_id for path parameter intentId" \
        in str(refused.value)
    assert "get_intents_id: parameter id_ is no parameter of GET /api/v1/intents/{intentId}" in str(refused.value)


def _is_backlex_error(response, status, code):
    body = response.json()
    return (response.status_code == status and set(body) == {"error"}
            and body["error"]["code"] == code and isinstance(body["error"]["message"], str)
            and "details" in body["error"])


def _is_pathmode_error(response, status):
    body = response.json()
    return response.status_code == status and isinstance(body.get("error"), str)


def test_unknown_paths_are_404_in_the_envelope_of_their_api(any_client):
    assert _is_backlex_error(any_client.get("/api/nowhere"), 404, "NOT_FOUND")
    assert _is_pathmode_error(any_client.get("/api/v1/nowhere"), 404)
    assert any_client.get("/nowhere").json() == {"error": "Not found"}


def test_wrong_method_is_405_with_allow(any_client):
    response = any_client.delete("/api/v1/intents")
    assert _is_pathmode_error(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST"
    response = any_client.put("/api/org/acme/projects")
    assert _is_backlex_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_missing_credentials_are_401(any_client):
    assert _is_backlex_error(any_client.get("/api/orgs"), 401, "UNAUTHORIZED")
    assert _is_pathmode_error(any_client.get("/api/v1/intents"), 401)


def test_body_errors(any_client, tenants):
    cookies = tenants.bx_session()
    bad_json = any_client.post("/api/org", content=b"{oops", cookies=cookies,
                               headers={"content-type": "application/json"})
    assert _is_backlex_error(bad_json, 400, "BAD_REQUEST")
    schema = any_client.post("/api/org", json={"name": "x", "residency": "mars"}, cookies=cookies)
    assert _is_backlex_error(schema, 422, "VALIDATION")
    assert set(schema.json()["error"]["details"]["fieldErrors"]) == {"name", "residency"}
    text = any_client.post("/api/org", content=b'{"name": "Acme"}', cookies=cookies,
                           headers={"content-type": "text/plain"})
    assert _is_backlex_error(text, 415, "UNSUPPORTED_MEDIA_TYPE")
    untyped = any_client.post("/api/org", content=b'{"name": "Acme Untyped"}', cookies=cookies)
    assert untyped.status_code == 201 and untyped.json()["org"]["name"] == "Acme Untyped"

    headers = tenants.pm_headers()
    invalid = any_client.post("/api/v1/intents", json={"title": "t"}, headers=headers)
    assert _is_pathmode_error(invalid, 400)
    assert set(invalid.json()["details"]["fieldErrors"]) == {"objective", "productId"}


def test_no_problem_json_anywhere(any_client, tenants):
    responses = [
        any_client.get("/api/nowhere"), any_client.get("/api/v1/intents"),
        any_client.delete("/api/v1/intents"), any_client.post("/api/org", json={}, cookies=tenants.bx_session()),
        any_client.get("/api/v1/intents?status=1", headers={"Authorization": "Bearer nope"}),
    ]
    for response in responses:
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert "title" not in response.json() and "type" not in response.json()


def test_text_with_nul_is_refused_before_any_read(any_client, tenants):
    """docs/behaviour.md "Both APIs": U+0000 cannot be stored by PostgreSQL, so every store
    refuses it — in the body (backlex 422, Pathmode 400), in a query or in a path."""
    body = any_client.post("/api/org", json={"name": "Acme\x00"}, cookies=tenants.bx_session())
    assert _is_backlex_error(body, 422, "VALIDATION") and "NUL" in body.json()["error"]["message"]
    query = any_client.get("/api/v1/intents", params={"status": "draft\x00"}, headers=tenants.pm_headers())
    assert _is_pathmode_error(query, 400) and "NUL" in query.json()["error"]
    path = any_client.get("/api/v1/intents/abc%00def", headers=tenants.pm_headers())
    assert _is_pathmode_error(path, 400)
    assert any_client.get("/api/orgs", cookies=tenants.bx_session()).json()["orgs"] == []


def test_serve_refuses_a_misfit_before_it_seeds_or_listens(monkeypatch, app, database, capsys):
    """``spec-server serve`` names the misfit on stderr and exits 1: no demo dataset is seeded and
    no curl line is printed for a server that would not start (it was a traceback from uvicorn)."""
    from generated.pathmode import operations
    from spec_server import cli, workers
    from tests.support import current_database_url

    broken = dataclasses.replace(operations.BY_ID["get_intents"], handler="handlers.pathmode.intents.nope")
    monkeypatch.setitem(operations.BY_ID, "get_intents", broken)
    monkeypatch.setattr(workers, "serve", lambda *a: pytest.fail("the server was started"))
    monkeypatch.setenv("DATABASE_URL", current_database_url())
    monkeypatch.setenv("SPEC_SERVER_APIS", "all")
    assert cli.main(["serve", "--database", current_database_url()]) == 1
    out, err = capsys.readouterr()
    assert "handlers/pathmode/intents.py: no function nope for GET /api/v1/intents" in err
    assert err.startswith("spec-server: not started: ") and "Traceback" not in err
    assert "Seeded" not in out and "curl" not in out
    from handlers.backlex.store import User

    with database.connection_context():
        assert not User.select().exists()


def test_an_oversized_body_is_413_in_both_flavours(any_client, tenants, settings):
    """The body limit sits in the ASGI stack both flavours share (spec_server/bounds.py)."""
    saved = settings.max_body_bytes
    settings.max_body_bytes = 256
    try:
        response = any_client.post("/api/v1/intents", headers=tenants.pm_headers(), json={
            "title": "t", "objective": "o" * 512, "productId": tenants.pm_product_id()})
    finally:
        settings.max_body_bytes = saved
    assert _is_pathmode_error(response, 413)
    assert any_client.get("/api/v1/intents", headers=tenants.pm_headers()).json()["intents"] == []
