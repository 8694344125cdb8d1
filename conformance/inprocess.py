"""The in-process target: the connexion app on a fresh database, seeded for the suite.

SQLite by default (a new file per target); with ``TEST_DATABASE_URL=postgresql://...`` the
suite runs on that PostgreSQL database, emptied before each target is seeded."""

from __future__ import annotations

from conformance.target import Target, seed_data
from spec_server import clock, config, db, migrations, seeding
from spec_server.app import create_app

# the suite sends far more requests than the documented per-user hourly limits allow
UNLIMITED = (1_000_000_000, 3600)


def build(database_url: str, faults: frozenset[str] = frozenset()):
    """A fresh app over ``database_url`` with the conformance seed; returns (app, target)."""
    settings = config.Settings.from_env(database_url=database_url, validate_responses=True, faults=faults)
    settings.rate_limits = {bucket: UNLIMITED for bucket in settings.rate_limits}
    app = create_app(settings)
    with db.database.connection_context():
        if db.is_postgres():
            tables = ", ".join(model._meta.table_name for model in migrations.all_models())
            db.database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        credentials = seeding.seed(seed_data())
    return app, Target(credentials=credentials, app=app)


def seat_member(org: dict, email: str, role: str) -> None:
    """Seat a backlex member directly (the invitation token is only emailed)."""
    from handlers.backlex.store import Member, User

    with db.database.connection_context():
        user = User.get(User.email == email)
        Member.create(org=org["id"], user=user, email=email, role=role, status="active",
                      created_at=clock.now_ms(), joined_at=clock.now_ms())
