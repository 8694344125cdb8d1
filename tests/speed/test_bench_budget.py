"""The benchmark's store bound (bench.budget): a request's statements replayed as the server
sent them, its writes with fresh ids in one committed transaction, and the verdict the
report draws from them."""

from __future__ import annotations

import contextlib
import io
import sqlite3

from bench import budget
from bench.benchmark import Measure
from bench.report import store_bounds

PREPARES = [('PREPARE ins AS INSERT INTO "item" ("id", "owner", "note") VALUES ($1, $2, $3), ($4, $5, $6)', ())]


def test_postgres_round_trips_keep_their_statements_and_lose_the_transaction_control():
    statements = [('SELECT "a" FROM "key" WHERE "digest" = %s', ("d",)),
                  ("BEGIN; EXECUTE ins (%s, %s, %s, %s, %s, %s)", ("i1", "o", "x", "i2", "o", "y")),
                  ("SAVEPOINT s; EXECUTE other (%s); RELEASE SAVEPOINT s; COMMIT", ("i1",))]
    plan, writes = budget.replay_plan(statements, PREPARES, together=True)
    assert writes
    assert [sql for sql, _ in plan] == ['BEGIN; SELECT "a" FROM "key" WHERE "digest" = %s',
                                        "EXECUTE ins (%s, %s, %s, %s, %s, %s)", "EXECUTE other (%s); COMMIT"]
    inserted = plan[1][1]
    assert inserted[0] not in ("i1", "i2") and inserted[3] not in ("i1", "i2", inserted[0])  # both rows' ids
    assert inserted[1:3] == ("o", "x") and inserted[4:] == ("o", "y")  # the other columns as recorded
    assert plan[2][1] == (inserted[0],)  # a later use of the first id follows it


def test_a_read_replays_as_recorded():
    statements = [("SELECT 1 WHERE ? = ?", (1, 1))]
    assert budget.replay_plan(statements, [], together=False) == (statements, False)


def test_a_sqlite_write_replays_committed_under_new_ids(tmp_path):
    path = tmp_path / "t.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute('CREATE TABLE "item" ("id" TEXT PRIMARY KEY, "owner" TEXT)')
        connection.execute("INSERT INTO item VALUES ('i1', 'o')")  # the recorded request committed it
        connection.commit()
    recorded = [('INSERT INTO "item" ("id", "owner") VALUES (?, ?)', ("i1", "o"))]
    costs = budget.replay(f"sqlite:///{path}", recorded, [], 0.05)
    assert costs["committed"] and costs["round_trips"] == 1 and costs["requests"] >= 100
    with contextlib.closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT id, owner FROM item").fetchall()
    assert len(rows) == 1 + 50 + costs["requests"] and len({id_ for id_, _ in rows}) == len(rows)  # each its own id
    assert {owner for _, owner in rows} == {"o"}


def bounds_printed(floor_rps: float, sql_us: float, prism_rps: float) -> str:
    results = {("prism", "GET /api/v1/intents", 1): Measure(prism_rps, 0, 0, 0),
               ("floor", "GET /api/v1/intents", 1): Measure(floor_rps, 0, 0, 0),
               ("ours sqlite 1w", "GET /api/v1/intents", 1): Measure(1000, 0, 0, 0)}
    extra = {"statements": {"sqlite": {"GET /api/v1/intents": {"wall_us": sql_us, "cpu_us": sql_us,
                                                              "round_trips": 2, "committed": False}}}}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        store_bounds(results, extra, [1])
    return printed.getvalue()


def test_a_goal_above_floor_plus_statements_cannot_be_met():
    # goal 1.2 x 2,000 = 2,400 req/s (417 us); floor 250 us + SQL 200 us = 450 us: at most 2,222 req/s
    assert "cannot be met inside connexion" in bounds_printed(4000, 200, 2000)


def test_a_goal_below_the_bound_leaves_time_for_our_python():
    # floor 250 us + SQL 100 us = 350 us of the goal's 417: 67 us left
    assert "67 us left for all our Python" in bounds_printed(4000, 100, 2000)
