"""Pathmode operations documented as idempotent answer the same thing twice."""

from __future__ import annotations

import re

API = "/api/v1"
V4_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def check_share_token_is_kept(probe):
    """PM-SHARE-CREATE-1, PM-SHARE-CREATE-2, PM-SHARE-CREATE-3, PM-SHARE-CREATE-4: the existing token again, 200 both times."""
    intent = probe.new_intent()["id"]
    first = probe.call("POST", f"{API}/intents/{intent}/share", probe.auth())
    second = probe.call("POST", f"{API}/intents/{intent}/share", probe.auth(via="session"))
    probe.expect_status(first, 200, "first share")
    probe.expect_status(second, 200, "second share")
    token = probe.json(first).get("token", "")
    probe.expect(bool(V4_UUID.match(token)), f"token {token!r} is not a bare v4 UUID", first)
    probe.expect(probe.json(second).get("token") == token, "a second share minted another token", second)


def check_share_revoke_is_unconditional_and_final(probe):
    """PM-SHARE-REVOKE-1, PM-SHARE-REVOKE-2, PM-SHARE-REVOKE-3: revoking twice is 200 both times, the old link dies, the next share is new.

    The review page shows the intent for a live token and 404 for a revoked one
    (docs/behaviour.md "Pathmode — review page (GET /review/{token})")."""
    intent = probe.new_intent()["id"]
    never = probe.call("DELETE", f"{API}/intents/{intent}/share", probe.auth())
    probe.expect(never.status_code == 200 and probe.json(never) == {"success": True},
                 "revoking a never-shared intent is not 200 {success: true}", never)
    token = probe.require(probe.call("POST", f"{API}/intents/{intent}/share", probe.auth()), 200, "share")["token"]
    page = probe.call("GET", f"/review/{token}")
    probe.expect_status(page, 200, "the review page of a live token")
    for attempt in ("first", "second"):
        revoked = probe.call("DELETE", f"{API}/intents/{intent}/share", probe.auth())
        probe.expect(revoked.status_code == 200 and probe.json(revoked) == {"success": True},
                     f"the {attempt} revocation is not 200 {{success: true}}", revoked)
    probe.expect_status(probe.call("GET", f"/review/{token}"), 404, "the review page of a revoked token")
    again = probe.call("POST", f"{API}/intents/{intent}/share", probe.auth())
    probe.expect(probe.json(again).get("token") not in (None, token), "the share after a revocation reuses the old token",
                 again)


def check_key_revocation_answers_alike(probe):
    """PM-KEYS-REVOKE-1, PM-KEYS-REVOKE-2, PM-KEYS-REVOKE-4: a real, a repeated and an unknown revocation answer the same body."""
    key = probe.new_key()
    answers = [probe.call("DELETE", f"{API}/api-keys", probe.cookie(), {"keyId": key_id})
               for key_id in (key["id"], key["id"], "00000000-0000-4000-8000-000000000000")]
    expected = {"success": True, "message": "API key revoked"}
    for response, which in zip(answers, ("the revocation", "a repeated revocation", "an unknown key"), strict=True):
        probe.expect(response.status_code == 200 and probe.json(response) == expected,
                     f"{which} does not answer 200 {expected}", response)
    listed = probe.call("GET", f"{API}/api-keys", probe.cookie())
    probe.expect(key["id"] not in [k["id"] for k in probe.json(listed).get("keys", [])],
                 "the revoked key is still listed", listed)
    used = probe.call("GET", f"{API}/workspace", probe.bearer(key["key"]))
    probe.expect_status(used, 401, "the revoked key used as a Bearer token")
