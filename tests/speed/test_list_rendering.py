"""GET /api/v1/intents renders each item once per stored row (handlers/pathmode/_intents.py,
``listed_intent``); whatever changes a row, through this worker or behind its back, shows."""

from __future__ import annotations

from handlers.pathmode import _intents
from handlers.pathmode.store import Intent, IntentRelation
from spec_server.db import database
from tests.support import new_intent


def titles_and_relations(client, tenants):
    response = client.get("/api/v1/intents", headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    return {item["id"]: (item["title"], item["relations"]) for item in response.json()["intents"]}


def test_a_row_changed_by_another_worker_is_rendered_afresh(client, tenants):
    first = new_intent(client, tenants, title="Before")["id"]
    second = new_intent(client, tenants, title="Other")["id"]
    assert titles_and_relations(client, tenants)[first] == ("Before", [])
    with database.connection_context():  # as another worker would: no request through this one
        Intent.update(title="After").where(Intent.id == first).execute()
        IntentRelation.create(intent=first, target_id=second, type="blocks", position=0)
    assert titles_and_relations(client, tenants) == {first: ("After", [{"targetId": second, "type": "blocks"}]),
                                                     second: ("Other", [])}


def test_repeated_lists_reuse_the_rendering_of_unchanged_rows(client, tenants):
    new_intent(client, tenants, title="Steady")
    titles_and_relations(client, tenants)
    before = _intents.listed_intent.cache_info()
    titles_and_relations(client, tenants)
    after = _intents.listed_intent.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)
