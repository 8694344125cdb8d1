"""What a request's database statements cost at the least: the store's part of each goal.

Our server answers each benchmarked request with a handful of SQL statements (the key
lookup, the rate window, the handler's reads or writes). This records them as the server
sends them (connexion's ASGI app in this process, peewee's statement log, the third request
of each operation so that caches are warm), then replays exactly those statements, with
their parameters, on a bare driver connection (``sqlite3`` or psycopg2, opened as the server opens one)
many times over: no connexion, no peewee, no Python of ours between them. A request that
writes replays as one transaction that commits, each time inserting its rows under other
ids (the recorded rows are in the table already), and every later use of such an id follows.

What it prints per operation: the statements, and per request the replay's wall time (what
a request waits at one connection) and this process's CPU time (what the worker spends at
32 connections; on PostgreSQL the database's own work is on its own CPU). The benchmark's
report adds these to the connexion floor: a goal above ``floor + statements`` cannot be
met by any handler inside connexion (``bench.report.store_bounds``).

Run: ``python -m bench.budget --database URL --requests FILE`` (FILE: the benchmark's
requests as JSON); the benchmark runs it in a subprocess after filling its database.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
import uuid
from typing import NamedTuple

WRITES = ("INSERT", "UPDATE", "DELETE")
INSERT_COLUMNS = re.compile(r'INSERT INTO "[^"]+" \(([^)]*)\)')
CONTROL = ("PREPARE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementLog(logging.Handler):
    """peewee logs each statement it sends as ``(sql, params)`` at DEBUG."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []
        self.prepares: list[tuple[str, tuple]] = []  # every PREPARE seen, for the replay's connection

    def emit(self, record):
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            sql, params = record.msg
            self.statements.append((sql, tuple(params or ())))
            self.prepares += [(piece, ()) for piece in sql.split("; ") if piece.startswith("PREPARE")]


def capture(url: str, requests: dict, env: dict) -> tuple[dict[str, list], list]:
    """Each request's statements as our server sends them (its third call), and the
    PostgreSQL ``PREPARE``s its connection made on the way (a replay needs them first)."""
    os.environ.update(env)
    from spec_server import config
    from spec_server.app import create_app

    log = StatementLog()  # from the start: a statement may be PREPAREd as the app starts
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(log)
    peewee_log.setLevel(logging.DEBUG)
    app = create_app(config.Settings.from_env(database_url=url, validate_responses=False))
    found = {}
    with app.test_client() as client:
        for operation, request in requests.items():
            for _ in range(3):
                log.statements.clear()
                response = client.request(request["method"], request["path"], headers=request["headers"],
                                          json=request["body"])
                if response.status_code >= 400:
                    raise RuntimeError(f"{operation}: {response.status_code} {response.text[:300]}")
            found[operation] = list(log.statements)
    peewee_log.removeHandler(log)
    return found, log.prepares


def driver_connection(url: str):
    """A bare driver connection (sqlite3 or psycopg2) opened as the server opens its own
    (``spec_server.db.make_database``: the same pragmas, autocommit, BEGIN and COMMIT sent
    as statements)."""
    from spec_server import db

    database = db.make_database(url)
    database.connect()
    return database.connection()


class Part(NamedTuple):
    """One SQL statement of what the server sent in one round trip (PostgreSQL's are sent
    several at once: ``BEGIN; EXECUTE ...``), with its own parameters."""

    trip: int  # which round trip
    sql: str
    params: tuple
    text: str  # what it runs: the prepared statement's text for an EXECUTE


def parts(statements: list[tuple[str, tuple]], prepares: list[tuple[str, tuple]]) -> list[Part]:
    prepared = {match.group(1): match.group(2) for sql, _ in prepares
                if (match := re.match(r"PREPARE (\S+) AS (.*)", sql, re.S))}
    found = []
    for trip, (sql, params) in enumerate(statements):
        taken = 0
        for piece in sql.split("; "):
            count = piece.count("%s") + piece.count("?")
            executed = re.match(r"EXECUTE (\S+)", piece)
            text = prepared.get(executed.group(1), piece) if executed else piece
            found.append(Part(trip, piece, tuple(params[taken:taken + count]), text))
            taken += count
    return found


def with_other_ids(found: list[Part]) -> list[Part]:
    """The recorded request committed the rows it inserted: the replay inserts them with new
    ids (a fresh set each call), and every later use of an id follows it (an outbox row
    naming the intent)."""
    renamed: dict = {}
    changed = []
    for part in found:
        columns = INSERT_COLUMNS.match(part.text)
        names = [name.strip().strip('"') for name in columns.group(1).split(",")] if columns else []
        params = [renamed.get(value, value) if isinstance(value, str) else value for value in part.params]
        if "id" in names:
            # VALUES: a row after another; INSERT ... SELECT (a guarded insert): one row, then the guard's
            rows = (range(names.index("id"), len(params), len(names)) if " VALUES " in part.text
                    else [names.index("id")])
            for position in rows:
                renamed[params[position]] = params[position] = str(uuid.uuid4())
        changed.append(part._replace(params=tuple(params)))
    return changed


def replay_plan(statements: list[tuple[str, tuple]], prepares: list[tuple[str, tuple]], *,
                together: bool) -> tuple[list, bool]:
    """The round trips to replay, with fresh ids for the rows they insert. A request that
    writes replays as one transaction that commits (its own BEGIN, savepoints and COMMIT, and
    any of a second transaction, are left out: one BEGIN and one COMMIT, at the least).
    ``together`` (PostgreSQL): they ride on the first and last round trip, as the server's do."""
    found = with_other_ids(parts(statements, prepares))
    writes = any(part.text.lstrip().upper().startswith(WRITES) for part in found)
    trips: dict[int, list[Part]] = {}
    for part in found:
        if not part.sql.upper().startswith(CONTROL):
            trips.setdefault(part.trip, []).append(part)
    plan = [("; ".join(part.sql for part in kept), tuple(p for part in kept for p in part.params))
            for kept in trips.values()]
    if not writes:
        return plan, False
    if together:
        plan[0] = (f"BEGIN; {plan[0][0]}", plan[0][1])
        plan[-1] = (f"{plan[-1][0]}; COMMIT", plan[-1][1])
        return plan, True
    return [("BEGIN", ()), *plan, ("COMMIT", ())], True


def replay(url: str, statements: list[tuple[str, tuple]], prepares: list[tuple[str, tuple]],
           seconds: float) -> dict:
    """Wall and CPU microseconds per request, replaying ``statements`` for about ``seconds``
    (a writing request's plans, each with its own ids, are made before they are timed)."""
    postgres = not url.startswith("sqlite")
    connection = driver_connection(url)
    cursor = connection.cursor()
    for sql, params in prepares:
        cursor.execute(sql, params)
    plan, writes = replay_plan(statements, prepares, together=postgres)

    def plans(count: int) -> list[list]:
        return [replay_plan(statements, prepares, together=postgres)[0] for _ in range(count)] if writes \
            else [plan] * count

    def run(batch: list[list]) -> None:
        for each in batch:
            for sql, params in each:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()

    run(plans(50))  # warm the page cache and the plans
    count, wall, cpu = 0, 0.0, 0.0
    while wall < seconds:
        batch = plans(100)
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        run(batch)
        wall, cpu, count = wall + time.perf_counter() - wall_start, cpu + time.process_time() - cpu_start, count + 100
    connection.close()
    return {"wall_us": wall / count * 1e6, "cpu_us": cpu / count * 1e6, "requests": count,
            "round_trips": len(plan) - (2 * writes if not postgres else 0), "committed": writes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--requests", required=True, help="JSON: operation -> {method, path, headers, body}")
    parser.add_argument("--env", default="{}", help="JSON: environment of the server (rate limits)")
    parser.add_argument("--seconds", type=float, default=2.0, help="replay time per operation")
    args = parser.parse_args(argv)
    with open(args.requests) as handle:
        requests = json.load(handle)
    captured, prepares = capture(args.database, requests, json.loads(args.env))
    from spec_server import db

    db.database.close()  # the replay has the database to itself
    result = {}
    for operation, statements in captured.items():
        costs = replay(args.database, statements, prepares, args.seconds)
        result[operation] = {**costs, "statements": [sql for sql, _ in statements]}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
