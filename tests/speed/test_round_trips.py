"""Fewer round trips to PostgreSQL, same transactions: a BEGIN that travels with the first
statement, and ``db.execute_alone`` (a failed statement undoes itself, the transaction goes on).
Both run on SQLite too, where they change nothing."""

from __future__ import annotations

import peewee
import pytest

from spec_server import db
from spec_server.store import RateEvent
from tests.support import backlex_org, new_intent


def insert_sql(with_id: bool) -> str:
    mark = db.database.param
    if with_id:
        return f'INSERT INTO rate_event (id, bucket, "key", at, seq) VALUES ({mark}, {mark}, {mark}, 1, 1)'
    return f'INSERT INTO rate_event (bucket, "key", at, seq) VALUES ({mark}, {mark}, 1, 1)'


def test_a_failed_statement_is_undone_alone_and_the_transaction_commits(database):
    with database.connection_context():
        with db.database.atomic():
            db.execute_alone(insert_sql(True), (1, "b", "k"))
            with pytest.raises(peewee.IntegrityError):
                db.execute_alone(insert_sql(True), (1, "b", "k"))  # the same id again
            db.execute_alone(insert_sql(True), (2, "b", "k"))  # the transaction goes on (PostgreSQL too)
        assert [event.id for event in RateEvent.select().order_by(RateEvent.id)] == [1, 2]


def test_outside_a_transaction_it_is_a_plain_statement(database):
    with database.connection_context():
        db.execute_alone(insert_sql(False), ("b", "k"))
        assert RateEvent.select().count() == 1


def test_a_transaction_whose_begin_travels_with_its_first_statement_still_rolls_back(database):
    with database.connection_context():
        with pytest.raises(RuntimeError), db.database.atomic():
            db.database.execute_sql(insert_sql(False), ("b", "k"))
            raise RuntimeError("the handler failed")
        assert RateEvent.select().count() == 0
        with db.database.atomic():  # a transaction that ran nothing commits nothing, quietly
            pass
        with db.database.atomic():
            db.database.execute_sql(insert_sql(False), ("b", "k"))
            with db.database.atomic():  # a savepoint inside it
                db.database.execute_sql(insert_sql(False), ("b", "k2"))
        assert sorted(event.key for event in RateEvent.select()) == ["k", "k2"]


def count(key: str) -> int:
    return RateEvent.select().where(RateEvent.key == key).count()


def test_a_side_record_that_fails_is_undone_alone_and_reported_the_change_commits(database):
    """``execute_alone(..., on_failure=...)``: an event about a change never fails the change.
    On PostgreSQL the statement travels with COMMIT, so its failure shows there."""
    failures = []
    with database.connection_context():
        with db.database.atomic():
            db.execute_alone(insert_sql(True), (1, "b", "first"), on_failure=failures.append)
        with db.database.atomic():
            db.database.execute_sql(insert_sql(True), (2, "b", "the change"))
            db.execute_alone(insert_sql(True), (1, "b", "duplicate"), on_failure=failures.append)
        assert [type(error) for error in failures] == [peewee.IntegrityError]
        assert (count("first"), count("the change"), count("duplicate")) == (1, 1, 0)


def test_a_side_record_is_seen_by_later_statements_and_rolls_back_with_its_transaction(database):
    failures = []
    with database.connection_context():
        with db.database.atomic():
            db.execute_alone(insert_sql(False), ("b", "seen"), on_failure=failures.append)
            assert count("seen") == 1  # sent before the statement that reads it
            db.execute_alone(insert_sql(False), ("b", "second"), on_failure=failures.append)
            db.execute_alone(insert_sql(False), ("b", "third"), on_failure=failures.append)
        assert (count("seen"), count("second"), count("third")) == (1, 1, 1)
        with pytest.raises(RuntimeError), db.database.atomic():
            db.execute_alone(insert_sql(False), ("b", "rolled back"), on_failure=failures.append)
            raise RuntimeError("the handler failed")
        with db.database.atomic():
            with pytest.raises(RuntimeError), db.database.atomic():  # a savepoint rolled back
                db.execute_alone(insert_sql(False), ("b", "in a savepoint"), on_failure=failures.append)
                raise RuntimeError("the inner block failed")
        assert (count("rolled back"), count("in a savepoint"), failures) == (0, 0, [])


@pytest.fixture
def postgresql_only():
    if not db.is_postgres():
        pytest.skip("PostgreSQL only: SQLite has no round trips")


def statements_sent(monkeypatch) -> list[str]:
    """From now on, every statement sent to PostgreSQL (one per round trip), in order."""
    sent = []
    real = peewee.PostgresqlDatabase.execute_sql
    monkeypatch.setattr(peewee.PostgresqlDatabase, "execute_sql",
                        lambda self, sql, params=None, *a, **k: sent.append(sql) or real(self, sql, params, *a, **k))
    return sent


def test_on_postgresql_a_side_record_costs_no_round_trip_of_its_own(postgresql_only, database, monkeypatch):
    sent = statements_sent(monkeypatch)
    with database.connection_context():
        with db.database.atomic():
            db.database.execute_sql(insert_sql(False), ("b", "the change"))
            db.execute_alone(insert_sql(False), ("b", "its event"), on_failure=pytest.fail)
        assert len(sent) == 2 and sent[0].startswith("BEGIN; INSERT") and sent[1].endswith("; COMMIT")
        assert (count("the change"), count("its event")) == (1, 1)


def round_trips(monkeypatch, request) -> list[str]:
    """The statements ``request()`` sends to PostgreSQL, once every statement it runs is
    PREPAREd on the connection that answers (each request thread keeps its own)."""
    sent = statements_sent(monkeypatch)
    for _ in range(100):
        sent.clear()
        request()
        mine = [sql for sql in sent if "huey" not in sql]  # the job queue polls on its own connection
        if not any("PREPARE " in sql or "last_used_at" in sql for sql in mine):
            return mine
    pytest.fail(f"still preparing after 100 requests: {mine}")


def test_on_postgresql_a_create_is_four_round_trips(postgresql_only, client, tenants, settings, monkeypatch):
    """Key and workspace, rate window, BEGIN + product-checked insert, events + COMMIT (a plan
    without an intents quota, a key used within the minute, statements already PREPAREd)."""
    settings.plan_limits["pro"]["intents"] = None
    body = {"title": "Speed up onboarding", "objective": "First value in ten minutes",
            "productId": tenants.pm_product_id()}
    headers = tenants.pm_headers("ws-a")
    mine = round_trips(monkeypatch, lambda: client.post("/api/v1/intents", json=body, headers=headers)
                       .raise_for_status())
    assert len(mine) == 4, mine
    assert mine[1].startswith("SELECT pg_advisory_xact_lock(%s); EXECUTE")
    assert mine[2].startswith("BEGIN; EXECUTE spec_server_insert_pm_intent") and mine[3].endswith("; COMMIT")


def test_on_postgresql_a_list_is_two_round_trips(postgresql_only, client, tenants, monkeypatch):
    """Key and workspace, then the intents with their relations in one statement (the
    operation's ``x-rateLimit`` is ``none``: no rate window)."""
    for n in range(3):
        new_intent(client, tenants, title=f"Listed {n}")
    headers = tenants.pm_headers("ws-a")
    mine = round_trips(monkeypatch, lambda: client.get("/api/v1/intents", headers=headers).raise_for_status())
    assert len(mine) == 2, mine


def test_on_postgresql_an_intent_is_two_round_trips(postgresql_only, client, tenants, monkeypatch):
    """Key and workspace, then the intent's revision with its edge cases, evidence and
    relations in one statement (the row itself once per worker and revision; no rate window:
    ``x-rateLimit: none``)."""
    intent = new_intent(client, tenants, edgeCases=[{"scenario": "Offline", "expectedBehavior": "Queue"}])
    headers = tenants.pm_headers("ws-a")
    client.get(f"/api/v1/intents/{intent['id']}", headers=headers).raise_for_status()  # shown once
    mine = round_trips(monkeypatch, lambda: client.get(f"/api/v1/intents/{intent['id']}", headers=headers)
                       .raise_for_status())
    assert len(mine) == 2, mine


def test_on_postgresql_an_org_scoped_list_is_two_round_trips(postgresql_only, client, tenants, monkeypatch):
    """The session, its user, the path's org and the caller's seat in one statement, then the
    org's projects (their ids and revisions: each rendered once per worker and revision)."""
    slug = backlex_org(client, tenants)["slug"]
    cookies = tenants.bx_session()
    client.post(f"/api/org/{slug}/projects", json={"name": "listed"}, cookies=cookies).raise_for_status()
    mine = round_trips(monkeypatch, lambda: client.get(f"/api/org/{slug}/projects", cookies=cookies)
                       .raise_for_status())
    assert len(mine) == 2, mine
