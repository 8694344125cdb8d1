"""Start-up migrations: fresh databases, databases of the previous schema, later steps, and
N processes migrating at once — on SQLite and on PostgreSQL (skipped when none is reachable).

``fixtures/schema_v1.*.sql`` is the schema that the server created before migrations existed
(commit 38d022d), dumped from those models; it must never be regenerated from the current ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import peewee
import pytest

from spec_server import db, migrations
from tests.scale.servers import ROOT, database_url, needs_postgres

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = [pytest.param("postgresql", marks=needs_postgres), "sqlite"]


@pytest.fixture(params=KINDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as found:
        yield found
        if not db.database.is_closed():
            db.database.close()
        if db.is_postgres():
            db.database.obj.close_all()


def load_previous_schema(url: str) -> None:
    """Create the v1 tables exactly as the previous release did, and one row of data."""
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    statements = (FIXTURES / f"schema_v1.{kind}.sql").read_text()
    database = db.open_database(url)
    with database.connection_context():
        if kind == "sqlite":
            database.connection().executescript(statements)
        else:
            database.execute_sql(statements)
        database.execute_sql(
            "INSERT INTO pm_user (id, email, name, created_at) VALUES ('u1', 'old@example.com', 'Old', 1)")


def versions() -> list[int]:
    with db.database.connection_context():
        return [row.version for row in migrations.SchemaVersion.select().order_by(migrations.SchemaVersion.version)]


def missing_columns() -> list[str]:
    with db.database.connection_context():
        tables = set(db.database.get_tables())
        missing = []
        for model in migrations.all_models():
            table = model._meta.table_name
            if table not in tables:
                missing.append(table)
                continue
            have = {c.name for c in db.database.get_columns(table)}
            missing += [f"{table}.{f.column_name}" for f in model._meta.sorted_fields if f.column_name not in have]
        return missing


def test_a_fresh_database_gets_every_table_and_the_latest_version(url):
    db.open_database(url)
    assert migrations.migrate() == migrations.latest_version()
    assert versions() == [step.version for step in migrations.steps()]
    assert missing_columns() == []


def test_the_previous_schema_is_brought_to_the_current_one_keeping_its_data(url):
    load_previous_schema(url)
    with db.database.connection_context():
        assert not migrations.SchemaVersion.table_exists()
    migrations.migrate()
    assert versions() == [step.version for step in migrations.steps()]
    assert missing_columns() == []
    from handlers.pathmode.store import User

    with db.database.connection_context():
        assert User.get_by_id("u1").email == "old@example.com"


def revision_after_update(table: str) -> tuple[int, int]:
    """A row of ``table`` inserted without its revision column, then updated twice by plain SQL."""
    mark = db.database.param
    with db.database.connection_context():
        db.database.execute_sql("INSERT INTO pm_workspace (id, name, url_key, tags, settings, plan, flags, created_at)"
                                " VALUES ('wr', 'W', 'wr', '[]', '{}', 'free', '{}', 1)")
        db.database.execute_sql("INSERT INTO pm_intent (id, workspace_id, status, version, title, objective, outcomes,"
                                " health_metrics, context, constraints, verification, external_links,"
                                " evidence_anchors, created_at, updated_at) VALUES ('ir', 'wr', 'draft', 1, 't',"
                                " 'o', '[]', '[]', '{}', '[]', '{}', '[]', '{}', 1, 1)")
        first = db.database.execute_sql(f"SELECT revision FROM {table} WHERE id = 'ir'").fetchone()[0]
        for title in ("a", "b"):
            db.database.execute_sql(f"UPDATE {table} SET title = {mark} WHERE id = 'ir'", (title,))
        return first, db.database.execute_sql(f"SELECT revision FROM {table} WHERE id = 'ir'").fetchone()[0]


@pytest.mark.parametrize("previous", [False, True], ids=["fresh", "previous schema"])
def test_every_revision_column_is_raised_by_the_database_on_update(url, previous):
    """spec_server.revisions: a fresh database and one of the previous schema both get the
    trigger, and the column's default is the table's (an insert that does not name it)."""
    from spec_server import revisions

    if previous:
        load_previous_schema(url)
    else:
        db.open_database(url)
    migrations.migrate()
    tables = [table for table, _column in revisions.revision_columns(migrations.all_models())]
    assert "pm_intent" in tables
    with db.database.connection_context():
        assert revisions.ensure_triggers(migrations.all_models()) == []  # every one is there already
    assert revision_after_update("pm_intent") == (0, 2)


def test_migrating_twice_changes_nothing(url):
    db.open_database(url)
    migrations.migrate()
    first = versions()
    assert migrations.migrate() == migrations.latest_version()
    assert versions() == first


def add_priority_to_notes(migrator):
    from playhouse.migrate import migrate

    migrate(migrator.add_column("pm_note", "priority", peewee.IntegerField(default=3)))


def failing_step(migrator):
    from playhouse.migrate import migrate

    migrate(migrator.add_column("pm_note", "doomed", peewee.IntegerField(null=True)))
    raise RuntimeError("step failed half-way")


def test_a_later_step_runs_once_on_an_older_database_and_a_failing_one_rolls_back(url, monkeypatch):
    load_previous_schema(url)
    migrations.migrate()
    with db.database.connection_context():
        db.database.execute_sql("INSERT INTO pm_workspace (id, name, url_key, tags, settings, plan, flags, created_at)"
                                " VALUES ('w1', 'W', 'w', '[]', '{}', 'free', '{}', 1)")
        db.database.execute_sql("INSERT INTO pm_intent (id, workspace_id, status, version, title, objective, outcomes,"
                                " health_metrics, context, constraints, verification, external_links,"
                                " evidence_anchors, created_at, updated_at) VALUES ('i1', 'w1', 'draft', 1, 't',"
                                " 'o', '[]', '[]', '{}', '[]', '{}', '[]', '{}', 1, 1)")
        db.database.execute_sql("INSERT INTO pm_note (id, intent_id, note, source, created_at)"
                                " VALUES ('n1', 'i1', 'old note', 'manual', 1)")
    latest = migrations.latest_version()
    steps = [*migrations.STEPS, migrations.Step(latest + 1, "note priority", add_priority_to_notes)]
    monkeypatch.setattr(migrations, "STEPS", steps)

    assert migrations.migrate() == latest + 1
    assert migrations.migrate() == latest + 1  # recorded, not run again (a second add_column would fail)
    assert versions()[-1] == latest + 1
    with db.database.connection_context():
        assert db.database.execute_sql("SELECT priority FROM pm_note WHERE id = 'n1'").fetchone() == (3,)

    monkeypatch.setattr(migrations, "STEPS", [*steps, migrations.Step(latest + 2, "broken", failing_step)])
    with pytest.raises(RuntimeError, match="half-way"):
        migrations.migrate()
    assert versions()[-1] == latest + 1
    with db.database.connection_context():
        assert "doomed" not in {c.name for c in db.database.get_columns("pm_note")}


def test_four_processes_starting_at_once_migrate_once(url):
    script = ("import sys; from spec_server import db, migrations; "
              "db.open_database(sys.argv[1]); print(migrations.migrate())")
    processes = [subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in results]
    assert {out.strip() for out, _ in results} == {str(migrations.latest_version())}
    db.open_database(url)
    assert versions() == [step.version for step in migrations.steps()]
    assert missing_columns() == []
    with db.database.connection_context():
        assert "huey_task" in db.database.get_tables()  # the job queue's, created under the lock too


def test_step_2_widens_the_outcome_index_and_keeps_tiny_values(url):
    """Step 2: an outcomeIndex such as 3e-210 (valid JSON, past PostgreSQL's REAL) round-trips
    on a database created by the previous release."""
    load_previous_schema(url)
    migrations.migrate()
    assert versions()[-1] >= 2
    with db.database.connection_context():
        db.database.execute_sql(
            "INSERT INTO pm_workspace (id, name, url_key, tags, settings, plan, flags, created_at)"
            " VALUES ('w2', 'W', 'w2', '[]', '{}', 'free', '{}', 1)")
        db.database.execute_sql(
            "INSERT INTO pm_intent (id, workspace_id, status, version, title, objective, outcomes, health_metrics,"
            " context, constraints, verification, external_links, evidence_anchors, created_at, updated_at)"
            " VALUES ('i2', 'w2', 'draft', 1, 't', 'o', '[]', '[]', '{}', '[]', '{}', '[]', '{}', 1, 1)")
        from handlers.pathmode.store import OutcomeMeasurement

        OutcomeMeasurement.create(id="m1", intent="i2", workspace="w2", outcome_index=3e-210,
                                  outcome_text="t", actual_value="v", measured_at=1)
        assert OutcomeMeasurement.get_by_id("m1").outcome_index == 3e-210


def test_step_3_numbers_stored_rate_events_and_their_windows_carry_on(url, monkeypatch):
    """Step 3: rate events stored by the previous release are numbered per key in time order,
    so a window that was full stays full."""
    from spec_server import clock, config, ratelimit
    from spec_server.errors import RateLimited
    from spec_server.store import RateEvent

    load_previous_schema(url)
    mark = db.database.param
    with db.database.connection_context():
        for key, at in (("user:a", 1000), ("user:b", 1500), ("user:a", 2000), ("user:a", 1500)):
            db.database.execute_sql(f'INSERT INTO rate_event (bucket, "key", at) VALUES ({mark}, {mark}, {mark})',
                                    ("intents", key, at))
    migrations.migrate()
    limits = config.Settings.from_env(rate_limits={"intents": (3, 10)})
    monkeypatch.setattr(ratelimit, "settings", lambda: limits)
    monkeypatch.setattr(clock, "now_ms", lambda: 5000)
    with db.database.connection_context():
        numbered = [(e.key, e.at, e.seq) for e in RateEvent.select().order_by(RateEvent.key, RateEvent.seq)]
        assert numbered == [("user:a", 1000, 1), ("user:a", 1500, 2), ("user:a", 2000, 3), ("user:b", 1500, 1)]
        with pytest.raises(RateLimited):
            ratelimit.hit("intents", "user:a")  # three in the last 10 s already
        ratelimit.hit("intents", "user:b")
        assert RateEvent.get((RateEvent.key == "user:b") & (RateEvent.at == 5000)).seq == 2


def index_names(table: str) -> set[str]:
    with db.database.connection_context():
        return {index.name for index in db.database.get_indexes(table)}


def test_step_4_leaves_the_write_path_one_outbox_index_and_no_redundant_intent_index(url):
    """Step 4: the previous release's single-column outbox indexes and the intents'
    workspace_id index are gone; the indexes the queries use are there."""
    load_previous_schema(url)
    assert {"outbox_event_channel", "outbox_event_kind"} <= index_names("outbox_event")
    migrations.migrate()
    outbox, intents = index_names("outbox_event"), index_names("pm_intent")
    assert "outbox_event_channel_created_at" in outbox
    assert not {"outbox_event_channel", "outbox_event_kind", "outbox_event_subject_id",
                "outbox_event_created_at"} & outbox
    assert "pm_intent_workspace_id" not in intents
    assert {"pm_intent_workspace_id_updated_at", "pm_intent_product_id"} <= intents


def test_step_5_lets_pending_domain_claims_share_a_name_and_normalises_stored_ones(url):
    """Step 5: a database of step 4 (hostname unique across orgs) keeps its domains, spelled
    as new ones are, and a second pending claim of a name can then be stored."""
    db.open_database(url)
    migrations.migrate()
    with db.database.connection_context():
        db.database.execute_sql("DROP INDEX IF EXISTS bx_domain_verified_hostname")
        db.database.execute_sql("DROP INDEX IF EXISTS bx_domain_hostname")
        db.database.execute_sql("CREATE UNIQUE INDEX bx_domain_hostname ON bx_domain (hostname)")
        db.database.execute_sql("DELETE FROM schema_version WHERE version >= 5")
        from handlers.backlex.store import Org, Project

        org = Org.create(slug="o1", name="O", plan_id="free", residency="global", default_region="fra",
                         ip_allowlist=[], status="active", created_at=1)
        Project.create(id="p1", org=org, slug="p", name="P", status="active", region="fra", created_at=1,
                       updated_at=1, live_slug="p")
        db.database.execute_sql(
            "INSERT INTO bx_domain (id, project_id, hostname, status, token, created_at)"
            " VALUES ('d1', 'p1', 'Shop.Example.COM.', 'pending', 't', 1)")
    migrations.migrate()
    assert max(versions()) >= 5
    with db.database.connection_context():
        assert db.database.execute_sql("SELECT hostname FROM bx_domain").fetchall() == [("shop.example.com",)]
        db.database.execute_sql(
            "INSERT INTO bx_domain (id, project_id, hostname, status, token, created_at)"
            " VALUES ('d2', 'p1', 'shop.example.com', 'pending', 't2', 2)")
    assert "bx_domain_verified_hostname" in index_names("bx_domain")
