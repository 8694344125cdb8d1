"""backlex's parts of the schema migration steps (the procedure: ``spec_server.migrations``)."""

from __future__ import annotations

import peewee
from playhouse.migrate import migrate as run_operations

from handlers.backlex._queue import QueuedJob, eta_ms
from spec_server.db import database
from spec_server.migrations import Step


def _domains_claimed_by_verification(_migrator) -> None:
    """A hostname is no longer unique across orgs (a pending claim blocked
    every other org for ever); only a verified one is (a partial unique index). Stored
    hostnames are normalised (lower case, no trailing dot) as new ones are."""
    from handlers.backlex.store import Domain

    if Domain._meta.table_name not in database.get_tables():
        return  # a schema from before domains: the catch-up creates the table as it is now
    database.execute_sql("DROP INDEX IF EXISTS bx_domain_hostname")  # the unique one
    database.execute_sql("UPDATE bx_domain SET hostname = lower(rtrim(hostname, '.'))")
    database.create_tables([Domain], safe=True)  # the plain and the partial unique index


LEASE_COLUMNS = {
    "run_at": peewee.BigIntegerField(default=0),
    "lease_until": peewee.BigIntegerField(null=True),
    "claim_token": peewee.CharField(null=True),
    "claims": peewee.IntegerField(default=0),
    "tenant": peewee.CharField(null=True),
    "job_key": peewee.CharField(null=True),
}


def _leased_job_queue(migrator) -> None:
    """huey's queue as the previous release made it (``huey_task``, ``huey_schedule``,
    ``huey_kv``, ``huey_counter``) becomes one leased table: ``huey_task`` gains its lease
    columns, and the delayed jobs of ``huey_schedule`` become its rows with their ``run_at``
    (huey stored each time through a local-time ``TimestampField``). Results, revocations and
    locks were never used: their tables go. A database without the queue gets it whole at the
    end of the migration (``prepare_store``)."""
    tables = set(database.get_tables())
    if "huey_task" not in tables:
        return
    have = {column.name for column in database.get_columns("huey_task")}
    for name, column in LEASE_COLUMNS.items():
        if name not in have:
            run_operations(migrator.add_column("huey_task", name, column))
    QueuedJob.create_table(safe=True)  # the claim and subject indexes
    if "huey_schedule" in tables:
        stored_as = peewee.TimestampField(resolution=1000)  # huey's Schedule.timestamp
        delayed = database.execute_sql("SELECT queue, data, timestamp FROM huey_schedule").fetchall()
        for queue, data, timestamp in delayed:
            QueuedJob.insert(queue=queue, data=bytes(data), run_at=eta_ms(stored_as.python_value(timestamp))).execute()
    for table in ("huey_schedule", "huey_kv", "huey_counter"):
        if table in tables:
            database.execute_sql(f"DROP TABLE {table}")


MIGRATIONS = (
    Step(5, "domains claimed by verification", _domains_claimed_by_verification),
    Step(6, "leased job queue", _leased_job_queue),
)
