"""The job queue in the database (huey SqlHuey): requests never wait, jobs run once, workers elsewhere."""

from __future__ import annotations

import threading

import pytest

from handlers.backlex import _jobs, _projects
from handlers.backlex.store import AuditEvent, Deploy, Project
from spec_server import cli
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, get_project, org_a
from tests.support import current_database_url


@pytest.fixture
def queued(database):
    """The queue in this test's database, nothing consuming it; back to inline mode afterwards."""
    _jobs.bind()
    yield _jobs.LIFECYCLE
    _jobs.run_inline()


def _count(model, *where):
    with database.connection_context():
        query = model.select()
        return (query.where(*where) if where else query).count()


def test_queue_lives_in_the_application_database(queued):
    assert queued.storage.database is database.obj
    with database.connection_context():
        tables = set(database.get_tables())
    assert "huey_task" in tables


def test_request_does_not_wait_for_provisioning(client, tenants, queued):
    org = org_a(client, tenants)
    created = create_project(client, tenants, org["slug"])
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "provisioning"
    assert queued.pending_count() == 1
    with database.connection_context():
        assert _jobs.drain() == 1
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"
    assert _count(Deploy, Deploy.project == created["id"]) == 1


def test_a_rolled_back_request_leaves_no_job(client, tenants, queued, monkeypatch):
    org = org_a(client, tenants)

    def fail(*args, **kwargs):
        raise RuntimeError("boom after enqueue")

    original = _projects.provision

    def enqueue_then_fail(*args):
        original(*args)
        fail()

    monkeypatch.setattr(_projects, "provision", enqueue_then_fail)
    response = client.post(f"/api/org/{org['slug']}/projects", json={"name": "Shop"}, cookies=as_role(tenants))
    assert response.status_code == 500
    assert queued.pending_count() == 0  # the job was part of the transaction that rolled back
    assert _count(Project) == 0


def test_two_workers_never_run_the_same_job(client, tenants, queued):
    org = org_a(client, tenants)
    for name in ("One", "Two", "Three", "Four"):
        create_project(client, tenants, org["slug"], name=name)
    assert queued.pending_count() == 4
    ran = []

    def worker():
        with database.connection_context():
            ran.append(_jobs.drain())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(ran) == 4
    assert _count(Deploy, Deploy.kind == "provision") == 4
    assert _count(AuditEvent, AuditEvent.action == "project.provisioned") == 4
    assert _count(Project, Project.status == "active") == 4


def test_worker_command_runs_the_queue(client, tenants, queued, tmp_path, monkeypatch):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    url = current_database_url()
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["worker", "--once", "--database", url]) == 0
    _jobs.run_inline()
    from spec_server import db

    db.open_database(url)
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"


def test_in_process_consumer_answers_an_upgrade(client, tenants, database):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])  # provisioned inline
    _jobs.start_in_process()
    try:
        response = client.post(f"/api/org/{org['slug']}/projects/storefront/upgrade",
                               params={"version": _projects.TEMPLATE_VERSIONS[0]}, cookies=as_role(tenants))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "upgraded"
    finally:
        _jobs.stop_in_process()
    assert get_project(client, tenants, org["slug"], "storefront")["templateVersion"] == _projects.TEMPLATE_VERSIONS[0]


def test_without_in_process_consumer_jobs_wait_for_a_worker(client, tenants, database, monkeypatch):
    monkeypatch.setenv("JOBS_IN_PROCESS", "0")
    org = org_a(client, tenants)
    try:
        assert _jobs.start_in_process() is None
        create_project(client, tenants, org["slug"])
        assert _jobs.pending_count() == 1
        assert get_project(client, tenants, org["slug"], "storefront")["status"] == "provisioning"
    finally:
        _jobs.stop_in_process()
