"""Pathmode rate limits: x-rateLimit buckets, sliding windows in the database, 429 + Retry-After."""

from __future__ import annotations

from spec_server import clock
from tests.pathmode._part1 import assert_error, new_key, product_of, random_id
from tests.support import new_intent


def general_write(client, tenants, intent_id, kind: str, key: str = "rw"):
    """One request of the general bucket, of the given kind."""
    headers = tenants.pm_headers(name=key)
    if kind == "note":
        return client.post(f"/api/v1/intents/{intent_id}/notes", json={"note": "n"}, headers=headers)
    if kind == "finding":
        return client.post(f"/api/v1/intents/{intent_id}/findings", json={"assumption": "a", "finding": "f"},
                           headers=headers)
    if kind == "link":
        return client.post(f"/api/v1/intents/{intent_id}/evidence", json={"link": [random_id()]}, headers=headers)
    return client.post("/api/v1/evidence", json={"content": "c", "type": "quote",
                                                 "productId": product_of(tenants, "ws-a")}, headers=headers)


def create_intent(client, tenants, key="rw"):
    body = {"title": "t", "objective": "o", "productId": product_of(tenants, "ws-a")}
    return client.post("/api/v1/intents", json=body, headers=tenants.pm_headers(name=key))


def assert_429(response) -> int:
    """PM-RATE-5 shape: application/json {error: string} and a positive integer Retry-After."""
    body = assert_error(response, 429)
    assert set(body) == {"error"}
    assert response.headers["content-type"].startswith("application/json")
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) > 0
    return int(retry_after)


def test_intents_bucket_per_user(client, tenants, settings):
    """PM-RATE-1: "intents 200/h" (lowered to 2) — per user: another user of the workspace is unaffected."""
    settings.rate_limits["intents"] = (2, 3600)
    assert [create_intent(client, tenants).status_code for _ in range(2)] == [201, 201]
    assert_429(create_intent(client, tenants))
    assert create_intent(client, tenants, key="editor").status_code == 201


def test_general_bucket_shared_by_its_operations(client, tenants, settings):
    """PM-RATE-2: "Rate-limited by the 'general' bucket (300/h sliding window, keyed user:<userId> or
    ip:<ip>)." — notes, findings, evidence-link and evidence-create spend one budget."""
    intent = new_intent(client, tenants)
    settings.rate_limits["general"] = (4, 3600)
    kinds = ["note", "finding", "link", "evidence"]
    assert [general_write(client, tenants, intent["id"], kind).status_code for kind in kinds] == [201, 201, 200, 201]
    for kind in kinds:
        assert_429(general_write(client, tenants, intent["id"], kind))


def test_keyed_by_user_not_by_key(client, tenants, settings):
    """PM-RATE-3: "keyed user:<userId> or ip:<ip>" — two keys of one user share a budget."""
    intent = new_intent(client, tenants)
    settings.rate_limits["general"] = (2, 3600)
    assert general_write(client, tenants, intent["id"], "note", key="rw").status_code == 201
    assert general_write(client, tenants, intent["id"], "note", key="write").status_code == 201  # same owner
    assert_429(general_write(client, tenants, intent["id"], "note", key="rw"))
    assert general_write(client, tenants, intent["id"], "note", key="editor").status_code == 201


def test_sliding_window(client, tenants, settings):
    """PM-RATE-4: "sliding window" — requests come back one by one as they leave the trailing hour,
    and Retry-After says exactly when."""
    intent = new_intent(client, tenants)
    settings.rate_limits["general"] = (3, 3600)
    for _ in range(3):
        assert general_write(client, tenants, intent["id"], "note").status_code == 201
        clock.advance(1200)  # requests at t=0, 1200, 2400; now t=3600
    clock.advance(-1)  # t=3599: all three still inside the window
    assert 1 <= assert_429(general_write(client, tenants, intent["id"], "note")) <= 2
    clock.advance(2)  # t=3601: the first request has left the window, only it
    assert general_write(client, tenants, intent["id"], "note").status_code == 201
    retry_after = assert_429(general_write(client, tenants, intent["id"], "note"))
    assert 1195 <= retry_after <= 1200  # the t=1200 request leaves at t=4800
    clock.advance(retry_after)
    assert general_write(client, tenants, intent["id"], "note").status_code == 201


def test_429_shape_for_intents_and_general(client, tenants, settings):
    """PM-RATE-5: "{ error } with Retry-After header" (intents and general buckets; analyze-codebase
    is covered with its own operation)."""
    intent = new_intent(client, tenants)
    settings.rate_limits["intents"] = (0, 3600)
    settings.rate_limits["general"] = (0, 3600)
    assert_429(create_intent(client, tenants))
    for kind in ("note", "finding", "link", "evidence"):
        assert_429(general_write(client, tenants, intent["id"], kind))


def test_intents_and_general_are_separate(client, tenants, settings):
    """PM-RATE-6: "intents 200/h" — a bucket of its own."""
    intent = new_intent(client, tenants)
    settings.rate_limits["general"] = (1, 3600)
    general_write(client, tenants, intent["id"], "note")
    assert_429(general_write(client, tenants, intent["id"], "note"))
    assert create_intent(client, tenants).status_code == 201
    settings.rate_limits["general"] = (300, 3600)
    settings.rate_limits["intents"] = (1, 3600)
    assert_error(create_intent(client, tenants), 429)
    assert general_write(client, tenants, intent["id"], "note").status_code == 201


def test_api_key_writes_share_a_budget(client, tenants, settings):
    """PM-RATE-7: "apiKeysWrite 20/h" (lowered to 4) — POST and DELETE spend one budget."""
    settings.rate_limits["apiKeysWrite"] = (4, 3600)
    keys = [new_key(client, tenants, name=f"k{n}") for n in range(2)]
    for key in keys:
        response = client.request("DELETE", "/api/v1/api-keys", json={"keyId": key["id"]}, cookies=tenants.pm_session())
        assert response.status_code == 200
    body = {"name": "x", "workspaceId": tenants.pm_workspace_id()}
    assert_error(client.post("/api/v1/api-keys", json=body, cookies=tenants.pm_session()), 429)
    assert_error(client.request("DELETE", "/api/v1/api-keys", json={"keyId": "x"}, cookies=tenants.pm_session()), 429)


def test_api_key_read_and_write_separate(client, tenants, settings):
    """PM-RATE-8: "apiKeysRead 120/h" — separate from apiKeysWrite, both ways."""
    settings.rate_limits["apiKeysRead"] = (1, 3600)
    assert client.get("/api/v1/api-keys", cookies=tenants.pm_session()).status_code == 200
    assert_error(client.get("/api/v1/api-keys", cookies=tenants.pm_session()), 429)
    new_key(client, tenants)
    settings.rate_limits["apiKeysRead"] = (120, 3600)
    settings.rate_limits["apiKeysWrite"] = (0, 3600)
    assert_error(client.post("/api/v1/api-keys", json={"name": "x", "workspaceId": tenants.pm_workspace_id()},
                             cookies=tenants.pm_session()), 429)
    assert client.get("/api/v1/api-keys", cookies=tenants.pm_session()).status_code == 200


def test_unlimited_operations_never_429(client, tenants, settings):
    """PM-RATE-10: "none" — with every bucket exhausted, the operations without a limit still answer."""
    intent = new_intent(client, tenants)
    for bucket in ("intents", "general", "apiKeysRead", "apiKeysWrite"):
        settings.rate_limits[bucket] = (0, 3600)
    headers, base = tenants.pm_headers(), f"/api/v1/intents/{intent['id']}"
    session = tenants.pm_session()
    calls = [
        lambda: client.get("/api/v1/intents", headers=headers),
        lambda: client.get(base, headers=headers),
        lambda: client.patch(base, json={"title": "again"}, headers=headers),
        lambda: client.patch(f"{base}/status", json={"status": "validated"}, headers=headers),
        lambda: client.get(f"{base}/notes", headers=headers),
        lambda: client.get(f"{base}/findings", headers=headers),
        lambda: client.post(f"{base}/share", headers=headers),
        lambda: client.delete(f"{base}/share", headers=headers),
        lambda: client.get(f"{base}/outcomes", cookies=session),
        lambda: client.post(f"{base}/outcomes", json={"outcomeIndex": 0, "outcomeText": "t", "actualValue": "1"},
                            cookies=session),
        lambda: client.get("/api/v1/evidence", headers=headers),
        lambda: client.get("/api/v1/workspace", headers=headers),
        lambda: client.get("/api/v1/workspace/constitution", headers=headers),
    ]
    for _ in range(3):
        statuses = [call().status_code for call in calls]
        assert 429 not in statuses, statuses
