"""Fewer round trips to PostgreSQL, same transactions: a BEGIN that travels with the first
statement, and ``db.execute_alone`` (a failed statement undoes itself, the transaction goes on).
Both run on SQLite too, where they change nothing."""

from __future__ import annotations

import peewee
import pytest

from spec_server import db
from spec_server.store import RateEvent


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
