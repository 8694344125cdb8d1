"""GET /api/v1/intents renders each item once per row revision (handlers/pathmode/_intents.py,
``in_workspace``; spec_server/revisions.py): whatever changes a row, through this worker or
behind its back, raises its revision, and the list shows the change."""

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


def test_a_row_changed_by_plain_sql_is_rendered_afresh(client, tenants):
    """No writer can change a row and keep its revision: the database raises it (a trigger)."""
    made = new_intent(client, tenants, title="Before")["id"]
    assert titles_and_relations(client, tenants)[made] == ("Before", [])
    with database.connection_context():
        database.execute_sql(f"UPDATE pm_intent SET title = 'By hand' WHERE id = {database.param}", (made,))
        assert Intent.get_by_id(made).revision == 1
    assert titles_and_relations(client, tenants)[made] == ("By hand", [])


def test_repeated_lists_read_whole_rows_only_for_rows_not_yet_rendered(client, tenants, monkeypatch):
    steady = new_intent(client, tenants, title="Steady")["id"]
    read = []
    whole_rows = _intents._whole_rows
    monkeypatch.setattr(_intents, "_whole_rows", lambda keys: read.append([key[0] for key in keys]) or whole_rows(keys))
    titles_and_relations(client, tenants)
    titles_and_relations(client, tenants)
    changed = new_intent(client, tenants, title="New")["id"]
    assert titles_and_relations(client, tenants) == {steady: ("Steady", []), changed: ("New", [])}
    assert read in ([[steady], [changed]], [[changed]])  # the first list only when another test had not


def shown(client, tenants, intent_id):
    response = client.get(f"/api/v1/intents/{intent_id}", headers=tenants.pm_headers())
    return response.status_code, response.json()


def test_an_intent_by_id_shows_every_change_to_its_row_and_parts_whoever_made_it(client, tenants):
    """GET /intents/{id} keeps its rendering per (id, revision, parts as read): a new title, a
    relation or an edge case written behind this worker's back shows at once, and a deleted
    intent is 404."""
    made = new_intent(client, tenants, title="Before", edgeCases=[{"scenario": "S", "expectedBehavior": "E"}])["id"]
    other = new_intent(client, tenants, title="Other")["id"]
    status, body = shown(client, tenants, made)
    assert (status, body["title"], body["relations"], len(body["edgeCases"])) == (200, "Before", [], 1)
    with database.connection_context():
        database.execute_sql(f"UPDATE pm_intent SET title = 'After' WHERE id = {database.param}", (made,))
    assert shown(client, tenants, made)[1]["title"] == "After"
    with database.connection_context():
        IntentRelation.create(intent=made, target_id=other, type="blocks", position=0)
        database.execute_sql(f"DELETE FROM pm_edge_case WHERE intent_id = {database.param}", (made,))
    status, body = shown(client, tenants, made)
    assert (body["title"], body["relations"], body["edgeCases"]) == ("After", [{"targetId": other, "type": "blocks"}], [])
    with database.connection_context():
        database.execute_sql(f"DELETE FROM pm_intent WHERE id = {database.param}", (made,))
    assert shown(client, tenants, made) == (404, {"error": "Intent not found"})
