"""Fixtures: one app for the session, a fresh database for every test.

The app is stateless (every state lives in the database behind ``spec_server.db.database``),
so each test rebinds that proxy to a brand-new SQLite file, or, with
``TEST_DATABASE_URL=postgresql://...``, to one PostgreSQL database whose tables are
truncated before the test.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

from spec_server import clock, config, db, migrations
from spec_server.app import create_app
from tests.support import Tenants, seed_tenants

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('boot')}/boot.sqlite3"
    return create_app(config.Settings.from_env(database_url=url, validate_responses=True))


def _truncate_all() -> None:
    # the job queue's huey_* tables too: a job left queued by one test is not the next test's
    queue = [name for name in db.database.get_tables() if name.startswith("huey_")]
    tables = ", ".join([*(model._meta.table_name for model in migrations.all_models()), *queue])
    db.database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def database(app, tmp_path):
    """A fresh, migrated database bound for this test."""
    if PG_URL:
        db.open_database(PG_URL)
        migrations.migrate()
        with db.database.connection_context():
            _truncate_all()
    else:
        db.open_database(f"sqlite:///{tmp_path}/test.sqlite3")
        migrations.migrate()
    yield db.database
    if not db.database.is_closed():
        db.database.close()


@pytest.fixture
def settings(app):
    """The live settings; a test may lower limits, the fixture restores them."""
    current = config.settings()
    saved = (dict(current.rate_limits), defaultdict(dict, {k: dict(v) for k, v in current.plan_limits.items()}),
             current.faults)
    yield current
    current.rate_limits, current.plan_limits, current.faults = saved[0], saved[1], saved[2]
    clock.reset()


@pytest.fixture
def client(app, database, settings):
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def tenants(database) -> Tenants:
    """Two tenants in each API, with a member of every role (see tests/support.py)."""
    return seed_tenants()
