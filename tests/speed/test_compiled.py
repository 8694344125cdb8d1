"""spec_server.compiled: statements compiled once give what peewee's own queries give."""

from __future__ import annotations

import peewee
import pytest

from handlers.pathmode.store import Intent, Workspace
from spec_server import clock
from spec_server.compiled import Prepared, insert, insert_many
from spec_server.store import OutboxEvent, RateEvent

BY_WORKSPACE = Prepared(lambda ws: Intent.select().where(Intent.workspace == ws).order_by(Intent.title), "workspace")
COUNT_AFTER = Prepared(lambda bucket, after: RateEvent.select(peewee.fn.COUNT(RateEvent.id))
                       .where((RateEvent.bucket == bucket) & (RateEvent.at > after)), "bucket", "after")


@pytest.fixture
def workspace(database, tenants):
    with database.connection_context():
        yield Workspace.get_by_id(tenants.pm_workspace_id())


def make_intent(workspace, title, **fields):
    now = clock.now_ms()
    return insert(Intent, workspace=workspace.id, title=title, objective="o", created_at=now, updated_at=now,
                  **fields)


def test_insert_writes_every_column_with_peeweees_defaults(workspace):
    made = make_intent(workspace, "First", outcomes=[{"id": "o1", "text": "Done"}])
    stored = Intent.get_by_id(made.id)
    assert (stored.title, stored.status, stored.version, stored.outcomes) == ("First", "draft", 1,
                                                                             [{"id": "o1", "text": "Done"}])
    assert (stored.health_metrics, stored.context, stored.scope) == ([], {}, None)  # defaults, null
    assert stored.workspace_id == workspace.id
    # the returned instance reads like the stored row
    assert (made.title, made.status, made.workspace_id, made.outcomes) == ("First", "draft", workspace.id,
                                                                          [{"id": "o1", "text": "Done"}])


def test_insert_refuses_unknown_fields_and_skips_auto_ids(database):
    with database.connection_context():
        with pytest.raises(TypeError, match="no field"):
            insert(OutboxEvent, channel="slack", kind="k", colour="red", created_at=1)
        insert(RateEvent, bucket="b", key="k", at=5)
        insert(RateEvent, bucket="b", key="k", at=6)
        assert [event.id for event in RateEvent.select().order_by(RateEvent.id)] == [1, 2]


def test_prepared_rows_and_instances_match_peewees(workspace):
    for title in ("b", "a", "c"):
        make_intent(workspace, title, constraints=[title])
    expected = list(Intent.select().where(Intent.workspace == workspace.id).order_by(Intent.title))
    plain = BY_WORKSPACE.rows(workspace=workspace.id)
    assert [(row.title, row.constraints, row.workspace_id) for row in plain] == [
        (intent.title, intent.constraints, intent.workspace_id) for intent in expected]
    first = BY_WORKSPACE.instance(workspace=workspace.id)
    assert isinstance(first, Intent) and first.__data__ == expected[0].__data__
    assert first.workspace.id == workspace.id  # relations still load
    assert BY_WORKSPACE.instance(workspace="nobody") is None


def test_placeholders_bind_numbers_and_each_call_binds_afresh(database):
    with database.connection_context():
        for at in (10, 20, 30):
            insert(RateEvent, bucket="b", key="k", at=at)
        assert COUNT_AFTER.scalar(bucket="b", after=15) == 2
        assert COUNT_AFTER.scalar(bucket="b", after=0) == 3
        assert COUNT_AFTER.scalar(bucket="other", after=0) == 0


def test_a_placeholder_the_query_does_not_bind_is_refused(database):
    broken = Prepared(lambda ws: Intent.select().where(Intent.title == "constant"), "workspace")
    with database.connection_context(), pytest.raises(ValueError, match="not bound"):
        broken.rows(workspace="x")


def test_a_placeholder_may_appear_more_than_once(database):
    between = Prepared(lambda edge: RateEvent.select(peewee.fn.COUNT(RateEvent.id))
                       .where((RateEvent.at >= edge) & (RateEvent.at <= edge)), "edge")
    with database.connection_context():
        for at in (10, 20, 30):
            insert(RateEvent, bucket="b", key="k", at=at)
        assert between.scalar(edge=20) == 1
        assert between.scalar(edge=25) == 0


def test_insert_many_writes_every_row_in_one_statement_with_defaults(database):
    with database.connection_context():
        made = insert_many(OutboxEvent, [
            {"channel": "slack", "kind": "a", "subject_id": "s1", "payload": {"n": 1}, "created_at": 5},
            {"channel": "analytics", "kind": "b", "subject_id": None, "created_at": 6},
        ])
        stored = {event.id: event for event in OutboxEvent.select()}
        assert [(m.channel, m.payload) for m in made] == [("slack", {"n": 1}), ("analytics", {})]
        assert [(stored[m.id].kind, stored[m.id].subject_id, stored[m.id].payload, stored[m.id].delivered_at)
                for m in made] == [("a", "s1", {"n": 1}, None), ("b", None, {}, None)]
        assert insert_many(OutboxEvent, []) == []
        with pytest.raises(TypeError, match="no field"):
            insert_many(OutboxEvent, [{"channel": "slack", "kind": "k", "created_at": 1, "colour": "red"}])


def test_ordered_ids_are_uuids_that_sort_by_creation_time(monkeypatch):
    import time
    import uuid

    from spec_server import db

    clock_ns = iter([1_700_000_000_000 * 1_000_000 + step * 1_000_000 for step in range(50)])
    monkeypatch.setattr(time, "time_ns", lambda: next(clock_ns))
    made = [db.ordered_id() for _ in range(50)]  # one per millisecond
    assert made == sorted(made) and len(set(made)) == 50
    parsed = uuid.UUID(made[0])
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert int(made[0].replace("-", "")[:12], 16) == 1_700_000_000_000  # the milliseconds lead
    monkeypatch.undo()
    assert len({db.ordered_id() for _ in range(1000)}) == 1000  # random within one millisecond


def test_execute_after_sends_both_statements_and_answers_for_the_query(database):
    """PostgreSQL's one-round-trip form (the rate window's lock and admission)."""
    from spec_server import db

    if not db.is_postgres():
        pytest.skip("PostgreSQL only: SQLite takes its writers' turn instead")
    with database.connection_context():
        for at in (10, 20, 30):
            insert(RateEvent, bucket="b", key="k", at=at)
        cursor = COUNT_AFTER.execute_after("SELECT set_config('spec_server.probe', %s, false)", ("ran",),
                                           bucket="b", after=15)
        assert cursor.fetchone()[0] == 2
        assert database.execute_sql("SELECT current_setting('spec_server.probe')").fetchone()[0] == "ran"


def test_a_joined_query_reads_one_instance_per_model_and_none_for_a_missing_outer_row(workspace):
    """The API-key lookup brings the key's workspace and its user's membership in the same
    query (one round trip)."""
    from handlers.pathmode._api import KEY_BY_DIGEST
    from handlers.pathmode.store import ApiKey, Membership

    stored = ApiKey.select().where(ApiKey.workspace == workspace.id).first()
    key, found, membership = KEY_BY_DIGEST.instances(digest=stored.key_digest)
    assert isinstance(key, ApiKey) and key.__data__ == ApiKey.get_by_id(stored.id).__data__
    assert isinstance(found, Workspace) and found.__data__ == Workspace.get_by_id(workspace.id).__data__
    assert isinstance(membership, Membership) and membership.user_id == stored.user_id
    Membership.delete().where(Membership.id == membership.id).execute()  # the user left: no membership row
    assert KEY_BY_DIGEST.instances(digest=stored.key_digest)[2] is None
    assert KEY_BY_DIGEST.instances(digest="no such digest") is None
    # nothing on the outer side of the join: the first model still reads, the other is None
    orphan = Prepared(lambda ws: Intent.select(Intent, Workspace)
                      .join(Workspace, peewee.JOIN.LEFT_OUTER, on=(Intent.title == Workspace.id))
                      .where(Intent.workspace == ws), "workspace", joined=(Workspace,))
    make_intent(workspace, "no workspace has this id as its title")
    intent, none = orphan.instances(workspace=workspace.id)
    assert (intent.title, none) == ("no workspace has this id as its title", None)


def test_a_joined_query_must_select_every_column_of_each_model(database):
    partial = Prepared(lambda ws: Intent.select(Intent, Workspace.name).join(Workspace)
                       .where(Intent.workspace == ws), "workspace", joined=(Workspace,))
    with database.connection_context(), pytest.raises(ValueError, match="every column"):
        partial.instances(workspace="x")


def test_an_insert_only_if_a_row_exists_checks_it_in_the_same_statement(workspace):
    """The create's product check travels with its insert (one round trip fewer)."""
    from handlers.pathmode.store import Product

    product = Product.select().where(Product.workspace == workspace.id).first()
    made = make_intent(workspace, "guarded", product=product.id,
                       only_if_row=(Product, {"id": product.id, "workspace": workspace.id}))
    assert made.title == "guarded" and Intent.get_by_id(made.id).product_id == product.id
    for wrong in ({"id": product.id, "workspace": "another workspace"}, {"id": "no such product", "workspace": workspace.id}):
        assert make_intent(workspace, "refused", product=product.id, only_if_row=(Product, wrong)) is None
    assert Intent.select().where(Intent.title == "refused").count() == 0
