"""psycopg 3's automatic prepared statements against ``spec_server.compiled``'s PREPARE by hand.

``compiled.execute_prepared`` sends ``PREPARE`` once per connection and ``EXECUTE`` after it,
through psycopg2. psycopg 3 prepares a statement by itself once it has run
``prepare_threshold`` times (server-side binding). This runs the two statements every
Pathmode read makes (the API key with its workspace and membership; the 20-intent list with
its relations) through each way, one connection each, and prints per query: the wall time
(a round trip), the client's CPU, and the PostgreSQL backend's CPU. It also tries the one
query a rate-limited request sends (the key's advisory lock and the admission together),
which needs several statements in one round trip.

Run: ``scripts/with-postgres.sh .venv/bin/python -m bench.drivers`` (needs ``psycopg``,
``pip install 'psycopg[binary]'``; it is not a dependency of the server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.benchmark import BENCH_SEED, ROOT, fresh_postgres_database
from bench.cpu import TICK

QUERIES = 3000


def backend_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def statements(url: str) -> dict:
    """The SQL (psycopg ``%s`` form) and parameters of the two hot reads, from the app's own
    compiled statements, on a seeded database with 20 intents in the read workspace."""
    from handlers.pathmode import _api, _intents
    from handlers.pathmode.store import ApiKey, Intent
    from spec_server import clock, credentials, db, migrations, seeding

    db.open_database(url)
    migrations.migrate()
    with db.database.connection_context():
        created = seeding.seed(BENCH_SEED)
        reads = created["pathmode"]["workspaces"]["reads"]
        key = ApiKey.get(ApiKey.key_digest == credentials.digest(reads["apiKeys"]["bench"]))
        now = clock.now_ms()
        Intent.insert_many([dict(id=db.ordered_id(), workspace=key.workspace_id, title=f"intent {n}", objective="o",
                                 outcomes=[], created_at=now + n, updated_at=now + n) for n in range(20)]).execute()
        found = {}
        for name, prepared, values in (("api key", _api.KEY_BY_DIGEST, {"digest": key.key_digest}),
                                       ("intent list", _intents.LIST_IN_WORKSPACE, {"workspace": key.workspace_id})):
            compiled, bound = prepared._bound(values)
            per_call = [value for value, constant in zip(bound, compiled.written, strict=True) if not constant]
            found[name] = {"sql": compiled.sql, "params": bound, "prepared_text": compiled.prepared_text,
                           "per_call": per_call}
    db.database.close()
    return found


def measure(run, backend_pid: int) -> tuple[float, float, float]:
    """(wall, client CPU, backend CPU) in µs per query, after a warm-up of 50."""
    for _ in range(50):
        run()
    backend, cpu, wall = backend_seconds(backend_pid), time.process_time(), time.perf_counter()
    for _ in range(QUERIES):
        run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    backend = backend_seconds(backend_pid) - backend
    return wall / QUERIES * 1e6, cpu / QUERIES * 1e6, backend / QUERIES * 1e6


def psycopg2_ways(url: str, query: dict) -> dict:
    import psycopg2

    results = {}
    with psycopg2.connect(url) as connection:
        connection.autocommit = True
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

        def text():
            cursor.execute(query["sql"], query["params"])
            cursor.fetchall()

        results["psycopg2, text (parsed and planned each time)"] = measure(text, pid)
        cursor.execute(f"PREPARE hot AS {query['prepared_text']}")
        marks = ", ".join(["%s"] * len(query["per_call"]))

        def by_hand():
            cursor.execute(f"EXECUTE hot ({marks})", query["per_call"])
            cursor.fetchall()

        results["psycopg2, PREPARE once + EXECUTE (compiled.py)"] = measure(by_hand, pid)
    return results


def psycopg3_ways(url: str, query: dict) -> dict:
    import psycopg

    results = {}
    for label, threshold in (("psycopg 3, prepare_threshold=5 (its default)", 5),
                             ("psycopg 3, prepare_threshold=None (never)", None)):
        with psycopg.connect(url, autocommit=True, prepare_threshold=threshold) as connection:
            pid = connection.info.backend_pid
            cursor = connection.cursor()

            def server_side(cursor=cursor):
                cursor.execute(query["sql"], query["params"])
                cursor.fetchall()

            results[label] = measure(server_side, pid)
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = psycopg.ClientCursor(connection)

        def client_side():
            cursor.execute(query["sql"], query["params"])
            cursor.fetchall()

        results["psycopg 3, ClientCursor (client-side binding, never prepared)"] = measure(
            client_side, connection.info.backend_pid)
    return results


def several_statements(url: str) -> str:
    """What psycopg 3's server-side binding says to the rate window's one round trip."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        try:
            connection.execute("SELECT pg_advisory_xact_lock(%s); SELECT %s::int", (1, 2))
        except psycopg.Error as error:
            return f"refused: {type(error).__name__}: {str(error).strip()}"
    return "accepted"


def main() -> int:
    if not os.environ.get("PG_URL"):
        print("PG_URL is not set: run through scripts/with-postgres.sh", file=sys.stderr)
        return 75
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("psycopg is not installed: pip install 'psycopg[binary]'", file=sys.stderr)
        return 2
    url = fresh_postgres_database(os.environ["PG_URL"], "bench_drivers")
    # the app binds its database once per process: read the statements in a subprocess
    found = json.loads(subprocess.run(
        [sys.executable, "-c", f"import json; from bench.drivers import statements; "
                               f"print(json.dumps(statements({url!r})))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    print(f"{QUERIES} queries per way, one connection, sequential; µs per query")
    for name, query in found.items():
        print(f"\n== {name}")
        print(f"{'way':66} {'wall':>7} {'client':>7} {'backend':>8}")
        for label, (wall, client, backend) in {**psycopg2_ways(url, query), **psycopg3_ways(url, query)}.items():
            print(f"{label:66} {wall:7.1f} {client:7.1f} {backend:8.1f}")
    print("\nThe rate window's lock and admission in one round trip, with psycopg 3's server-side binding:",
          several_statements(url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
