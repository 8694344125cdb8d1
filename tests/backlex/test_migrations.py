"""backlex's migration steps (handlers/backlex/_migrations.py): the previous release's huey queue,
with jobs queued and delayed in it, becomes the leased queue, and those jobs still run."""

from __future__ import annotations

import datetime

from huey.contrib.sql_huey import SqlStorage

from handlers.backlex import _jobs, _projects, _webhooks
from handlers.backlex._queue import QueuedJob
from handlers.backlex.store import OutboundDelivery
from spec_server import migrations
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, get_project, org_a
from tests.backlex.webhook_receiver import Receiver


class PreviousQueueStorage(SqlStorage):
    """The storage of the previous release (huey's SqlStorage, tables named ``huey_*``)."""

    def create_models(self):
        kv, schedule, task, counter = models = super().create_models()
        for model in models:
            model._meta.set_table_name("huey_" + model._meta.table_name)
        task._meta.indexes = []
        task.add_index(task.priority.desc(), task.id)
        return models


def previous_release_queue() -> PreviousQueueStorage:
    """Our database as the previous release left it: its queue tables, step 6 not applied."""
    with database.connection_context():
        database.execute_sql("DROP TABLE huey_task")
        storage = PreviousQueueStorage("backlex", database=database.obj)
        migrations.SchemaVersion.delete().where(migrations.SchemaVersion.version == 6).execute()
    return storage


def test_the_previous_queue_becomes_the_leased_one_and_its_jobs_still_run(client, tenants, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "1")
    receiver = Receiver()
    try:
        org = org_a(client, tenants)
        webhook = client.post(f"/api/org/{org['slug']}/webhooks", json={"url": receiver.url, "events": ["*"]},
                              cookies=as_role(tenants, "admin")).json()["webhook"]
        project = create_project(client, tenants, org["slug"])
        with database.connection_context():
            from handlers.backlex.store import Project

            Project.update(status="provisioning").where(Project.id == project["id"]).execute()
        storage = previous_release_queue()
        old_provision = _jobs.LIFECYCLE.serialize_task(_projects.provision.s(project["id"]))  # one argument then
        payload = {"id": "evt-queued-long-ago", "type": "org.updated", "createdAt": "2026-01-01T00:00:00.000Z",
                   "data": {"orgId": org["id"]}}
        old_delivery = _jobs.LIFECYCLE.serialize_task(_webhooks.deliver.s(webhook["id"], payload))
        due = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(seconds=30)
        with database.connection_context():
            storage.enqueue(old_provision)
            storage.add_to_schedule(old_delivery, due)  # a retry waiting in huey's schedule

        with database.connection_context():
            assert migrations.migrate() == migrations.latest_version()
            tables = set(database.get_tables())
            assert "huey_task" in tables and not {"huey_schedule", "huey_kv", "huey_counter"} & tables
            delayed = QueuedJob.get(QueuedJob.run_at > 0)
        expected = int(due.replace(tzinfo=datetime.UTC).timestamp() * 1000)
        assert abs(delayed.run_at - expected) < 1000

        _jobs.bind()
        with database.connection_context():
            assert _jobs.drain() == 2  # provisioning, and the delivery of its event; the old delivery is not due yet
            QueuedJob.update(run_at=0).execute()
            delayed_task = _jobs.LIFECYCLE.deserialize_task(bytes(QueuedJob.get().data))
            delayed_task.eta = None
            QueuedJob.update(data=_jobs.LIFECYCLE.serialize_task(delayed_task)).execute()
            assert _jobs.drain() == 2  # the old delivery job, adopted into the outbox, then its dispatch
            (row,) = OutboundDelivery.select().where(OutboundDelivery.event_id == "evt-queued-long-ago")
        assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"
        assert row.status == "delivered"
        assert [r["body"]["id"] for r in receiver.received if r["body"]["id"] == "evt-queued-long-ago"] == [
            "evt-queued-long-ago"]
    finally:
        _jobs.run_inline()
        receiver.close()
