"""Findings are never lost under concurrent writes (the original's read-modify-write append is)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support import new_intent

WRITES = 50


def test_concurrent_posts_keep_every_finding(client, tenants):
    """PM-FINDINGS-CREATE-9: "Findings are stored as a read-modify-write append" — ours must not lose
    any: 50 concurrent POSTs all answer 201 and all 50 are listed afterwards."""
    intent = new_intent(client, tenants)
    url = f"/api/v1/intents/{intent['id']}/findings"
    headers = tenants.pm_headers()

    def post(n: int):
        return client.post(url, json={"assumption": f"a{n}", "finding": f"f{n}"}, headers=headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(post, range(WRITES)))
    assert [r.status_code for r in responses] == [201] * WRITES
    listed = client.get(url, headers=headers).json()
    assert listed["count"] == WRITES
    assert {f["finding"] for f in listed["findings"]} == {f"f{n}" for n in range(WRITES)}
    assert len({f["id"] for f in listed["findings"]}) == WRITES
    assert max(r.json()["openCount"] for r in responses) == WRITES
