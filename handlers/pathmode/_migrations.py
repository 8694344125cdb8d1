"""Pathmode's parts of the schema migration steps (the procedure: ``spec_server.migrations``)."""

from __future__ import annotations

from spec_server.db import database, is_postgres
from spec_server.migrations import Step


def _outcome_index_double(_migrator) -> None:
    """outcomeIndex holds any finite JSON number; PostgreSQL's REAL overflowed on tiny and huge
    values. SQLite stores both as REAL already."""
    if is_postgres():
        database.execute_sql(
            "ALTER TABLE pm_outcome_measurement ALTER COLUMN outcome_index TYPE double precision")


def _no_intent_workspace_index(_migrator) -> None:
    """The intents' ``workspace_id`` index: ``(workspace_id, updated_at)`` already serves every
    query, and each create paid for one more index page."""
    database.execute_sql("DROP INDEX IF EXISTS pm_intent_workspace_id")


MIGRATIONS = (
    Step(2, "outcome index as double precision", _outcome_index_double),
    Step(4, "leaner indexes on the write path", _no_intent_workspace_index),
)
