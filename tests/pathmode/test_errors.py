"""Pathmode error bodies: `{ error }` on every 4xx/5xx, `{ error, details }` on body validation,
JSON errors from the file-download export (PM-ERROR-*)."""

from __future__ import annotations

import uuid

import pytest

from tests.pathmode.test_workspace import delete_workspace_row
from tests.support import new_intent

RANDOM = "00000000-0000-4000-8000-000000000000"

# Every operation of the document: (method, path, auth). ``{id}`` is an intent id.
OPERATIONS = [
    ("GET", "/api/v1/intents", "key"),
    ("POST", "/api/v1/intents", "key"),
    ("GET", "/api/v1/intents/{id}", "key"),
    ("PATCH", "/api/v1/intents/{id}", "key"),
    ("PATCH", "/api/v1/intents/{id}/status", "key"),
    ("POST", "/api/v1/intents/{id}/notes", "key"),
    ("GET", "/api/v1/intents/{id}/notes", "key"),
    ("POST", "/api/v1/intents/{id}/findings", "key"),
    ("GET", "/api/v1/intents/{id}/findings", "key"),
    ("POST", "/api/v1/intents/{id}/evidence", "key"),
    ("POST", "/api/v1/intents/{id}/verify", "key"),
    ("GET", "/api/v1/intents/{id}/prompt", "key"),
    ("POST", "/api/v1/intents/{id}/share", "key"),
    ("DELETE", "/api/v1/intents/{id}/share", "key"),
    ("GET", "/api/v1/evidence", "key"),
    ("POST", "/api/v1/evidence", "key"),
    ("GET", "/api/v1/workspace", "key"),
    ("GET", "/api/v1/workspace/constitution", "key"),
    ("GET", "/api/v1/export", "key"),
    ("GET", "/api/v1/intents/{id}/outcomes", "cookie"),
    ("POST", "/api/v1/intents/{id}/outcomes", "cookie"),
    ("POST", "/api/v1/intents/{id}/analyze-codebase", "cookie"),
    ("GET", "/api/v1/api-keys", "cookie"),
    ("POST", "/api/v1/api-keys", "cookie"),
    ("DELETE", "/api/v1/api-keys", "cookie"),
]
WRITE = {("POST", p) for _, p, _ in OPERATIONS} | {("PATCH", p) for _, p, _ in OPERATIONS} | {
    ("DELETE", "/api/v1/intents/{id}/share")}


def valid_body(method: str, path: str, tenants) -> dict | None:
    """A body the schema accepts, so the answer is decided by what the test varies."""
    bodies = {
        ("POST", "/api/v1/intents"): {"title": "t", "objective": "o", "productId": tenants.pm_product_id()},
        ("PATCH", "/api/v1/intents/{id}"): {"title": "t"},
        ("PATCH", "/api/v1/intents/{id}/status"): {"status": "validated"},
        ("POST", "/api/v1/intents/{id}/notes"): {"note": "n"},
        ("POST", "/api/v1/intents/{id}/findings"): {"assumption": "a", "finding": "f"},
        ("POST", "/api/v1/intents/{id}/evidence"): {"link": [RANDOM]},
        ("POST", "/api/v1/intents/{id}/verify"): {"summary": "Built it"},
        ("POST", "/api/v1/evidence"): {"content": "c", "type": "friction", "productId": tenants.pm_product_id()},
        ("POST", "/api/v1/intents/{id}/outcomes"): {"outcomeIndex": 0, "outcomeText": "t", "actualValue": "1"},
        ("POST", "/api/v1/api-keys"): {"name": "ci", "workspaceId": tenants.pm_workspace_id()},
        ("DELETE", "/api/v1/api-keys"): {"keyId": RANDOM},
    }
    return bodies.get((method, path))


def call(client, method, path, *, intent_id=RANDOM, body=None, headers=None, cookies=None, params=None):
    return client.request(method, path.replace("{id}", intent_id), json=body, headers=headers or {},
                          cookies=cookies or {}, params=params or {})


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and isinstance(body["error"], str) and body["error"]
    return body


def op_id(op):
    return f"{op[0]} {op[1]}"


@pytest.mark.parametrize("method,path,auth", OPERATIONS, ids=map(op_id, OPERATIONS))
def test_401_without_credentials_is_a_json_error(client, tenants, method, path, auth):
    """PM-ERROR-1: "{ error }" — no credentials: 401 application/json {error: string}."""
    intent_id = new_intent(client, tenants)["id"]
    response = call(client, method, path, intent_id=intent_id, body=valid_body(method, path, tenants))
    assert_json_error(response, 401)


@pytest.mark.parametrize("method,path,auth", [op for op in OPERATIONS if op[2] == "key"], ids=op_id)
def test_403_missing_scope_is_a_json_error(client, tenants, method, path, auth):
    """PM-ERROR-1: "{ error }" — a key without the operation's scope: 403 {error}."""
    intent_id = new_intent(client, tenants)["id"]
    key = "read" if (method, path) in WRITE else "write"
    response = call(client, method, path, intent_id=intent_id, body=valid_body(method, path, tenants),
                    headers=tenants.pm_headers(name=key))
    assert_json_error(response, 403)


@pytest.mark.parametrize("method,path,auth", [op for op in OPERATIONS if op[2] == "key"], ids=op_id)
def test_400_cookie_without_workspace_id_is_a_json_error(client, tenants, method, path, auth):
    """PM-ERROR-1: "{ error }" — a cookie session without ?workspace_id=: 400 {error}."""
    intent_id = new_intent(client, tenants)["id"]
    response = call(client, method, path, intent_id=intent_id, body=valid_body(method, path, tenants),
                    cookies=tenants.pm_session())
    assert_json_error(response, 400)


NOT_FOUND = [op for op in OPERATIONS if "{id}" in op[1] and op[2] == "key"] + [
    ("POST", "/api/v1/intents/{id}/outcomes", "cookie")]


@pytest.mark.parametrize("method,path,auth", NOT_FOUND, ids=op_id)
def test_404_unknown_intent_is_a_json_error(client, tenants, method, path, auth):
    """PM-ERROR-1: "{ error }" — an intent that does not exist: 404 {error}."""
    credentials = {"headers": tenants.pm_headers(name="admin")} if auth == "key" else {
        "cookies": tenants.pm_session()}
    response = call(client, method, path, intent_id=str(uuid.uuid4()), body=valid_body(method, path, tenants),
                    **credentials)
    assert_json_error(response, 404)


def test_404_of_a_missing_workspace_is_a_json_error(client, tenants):
    """PM-ERROR-1: "{ error }" — GET /workspace whose workspace row is gone: 404 {error}."""
    delete_workspace_row(tenants.pm_workspace_id())
    assert_json_error(client.get("/api/v1/workspace", headers=tenants.pm_headers()), 404)


def test_403_plan_limit_and_429_rate_limit_are_json_errors(client, tenants, settings):
    """PM-ERROR-1: "{ error }" — the billing 403 and the rate-limit 429 carry {error}."""
    settings.plan_limits["pro"]["intents"] = 0
    body = valid_body("POST", "/api/v1/intents", tenants)
    assert assert_json_error(client.post("/api/v1/intents", json=body, headers=tenants.pm_headers()), 403)[
        "error"] == "plan_limit_reached"
    settings.rate_limits["apiKeysRead"] = (1, 3600)
    assert client.get("/api/v1/api-keys", cookies=tenants.pm_session()).status_code == 200
    limited = client.get("/api/v1/api-keys", cookies=tenants.pm_session())
    assert_json_error(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0


def test_500_is_a_json_error(client, tenants, settings):
    """PM-ERROR-1: "{ error }" — an internal failure: 500 {error}, the cause not sent."""
    settings.faults = frozenset({"edge_case_store"})
    body = {**valid_body("POST", "/api/v1/intents", tenants), "edgeCases": [{"scenario": "s", "expectedBehavior": "e"}]}
    error = assert_json_error(client.post("/api/v1/intents", json=body, headers=tenants.pm_headers()), 500)
    assert "Traceback" not in error["error"]


def test_unknown_path_and_wrong_method_are_json_errors(client, tenants):
    """PM-ERROR-1: "{ error }" — also outside the operations: unknown path 404, wrong method 405."""
    assert_json_error(client.get("/api/v1/nothing-here", headers=tenants.pm_headers()), 404)
    response = client.delete("/api/v1/workspace", headers=tenants.pm_headers())
    assert_json_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_unreadable_bodies_are_json_errors(client, tenants):
    """PM-ERROR-1: "{ error }" — malformed JSON is 400 and a non-JSON content type 415, both {error}."""
    headers = {**tenants.pm_headers(), "Content-Type": "application/json"}
    assert_json_error(client.post("/api/v1/intents", content=b'{"title": ', headers=headers), 400)
    text = {**tenants.pm_headers(), "Content-Type": "text/plain"}
    assert_json_error(client.post("/api/v1/intents", content=b"title=x", headers=text), 415)


BODY_ERRORS = [
    ("POST", "/api/v1/intents", {"title": "   ", "objective": "o"}, "title"),
    ("PATCH", "/api/v1/intents/{id}", {"title": ""}, "title"),
    ("PATCH", "/api/v1/intents/{id}/status", {"status": "archived"}, "status"),
    ("POST", "/api/v1/intents/{id}/notes", {"note": "  "}, "note"),
    ("POST", "/api/v1/intents/{id}/findings", {"assumption": "", "finding": "f"}, "assumption"),
]


@pytest.mark.parametrize("method,path,body,field", BODY_ERRORS, ids=[f"{m} {p}" for m, p, _, _ in BODY_ERRORS])
def test_body_validation_400_names_the_field(client, tenants, method, path, body, field):
    """PM-ERROR-2: "Invalid request body (zod) — { error, details }" — details is zod's flattened
    error, naming the offending field in fieldErrors."""
    intent = new_intent(client, tenants)
    if path == "/api/v1/intents":
        body = {**body, "productId": tenants.pm_product_id()}
    response = call(client, method, path, intent_id=intent["id"], body=body, headers=tenants.pm_headers())
    error = assert_json_error(response, 400)
    assert set(error["details"]) == {"formErrors", "fieldErrors"}
    assert isinstance(error["details"]["fieldErrors"][field], list) and error["details"]["fieldErrors"][field]
    assert all(isinstance(message, str) for message in error["details"]["fieldErrors"][field])


def test_missing_required_field_is_named(client, tenants):
    """PM-ERROR-2: "Invalid request body (zod) — { error, details }" — a missing required field is
    named too, and every failing field is listed."""
    response = client.post("/api/v1/intents", json={"objective": "   "}, headers=tenants.pm_headers())
    fields = assert_json_error(response, 400)["details"]["fieldErrors"]
    assert {"title", "objective", "productId"} <= set(fields)


def test_export_errors_are_json(client, tenants):
    """PM-ERROR-3: "422 and 404 bodies are JSON." — and the 400; only the 200 is a file."""
    assert_json_error(client.get("/api/v1/export?format=docx", headers=tenants.pm_headers()), 400)
    missing = client.get(f"/api/v1/export?format=intent-md&intent_id={uuid.uuid4()}", headers=tenants.pm_headers())
    assert_json_error(missing, 404)
    empty_workspace = client.get("/api/v1/export?format=cursorrules", headers=tenants.pm_headers("ws-b"))
    assert_json_error(empty_workspace, 404)
    stub = new_intent(client, tenants, title="TBD", objective="tbd", outcomes=[])
    not_ready = client.get(f"/api/v1/export?format=intent-md&intent_id={stub['id']}", headers=tenants.pm_headers())
    body = assert_json_error(not_ready, 422)
    assert body["readiness"]["isReadyForExecution"] is False
