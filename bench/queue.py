"""What a lease costs: an empty job through huey's own ``SqlStorage`` (enqueue, then a dequeue
that deletes it) against our ``LeasedStorage`` (enqueue, claim, acknowledge), one thread, on
SQLite and on PostgreSQL; and an idle consumer's poll (a claim that finds nothing).

    .venv/bin/python -m bench.queue [--jobs 500]                 # SQLite
    scripts/with-postgres.sh .venv/bin/python -m bench.queue     # and PostgreSQL ($PG_URL)

The figures are in the docstring of ``handlers/backlex/_queue.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from huey.api import Huey
from huey.contrib.sql_huey import SqlStorage

from handlers.backlex._queue import LeasedHuey, LeasedStorage
from spec_server import db


class HueyTables(SqlStorage):
    """huey's SQL storage with its tables renamed, as the queue was before the leases."""

    def create_models(self):
        kv, schedule, task, counter = models = super().create_models()
        for model in models:
            model._meta.set_table_name("bench_" + model._meta.table_name)
        task._meta.indexes = []  # the dequeue index was bound to the old name: add it again
        task.add_index(task.priority.desc(), task.id)
        return models


def per_job_ms(queue: Huey, jobs: int) -> float:
    started = time.perf_counter()
    with db.connection():
        for _ in range(jobs):
            queue.empty()
            queue.execute(queue.dequeue())
    return (time.perf_counter() - started) * 1000 / jobs


def idle_poll_ms(queue: Huey, polls: int) -> float:
    started = time.perf_counter()
    with db.connection():
        for _ in range(polls):
            assert queue.dequeue() is None
    return (time.perf_counter() - started) * 1000 / polls


def measure(url: str, jobs: int, rounds: int = 3) -> dict[str, float]:
    database = db.open_database(url)
    with db.connection():
        from handlers.backlex._queue import create_tables

        create_tables(database)
    plain = Huey("bench-plain", results=False, storage_class=HueyTables, database=database)
    leased = LeasedHuey("bench-leased", results=False, storage_class=LeasedStorage, per_tenant=2)
    for queue in (plain, leased):
        queue.empty = queue.task(name="empty")(lambda: None)
    figures = {
        "huey SqlStorage, ms a job": statistics.median(per_job_ms(plain, jobs) for _ in range(rounds)),
        "LeasedStorage, ms a job": statistics.median(per_job_ms(leased, jobs) for _ in range(rounds)),
        "huey SqlStorage, ms an idle poll": statistics.median(idle_poll_ms(plain, jobs) for _ in range(rounds)),
        "LeasedStorage, ms an idle poll": statistics.median(idle_poll_ms(leased, jobs) for _ in range(rounds)),
    }
    database.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=500)
    args = parser.parse_args()
    urls = {"SQLite": f"sqlite:///{tempfile.mkdtemp()}/queue.sqlite3"}
    if os.environ.get("PG_URL"):
        urls["PostgreSQL"] = os.environ["PG_URL"]
    for store, url in urls.items():
        for name, value in measure(url, args.jobs).items():
            print(f"{store:10}  {name:34} {value:6.2f}")


if __name__ == "__main__":
    main()
