"""The job queue in the database (huey SqlHuey): requests never wait, jobs run once, workers elsewhere."""

from __future__ import annotations

import sys
import threading
import time

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


def _request_threads_running(function_name: str) -> list[str]:
    """The request threads (``offload``) whose stack is inside ``function_name``."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    running = []
    for ident, frame in sys._current_frames().items():
        if not names.get(ident, "").startswith("spec-server-"):
            continue
        while frame is not None:
            if frame.f_code.co_name == function_name:
                running.append(names[ident])
            frame = frame.f_back
    return running


def test_an_upgrade_waits_for_its_job_without_holding_a_request_thread(client, tenants, database):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])  # provisioned inline
    _jobs.bind()  # no consumer: the upgrade job waits in the queue
    answers = []
    request = threading.Thread(target=lambda: answers.append(client.post(
        f"/api/org/{org['slug']}/projects/storefront/upgrade",
        params={"version": _projects.TEMPLATE_VERSIONS[0]}, cookies=as_role(tenants))))
    request.start()
    try:
        deadline = time.monotonic() + 10
        while _count(Deploy, Deploy.kind == "upgrade") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the request is waiting for its job now
        waiting = request.is_alive() and answers == []
        holding = _request_threads_running("post_org_project_upgrade")
    finally:
        with database.connection_context():
            drained = _jobs.drain()
        request.join(40)
        _jobs.run_inline()
    assert waiting and drained == 1
    assert holding == []  # the handler returned; the wait is on the event loop
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json() == {"status": "upgraded", "from": _projects.LATEST_TEMPLATE_VERSION,
                                 "to": _projects.TEMPLATE_VERSIONS[0]}
