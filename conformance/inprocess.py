"""The in-process target: the connexion app on a fresh database, seeded for the suite with
each served API's part (its plugin's ``inprocess_seed``).

SQLite by default (a new file per target); with ``TEST_DATABASE_URL=postgresql://...`` the
suite runs on that PostgreSQL database, emptied before each target is seeded."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from pathlib import Path

from conformance import plugin as plugins
from conformance.target import Target
from spec_server import config, db, migrations, ratelimit, seeding
from spec_server.app import create_app

# the suite sends far more requests than the documented per-user hourly limits allow
UNLIMITED = (1_000_000_000, 3600)


def sample_repository() -> str:
    """A small git repository on this machine (one per process), for a plugin whose API reads
    code in-process (Pathmode's analyze-codebase; a remote deployment binds its own)."""
    global _repository
    if _repository is None:
        folder = Path(tempfile.mkdtemp(prefix="conformance-repo-"))
        (folder / "src").mkdir()
        (folder / "src" / "checkout.py").write_text("def submit_order(cart):\n    return cart.total()\n")
        (folder / "tests").mkdir()
        (folder / "tests" / "test_checkout.py").write_text("def test_submit_order():\n    assert True\n")
        git = ["git", "-C", str(folder), "-c", "user.email=suite@example.com", "-c", "user.name=suite"]
        for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "sample"]):
            subprocess.run([*git, *command], check=True, capture_output=True)
        _repository = str(folder)
    return _repository


_repository: str | None = None


def build(database_url: str, faults: frozenset[str] = frozenset()):
    """A fresh app over ``database_url`` with every served API's conformance seed; returns (app, target)."""
    settings = config.Settings.from_env(database_url=database_url, validate_responses=True, faults=faults)
    settings.rate_limits = {bucket: UNLIMITED for bucket in ratelimit.buckets()}
    app = create_app(settings)
    with db.database.connection_context():
        if db.is_postgres():
            tables = ", ".join(model._meta.table_name for model in migrations.all_models())
            db.database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        credentials = seeding.seed({plugin.name: plugin.inprocess_seed() for plugin in plugins.served()})
    return app, Target(credentials=credentials, app=app, lift_raised_limit=_lifter(settings))


def _lifter(settings):
    @contextlib.contextmanager
    def lift(bucket: str):
        """The bucket's own limit (RATE_LIMITS from the environment, else what the API states)
        for the duration of a boundary check, the raised one again afterwards."""
        raised = settings.rate_limits.pop(bucket, None)
        own = config.Settings.from_env().rate_limits
        if bucket in own or "*" in own:
            settings.rate_limits[bucket] = own.get(bucket, own.get("*"))
        try:
            yield
        finally:
            settings.rate_limits.pop(bucket, None)
            if raised is not None:
                settings.rate_limits[bucket] = raised

    return lift
