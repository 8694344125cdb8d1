"""Schema migrations, run at every start-up; safe when N workers start at once.

The procedure (``migrate()``), under one cross-process lock (a session advisory lock on
PostgreSQL, an exclusive lock file beside the database on SQLite):

1. ``schema_version`` records every applied step (version, name, applied_at).
2. A fresh database (none of our tables) gets every table of the current models and is
   stamped with the latest version: the steps describe how *old* databases catch up.
   A database from before migrations existed (our tables, no ``schema_version``) has the
   shape of step 1 and is stamped 1.
3. Every step above the recorded version runs in order, each in its own transaction with
   its stamp, so a failing step leaves the database at the previous version.
4. Then the additive catch-up that needs no step (and the job queue's own tables): tables added to a ``MODELS`` tuple are
   created (``create_tables(safe=True)``, which also adds indexes declared since), a model's
   revision triggers are created (``spec_server.revisions``), and
   nullable or defaulted columns added to an existing model are added with
   ``playhouse.migrate``. Renames, type changes and data rewrites need an explicit step.

To change the schema: edit the model, and when the change is not additive append a
``Step`` (the next version) to ``STEPS`` for a shared table, or to the API's
``ApiDefinition.migrations`` for one of its own, that brings an old table to the new shape.

peewee 4's runner (``playhouse.migrations.Runner``: numbered scripts, a history table) was
measured against this (``bench/migration_runners.py``, bench/results/2026-12-01-migration-runners.txt,
SQLite, our steps as its scripts): a fresh database in the same time (128 against 130 ms), an
already current one in 2-4 ms against 100-110 ms here (this also compares every model's
columns and indexes with the database, which the runner never does); but of 4 processes
starting at once on a fresh database only 1 succeeded (``UNIQUE constraint failed:
schema_migration.name``: it takes no lock), where every one must (``--workers N``). Kept; the
schema operations themselves are peewee's (``playhouse.migrate``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator
from playhouse.migrate import migrate as run_operations

from spec_server import apis, clock, revisions, store
from spec_server.db import database, is_postgres, sqlite_file

log = logging.getLogger(__name__)


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField()
    applied_at = peewee.BigIntegerField()

    class Meta:
        database = database
        table_name = "schema_version"


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    apply: Callable[[SchemaMigrator], None]


def all_models() -> tuple:
    """The shared tables and every served API's (``ApiDefinition.models``)."""
    return (*store.MODELS, *(model for api in apis.discover() for model in api.models))


def _baseline(_migrator: SchemaMigrator) -> None:
    """Step 1: the schema as first released (every table of the models of that time)."""
    database.create_tables(all_models(), safe=True)


def _rate_event_sequence(schema_migrator: SchemaMigrator) -> None:
    """Step 3: rate events numbered per (bucket, key) in admission order, and the index that
    finds a key's newest and oldest in-window events. Events already stored are numbered by
    (at, id): their windows carry on as they were."""
    run_operations(schema_migrator.add_column("rate_event", "seq", peewee.BigIntegerField(default=0)))
    database.execute_sql(
        'UPDATE rate_event SET seq = (SELECT COUNT(*) FROM rate_event AS earlier'
        ' WHERE earlier.bucket = rate_event.bucket AND earlier."key" = rate_event."key"'
        ' AND (earlier.at < rate_event.at OR (earlier.at = rate_event.at AND earlier.id <= rate_event.id)))')
    database.execute_sql("DROP INDEX IF EXISTS rate_event_bucket_key_at")
    database.create_tables([store.RateEvent], safe=True)  # the (bucket, key, at, seq) index


def _leaner_write_indexes(_migrator: SchemaMigrator) -> None:
    """Step 4 (with the APIs' parts of it): indexes every create paid for and no query used:
    the outbox's four single-column ones (one ``(channel, created_at)`` replaces them)."""
    for name in ("outbox_event_channel", "outbox_event_kind", "outbox_event_subject_id",
                 "outbox_event_created_at"):
        database.execute_sql(f"DROP INDEX IF EXISTS {name}")
    database.create_tables([store.OutboxEvent], safe=True)  # the (channel, created_at) index


# the shared tables' steps; each API adds its own parts (``ApiDefinition.migrations``)
STEPS: list[Step] = [
    Step(1, "baseline", _baseline),
    Step(3, "rate events numbered per key", _rate_event_sequence),
    Step(4, "leaner indexes on the write path", _leaner_write_indexes),
]


def steps() -> list[Step]:
    """Every step, by version: the shared ones and the served APIs' parts. Versions are one
    sequence for the whole database; parts of one version run together, shared part first,
    in one transaction with one stamp."""
    parts: dict[int, list[Step]] = {}
    for step in [*STEPS, *(step for api in apis.discover() for step in api.migrations)]:
        parts.setdefault(step.version, []).append(step)
    merged = []
    for version, group in sorted(parts.items()):
        if len(group) == 1:
            merged.append(group[0])
        else:
            merged.append(Step(version, group[0].name, _together([part.apply for part in group])))
    return merged


def _together(applies: list[Callable[[SchemaMigrator], None]]) -> Callable[[SchemaMigrator], None]:
    def apply(schema_migrator: SchemaMigrator) -> None:
        for part in applies:
            part(schema_migrator)

    return apply


def latest_version() -> int:
    return max(step.version for step in steps())


def migrator() -> SchemaMigrator:
    return PostgresqlMigrator(database.obj) if is_postgres() else SqliteMigrator(database.obj)


@contextlib.contextmanager
def migration_lock():
    """One migrator at a time across processes (N workers start at once), connected for the
    migration. On SQLite the lock is taken before the connection opens: the first connection
    to a new file switches it to WAL, which needs the file to itself (four processes opening
    a new file at once sometimes failed there with 'database is locked')."""
    if is_postgres():
        with database.connection_context():
            key = int.from_bytes(hashlib.sha256(b"spec-server:migrations").digest()[:8], "big", signed=True)
            database.execute_sql("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                database.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
        return
    path = sqlite_file(database.obj)
    if path is None:
        with database.connection_context():
            yield
        return
    with open(Path(f"{path}.migrate.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with database.connection_context():
                yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def applied_version() -> int | None:
    """The recorded version; None for a database that has never been stamped."""
    found = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return found


def _stamp(step: Step) -> None:
    SchemaVersion.insert(version=step.version, name=step.name, applied_at=clock.now_ms()).on_conflict_ignore().execute()


def _has_tables_of_ours() -> bool:
    existing = set(database.get_tables())
    return any(model._meta.table_name in existing for model in all_models())


def columns_by_table() -> dict[str, set[str]]:
    """Every existing table's column names (one query on PostgreSQL, where each
    ``get_columns`` call costs a catalogue query)."""
    if is_postgres():
        rows = database.execute_sql("SELECT table_name, column_name FROM information_schema.columns"
                                    " WHERE table_schema = current_schema()").fetchall()
        found: dict[str, set[str]] = {}
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        return found
    return {table: {column.name for column in database.get_columns(table)} for table in database.get_tables()}


def add_missing_columns(schema_migrator: SchemaMigrator) -> list[str]:
    """Columns a model gained since its table was created (nullable or with a default)."""
    added = []
    existing = columns_by_table()
    for model in all_models():
        table = model._meta.table_name
        if table not in existing:
            continue
        have = existing[table]
        for field in model._meta.sorted_fields:
            if field.column_name in have:
                continue
            if not field.null and field.default is None:
                raise RuntimeError(f"{table}.{field.column_name} is new, NOT NULL and has no default: "
                                   "write a migration step for it")
            run_operations(schema_migrator.add_column(table, field.column_name, field))
            added.append(f"{table}.{field.column_name}")
    return added


def create_outside_tables() -> None:
    """Tables an API keeps outside its models (a job queue's). Created here, under the lock,
    so that N workers binding them at once find them: concurrent ``CREATE TABLE IF NOT
    EXISTS`` of one table can fail on PostgreSQL."""
    for api in apis.discover():
        if api.prepare_store is not None:
            api.prepare_store(database.obj)


def migrate() -> int:
    """Bring the bound database to the current schema; returns the version it ends at."""
    with migration_lock():
        fresh = not _has_tables_of_ours() and not SchemaVersion.table_exists()
        database.create_tables([SchemaVersion], safe=True)
        version = applied_version()
        if fresh:
            with database.atomic():
                database.create_tables(all_models(), safe=True)
                revisions.ensure_triggers(all_models())
                for step in steps():
                    _stamp(step)
            create_outside_tables()
            return latest_version()
        if version is None:  # tables from before migrations existed: step 1's shape
            _stamp(STEPS[0])
            version = STEPS[0].version
        schema_migrator = migrator()
        for step in steps():
            if step.version <= version:
                continue
            log.info("schema migration %s: %s", step.version, step.name)
            with database.atomic():
                step.apply(schema_migrator)
                _stamp(step)
        with database.atomic():
            database.create_tables(all_models(), safe=True)
            for column in add_missing_columns(schema_migrator):
                log.info("schema: added column %s", column)
            for trigger in revisions.ensure_triggers(all_models()):
                log.info("schema: added trigger %s", trigger)
        create_outside_tables()
        return latest_version()
