"""The repair sweep (handlers/backlex/_repair.py): whatever is transitional with no job gets one."""

from __future__ import annotations

import pytest

from handlers.backlex import _jobs, _projects, _repair
from handlers.backlex._queue import QueuedJob
from handlers.backlex.store import Deploy, OutboundDelivery, Project
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, get_project, org_a
from tests.backlex.webhook_receiver import Receiver

NOTHING = {"projects": 0, "deploys": 0, "deliveries": 0}


@pytest.fixture
def queued(database):
    _jobs.bind()
    yield
    _jobs.run_inline()


def lose_every_job() -> None:
    """What a job given up while the store was down, or a queue that forgot it, leaves behind."""
    with database.connection_context():
        QueuedJob.delete().execute()


def sweep() -> dict:
    with database.connection_context():
        return _repair.resume_stalled()


def drain() -> int:
    with database.connection_context():
        return _jobs.drain()


def test_a_provisioning_project_without_a_job_gets_one(client, tenants, queued):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    assert sweep() == NOTHING  # its job is there
    lose_every_job()
    assert sweep() == {**NOTHING, "projects": 1}
    assert sweep() == NOTHING  # once
    assert drain() == 1
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"


def test_a_job_leased_to_a_dead_consumer_is_left_to_its_lease(client, tenants, queued):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    with database.connection_context():
        assert _jobs.LIFECYCLE.dequeue() is not None  # claimed; its consumer dies
    assert sweep() == NOTHING


def test_deleted_and_settled_projects_are_left_alone(client, tenants, queued):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    client.delete(f"/api/org/{org['slug']}/projects/storefront", cookies=as_role(tenants))
    lose_every_job()
    assert sweep() == NOTHING


def test_a_queued_upgrade_without_a_job_gets_one(client, tenants, queued):
    org = org_a(client, tenants)
    project = create_project(client, tenants, org["slug"])
    drain()
    with database.connection_context():
        deploy = _projects.record_deploy(Project.get_by_id(project["id"]), "upgrade", ref=_projects.LATEST_TEMPLATE_VERSION,
                                         template_version=_projects.TEMPLATE_VERSIONS[0])
    assert sweep() == {**NOTHING, "deploys": 1}
    assert drain() == 1
    with database.connection_context():
        assert Deploy.get_by_id(deploy.id).status == "succeeded"
    assert get_project(client, tenants, org["slug"], "storefront")["templateVersion"] == _projects.TEMPLATE_VERSIONS[0]


def test_a_pending_delivery_without_a_job_is_dispatched(client, tenants, queued, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "1")
    receiver = Receiver()
    try:
        org = org_a(client, tenants)
        client.post(f"/api/org/{org['slug']}/webhooks", json={"url": receiver.url, "events": ["org.*"]},
                    cookies=as_role(tenants, "admin"))
        client.patch(f"/api/org/{org['slug']}", json={"name": "Acme Two"}, cookies=as_role(tenants))
        lose_every_job()
        assert sweep() == {**NOTHING, "deliveries": 1}
        assert drain() == 1
        with database.connection_context():
            (row,) = OutboundDelivery.select()
        assert row.status == "delivered" and len(receiver.received) == 1
    finally:
        receiver.close()
