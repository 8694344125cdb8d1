"""Shared bounds on every request: body size and read time, odd JSON, parameter errors.

Each refusal is asserted with its status, its envelope, and that nothing was stored.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from spec_server import bounds
from tests.support import new_intent


def _intents(client, tenants) -> list[dict]:
    response = client.get("/api/v1/intents", headers=tenants.pm_headers())
    assert response.status_code == 200
    return response.json()["intents"]


def _intent_body(tenants, **fields) -> dict:
    return {"title": "Bounded", "objective": "Keep every request small",
            "productId": tenants.pm_product_id(), **fields}


# --- body size -------------------------------------------------------------------------

def test_body_over_the_limit_is_413_in_pathmode_envelope_and_stores_nothing(client, tenants, settings, caplog):
    settings.max_body_bytes = 2048
    body = _intent_body(tenants, objective="x" * 4096)
    with caplog.at_level(logging.WARNING):
        response = client.post("/api/v1/intents", json=body, headers=tenants.pm_headers())
    assert response.status_code == 413
    assert response.json() == {"error": "Request body is larger than 2048 bytes", "details": {"limit": 2048}}
    assert response.headers["connection"] == "close"
    assert _intents(client, tenants) == []
    refusals = [r for r in caplog.records if r.name == "spec_server.bounds"]
    assert len(refusals) == 1 and refusals[0].exc_info is None


def test_body_over_the_limit_is_413_in_backlex_envelope(client, tenants, settings):
    settings.max_body_bytes = 100
    response = client.post("/api/org", json={"name": "Acme", "purpose": "p" * 200},
                           cookies=tenants.bx_session())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    orgs = client.get("/api/orgs", cookies=tenants.bx_session()).json()["orgs"]
    assert orgs == []


def test_body_at_the_limit_is_read(client, tenants, settings):
    import json

    body = _intent_body(tenants)
    settings.max_body_bytes = len(json.dumps(body).encode())
    response = client.post("/api/v1/intents", json=body, headers=tenants.pm_headers())
    assert response.status_code == 201


def test_chunked_body_is_counted_as_it_arrives(client, tenants, settings):
    settings.max_body_bytes = 1000
    chunk = b'{"title": "' + b"x" * 600

    def chunks():  # no Content-Length: the client sends it chunked
        yield chunk
        yield b"y" * 600
        yield b'", "objective": "o", "productId": "' + tenants.pm_product_id().encode() + b'"}'

    headers = {**tenants.pm_headers(), "Content-Type": "application/json"}
    response = client.post("/api/v1/intents", content=chunks(), headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "Request body is larger than 1000 bytes"
    assert _intents(client, tenants) == []


def test_chunked_body_under_the_limit_is_read(client, tenants):
    import json

    encoded = json.dumps(_intent_body(tenants)).encode()
    headers = {**tenants.pm_headers(), "Content-Type": "application/json"}
    response = client.post("/api/v1/intents", content=iter([encoded[:10], encoded[10:]]), headers=headers)
    assert response.status_code == 201, response.text
    assert [i["title"] for i in _intents(client, tenants)] == ["Bounded"]


def test_default_limit_is_one_mebibyte(settings):
    from spec_server.config import Settings

    assert Settings().max_body_bytes == 1024 * 1024


def test_planted_fault_lifts_the_limit(client, tenants, settings):
    settings.max_body_bytes = 100
    settings.faults = frozenset({"no-body-limit"})
    response = client.post("/api/v1/intents", json=_intent_body(tenants, objective="o" * 200),
                           headers=tenants.pm_headers())
    assert response.status_code == 201


# --- body read time --------------------------------------------------------------------

def test_a_body_that_stops_arriving_is_408_and_nothing_is_stored(app, tenants, settings):
    """Driven at the ASGI level: the client sends part of the body and then nothing."""
    settings.body_read_timeout = 0.2
    headers = [(b"content-type", b"application/json"), (b"content-length", b"500"),
               (b"authorization", tenants.pm_headers()["Authorization"].encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/v1/intents", "raw_path": b"/api/v1/intents",
             "query_string": b"", "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80)}
    sent = []

    async def run():
        messages = [{"type": "http.request", "body": b'{"title": "slow', "more_body": True}]

        async def receive():
            if messages:
                return messages.pop(0)
            await asyncio.sleep(3600)  # a client that went quiet

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"Request body not received within 0.2 s" in body


def test_declared_length_reads_headers():
    assert bounds.declared_length({"headers": [(b"content-length", b"12")]}) == 12
    assert bounds.declared_length({"headers": []}) == 0
    assert bounds.declared_length({"headers": [(b"transfer-encoding", b"chunked")]}) is None


def test_unreadable_content_length_is_400(client, tenants):
    response = client.post("/api/v1/intents", content=b"{}",
                           headers={**tenants.pm_headers(), "Content-Length": "abc"})
    assert response.status_code == 400


def test_small_bodies_still_work(client, tenants):
    assert new_intent(client, tenants)["title"] == "Speed up onboarding"


@pytest.fixture(autouse=True)
def _restore_bounds(settings):
    saved = (settings.max_body_bytes, settings.body_read_timeout)
    yield
    settings.max_body_bytes, settings.body_read_timeout = saved


# --- JSON that parses but nothing can take ---------------------------------------------

def _raw_post(client, path, text: str, **kwargs):
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return client.post(path, content=text.encode(), headers=headers, **kwargs)


def _one_refusal_without_traceback(caplog) -> None:
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].exc_info is None and len(caplog.text) < 1000


@pytest.mark.parametrize("where", ["title", "key"])
def test_lone_surrogate_is_400_malformed_and_stores_nothing(client, tenants, caplog, where):
    product = tenants.pm_product_id()
    text = ('{"title": "a\\ud800b", "objective": "o", "productId": "P"}' if where == "title"
            else '{"title": "t", "objective": "o", "productId": "P", "x\\udc00": 1}').replace("P", product)
    with caplog.at_level(logging.WARNING):
        response = _raw_post(client, "/api/v1/intents", text, headers=tenants.pm_headers())
    assert response.status_code == 400
    assert response.json() == {"error": "Malformed JSON: text holds a lone UTF-16 surrogate (\\ud800-\\udfff)"}
    _one_refusal_without_traceback(caplog)
    assert _intents(client, tenants) == []


def test_lone_surrogate_in_backlex_is_400_bad_request(client, tenants):
    response = _raw_post(client, "/api/org", '{"name": "Acme \\ud83d"}', cookies=tenants.bx_session())
    assert response.status_code == 400 and response.json()["error"]["code"] == "BAD_REQUEST"
    assert client.get("/api/orgs", cookies=tenants.bx_session()).json()["orgs"] == []


def test_a_surrogate_pair_is_ordinary_text(client, tenants):
    text = '{"title": "Ship it \\ud83d\\ude80", "objective": "o", "productId": "P"}'.replace("P", tenants.pm_product_id())
    response = _raw_post(client, "/api/v1/intents", text, headers=tenants.pm_headers())
    assert response.status_code == 201 and response.json()["title"] == "Ship it \U0001f680"


@pytest.mark.parametrize("depth", [33, 400, 5000])
def test_deep_nesting_is_400_with_one_short_log_line(client, tenants, caplog, depth):
    nested = "[" * depth + "]" * depth
    text = '{"title": "t", "objective": "o", "productId": "P", "scope": {"x": N}}'.replace(
        "P", tenants.pm_product_id()).replace("N", nested)
    with caplog.at_level(logging.WARNING):
        response = _raw_post(client, "/api/v1/intents", text, headers=tenants.pm_headers())
    assert response.status_code == 400
    assert response.json() == {"error": "Malformed JSON: nested deeper than 32 levels"}
    _one_refusal_without_traceback(caplog)
    assert _intents(client, tenants) == []


def test_nesting_within_the_bound_is_read(client, tenants):
    nested = "{\"a\": " * 20 + "1" + "}" * 20
    text = '{"title": "t", "objective": "o", "productId": "P", "scope": N}'.replace(
        "P", tenants.pm_product_id()).replace("N", nested)
    assert _raw_post(client, "/api/v1/intents", text, headers=tenants.pm_headers()).status_code == 201


# --- parameters and numbers --------------------------------------------------------------

def test_a_query_parameter_breaking_its_schema_is_named_in_one_line(client, tenants):
    response = client.get("/api/v1/export", params={"format": "pdf"}, headers=tenants.pm_headers())
    assert response.status_code == 400
    body = response.json()
    assert "\n" not in body["error"] and body["error"].startswith("Invalid parameter format (")
    assert list(body["details"]["fieldErrors"]) == ["format"]
    assert body["details"]["fieldErrors"]["format"][0].startswith("'pdf' is not one of")
    assert "Failed validating" not in response.text


def test_backlex_query_parameter_errors_are_422_by_name(client, tenants):
    from tests.backlex.project_helpers import org_a

    org = org_a(client, tenants)
    response = client.get(f"/api/org/{org['slug']}/usage/history", params={"months": "lots"},
                          cookies=tenants.bx_session())
    if response.status_code == 200:  # the operation has no typed query parameter: use audit's
        response = client.get(f"/api/org/{org['slug']}/audit", params={"limit": "lots"},
                              cookies=tenants.bx_session())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION" and "\n" not in error["message"]
    assert error["details"]["fieldErrors"], error


def test_an_integral_number_is_an_integer_stored_and_answered_as_one(client, tenants):
    from tests.backlex.project_helpers import as_role, create_project, org_a

    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    path = f"/api/org/{org['slug']}/projects/storefront/branches"
    response = _raw_post(client, path, '{"name": "feature/x", "prNumber": 12.0}', cookies=as_role(tenants))
    assert response.status_code == 201, response.text
    assert '"prNumber":12,' in response.text or '"prNumber":12}' in response.text
    listed = client.get(path, cookies=as_role(tenants)).text
    assert '"prNumber":12' in listed and "12.0" not in listed
    fractional = _raw_post(client, path, '{"name": "feature/y", "prNumber": 12.5}', cookies=as_role(tenants))
    assert fractional.status_code == 422
    assert "feature/y" not in client.get(path, cookies=as_role(tenants)).text


def test_nul_in_a_parameter_the_key_makes_irrelevant_does_not_spoil_the_request(client, tenants):
    response = client.get("/api/v1/intents", params={"workspace_id": "ws\x00"}, headers=tenants.pm_headers())
    assert response.status_code == 200
    session = client.get("/api/v1/intents", params={"workspace_id": "ws\x00"}, cookies=tenants.pm_session())
    assert session.status_code == 400 and "NUL" in session.json()["error"]
    read = client.get("/api/v1/intents", params={"status": "draft\x00"}, headers=tenants.pm_headers())
    assert read.status_code == 400 and "NUL" in read.json()["error"]


# --- stored text fields ---------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [("title", "t" * 501), ("objective", "o" * 5001),
                                         ("outcomes", ["x"] * 101), ("outcomes", ["o" * 1001])])
def test_a_pathmode_field_over_its_limit_is_400_naming_it(client, tenants, field, value):
    response = client.post("/api/v1/intents", json=_intent_body(tenants, **{field: value}), headers=tenants.pm_headers())
    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == [field]
    assert _intents(client, tenants) == []


def test_a_backlex_field_over_its_limit_is_422_naming_it(client, tenants):
    from tests.backlex.org_helpers import outbox
    from tests.backlex.project_helpers import org_a

    org = org_a(client, tenants)
    email = "a" * 250 + "@x.example"
    response = client.post(f"/api/org/{org['slug']}/invitations", json={"email": email, "role": "viewer"},
                           cookies=tenants.bx_session())
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fieldErrors"]) == ["email"]
    assert outbox() == []


def test_limits_are_in_the_served_documents(client):
    document = client.get("/api/v1/openapi.json").json()
    title = document["paths"]["/intents"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["title"]
    assert title["maxLength"] == 500
