"""The leased queue (handlers/backlex/_queue.py): a job stays until it is over, a dead
consumer's job is taken over, a job that keeps failing is given up, one org cannot hold a lane."""

from __future__ import annotations

import pytest

from handlers.backlex import _jobs, _projects, _queue
from handlers.backlex._queue import MAX_CLAIMS, QueuedJob, now_ms
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, get_project, org_a

ran: list[tuple[str, str | None]] = []


@_jobs.job(_jobs.DELIVERIES)
def note(subject: str, org_id: str | None = None) -> None:
    """A job of the deliveries lane that only notes that it ran."""
    ran.append((subject, org_id))


@pytest.fixture
def queued(database):
    """Every lane's queue in this test's database, nothing consuming it; inline again afterwards."""
    _jobs.bind()
    ran.clear()
    yield
    _jobs.run_inline()


def rows(**where) -> list[QueuedJob]:
    with database.connection_context():
        query = QueuedJob.select().order_by(QueuedJob.id)
        for name, value in where.items():
            query = query.where(getattr(QueuedJob, name) == value)
        return list(query)


def lapse_leases() -> None:
    """What LEASE_SECONDS without a heartbeat does: every lease is over."""
    with database.connection_context():
        QueuedJob.update(lease_until=now_ms() - 1).where(QueuedJob.lease_until.is_null(False)).execute()


def come_due(row: QueuedJob) -> None:
    """What waiting for a delayed job does: it is due now (its row and its message)."""
    task = _jobs.LIFECYCLE.deserialize_task(bytes(row.data))
    task.eta = None
    with database.connection_context():
        QueuedJob.update(run_at=0, data=_jobs.LIFECYCLE.serialize_task(task)).where(QueuedJob.id == row.id).execute()


def claim(lane=_jobs.LIFECYCLE):
    with database.connection_context():
        return lane.dequeue()


def run(lane, task) -> None:
    with database.connection_context():
        lane.execute(task)


def test_a_job_stays_in_the_queue_leased_until_it_has_run(client, tenants, queued):
    org = org_a(client, tenants)
    project = create_project(client, tenants, org["slug"])
    (row,) = rows()
    assert (row.job_key, row.tenant, row.lease_until, row.claims) == (f"provision:{project['id']}", org["id"], None, 0)
    task = claim()
    (row,) = rows()
    assert row.claims == 1 and row.lease_until > now_ms() and row.claim_token == task.claim.token
    assert claim() is None  # leased: no other consumer takes it
    run(_jobs.LIFECYCLE, task)
    assert rows() == []
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"


def test_a_job_whose_consumer_died_is_taken_over_when_its_lease_lapses(client, tenants, queued):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    dead = claim()
    _jobs.LIFECYCLE.storage.heartbeat.drop(dead.claim)  # its process is gone: nobody renews the lease
    assert claim() is None
    lapse_leases()
    alive = claim()
    assert alive.id == dead.id and alive.claim.claims == 2
    with database.connection_context():
        assert not _jobs.LIFECYCLE.storage.acknowledge(dead.claim)  # the dead holder's token no longer counts
    assert len(rows()) == 1
    run(_jobs.LIFECYCLE, alive)
    assert rows() == []
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"


def test_a_job_that_keeps_losing_its_consumer_is_given_up_and_the_project_fails(client, tenants, queued):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    for _ in range(MAX_CLAIMS):
        assert claim() is not None  # each consumer dies while running it
        lapse_leases()
    assert claim() is None  # the next claim gives it up instead of running it
    assert rows() == []
    failed = get_project(client, tenants, org["slug"], "storefront")
    assert failed["status"] == "failed"
    assert failed["failureReason"].startswith("Provisioning did not finish: its consumer stopped 5 times")
    retried = client.post(f"/api/org/{org['slug']}/projects/storefront/provision-retry", cookies=as_role(tenants))
    assert retried.status_code == 200, retried.text
    with database.connection_context():
        assert _jobs.drain() == 1
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"


def test_a_job_that_keeps_raising_is_retried_with_backoff_then_the_project_fails(client, tenants, queued, monkeypatch):
    def database_unreachable(project):
        raise ConnectionError("the D1 control plane did not answer")

    monkeypatch.setattr(_projects, "PROVISIONING_STEPS", [database_unreachable])
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    delays = []
    for _ in range(_projects.RETRIES):
        started = now_ms()
        with database.connection_context():
            assert _jobs.drain() == 1
        (retry,) = rows()  # the retry is a row of the queue, due later
        delays.append(round((retry.run_at - started) / 1000))
        assert get_project(client, tenants, org["slug"], "storefront")["status"] == "provisioning"
        come_due(retry)
    assert delays == [2, 4, 8, 16, 32]
    with database.connection_context():
        assert _jobs.drain() == 1  # the last attempt
    assert rows() == []
    failed = get_project(client, tenants, org["slug"], "storefront")
    assert failed["status"] == "failed"
    assert failed["failureReason"] == "Provisioning did not finish: ConnectionError: the D1 control plane did not answer"


def test_a_delayed_job_is_not_claimed_before_its_time(queued):
    with database.connection_context():
        note.schedule(args=("later", "org-1"), delay=60)
    (row,) = rows()
    assert 59_000 < row.run_at - now_ms() <= 60_000
    assert claim(_jobs.DELIVERIES) is None
    assert _jobs.DELIVERIES.scheduled_count() == 1 and _jobs.DELIVERIES.pending_count() == 0


def test_one_org_holds_at_most_its_share_of_a_lane(queued):
    limit = _jobs.DELIVERIES.storage.per_tenant
    with database.connection_context():
        for number in range(limit + 2):
            note(f"a-{number}", "org-a")
        note("b-0", "org-b")
    held = [claim(_jobs.DELIVERIES) for _ in range(limit)]
    assert [task.args[1] for task in held] == ["org-a"] * limit
    other = claim(_jobs.DELIVERIES)
    assert other.args == ("b-0", "org-b")  # org A is at its limit: B's job goes first
    assert claim(_jobs.DELIVERIES) is None  # only A's are left, and A holds its share
    run(_jobs.DELIVERIES, held[0])
    assert claim(_jobs.DELIVERIES).args[1] == "org-a"  # a slot of A's came free
    run(_jobs.DELIVERIES, other)
    assert ("b-0", "org-b") in ran


def test_lanes_are_separate_queues(client, tenants, queued):
    with database.connection_context():
        note("x", "org-a")
    assert claim(_jobs.LIFECYCLE) is None
    assert claim(_jobs.DELIVERIES).args == ("x", "org-a")


def test_the_heartbeat_renews_the_leases_of_running_jobs(queued):
    with database.connection_context():
        note("long", "org-a")
    task = claim(_jobs.DELIVERIES)
    with database.connection_context():
        QueuedJob.update(lease_until=now_ms() + 1000).execute()
        assert _jobs.DELIVERIES.storage.heartbeat.renew() == 1
    (row,) = rows()
    assert row.lease_until >= now_ms() + _jobs.DELIVERIES.storage.lease_ms - 1000
    run(_jobs.DELIVERIES, task)
    assert rows() == []


def test_a_job_this_version_cannot_read_is_left_then_dropped(queued, caplog):
    with database.connection_context():
        QueuedJob.insert(queue=_jobs.LIFECYCLE.name, data=b"not a huey message", job_key="from:elsewhere").execute()
    for _ in range(MAX_CLAIMS - 1):
        assert claim() is None
        assert len(rows()) == 1  # another worker's version may know it
        lapse_leases()
    assert claim() is None
    assert rows() == []
    assert "cannot be read here" in caplog.text


def test_the_queue_table_is_created_with_the_store(database):
    with database.connection_context():
        columns = {column.name for column in database.get_columns("huey_task")}
    assert {"run_at", "lease_until", "claim_token", "claims", "tenant", "job_key"} <= columns
    assert _queue.QueuedJob._meta.table_name == "huey_task"
