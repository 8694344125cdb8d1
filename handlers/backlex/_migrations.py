"""backlex's parts of the schema migration steps (the procedure: ``spec_server.migrations``)."""

from __future__ import annotations

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


MIGRATIONS = (
    Step(5, "domains claimed by verification", _domains_claimed_by_verification),
)
