"""Usage: one ledger feeds the snapshot (live projects, this month) and the history (all)."""

from __future__ import annotations

import json

import pytest

from handlers.backlex import _usage
from handlers.backlex.store import Org, Project
from spec_server import cli, clock
from spec_server.db import database
from tests.backlex.org_helpers import make_project, team_org
from tests.support import current_database_url


def record(org, project, metric, amount):
    with database.connection_context():
        return _usage.record_usage(Org.get_by_id(org["id"]), Project.get_by_id(project.id), metric, amount)


def usage(client, tenants, org, path="usage", who="viewer@a.example"):
    response = client.get(f"/api/org/{org['slug']}/{path}", cookies=tenants.bx_session(who))
    assert response.status_code == 200, response.text
    return response.json()


def test_snapshot_sums_this_month_per_metric_and_project(client, tenants):
    org = team_org(client, tenants)
    web, api = make_project(org, "web"), make_project(org, "api")
    record(org, web, "requests", 100)
    record(org, web, "requests", 50)
    record(org, api, "d1", 7)
    snap = usage(client, tenants, org)
    assert snap["plan"] == "free"
    assert snap["metrics"]["requests"] == {"used": 150, "limit": 100_000, "included": 100_000}
    assert snap["metrics"]["d1"]["used"] == 7 and snap["metrics"]["neurons"]["used"] == 0
    by_slug = {p["slug"]: p["usage"] for p in snap["projects"]}
    assert by_slug["web"]["requests"] == 150 and by_slug["api"] == {"requests": 0, "d1": 7, "r2": 0, "neurons": 0}
    assert snap["enforcement"] == {"requestThrottled": False, "storageReadOnly": False}


def test_snapshot_counts_only_the_current_month(client, tenants):
    org = team_org(client, tenants)
    web = make_project(org, "web")
    clock.advance(-32 * 24 * 3600)  # last month (sessions would expire if we went forward)
    record(org, web, "requests", 10)
    clock.reset()
    record(org, web, "requests", 3)
    assert usage(client, tenants, org)["metrics"]["requests"]["used"] == 3


def test_history_keeps_deleted_projects_and_past_months(client, tenants):
    org = team_org(client, tenants)
    web, old = make_project(org, "web"), make_project(org, "old")
    clock.advance(-32 * 24 * 3600)
    record(org, old, "r2", 5)
    clock.reset()
    with database.connection_context():
        Project.update(deleted_at=clock.now_ms(), live_slug=None).where(Project.id == old.id).execute()
    record(org, web, "requests", 9)
    snap = usage(client, tenants, org)
    assert [p["slug"] for p in snap["projects"]] == ["web"]
    history = usage(client, tenants, org, "usage/history")["periods"]
    assert len(history) == 2
    newest, oldest = history
    assert newest["totals"]["requests"] == 9
    [gone] = oldest["projects"]
    assert gone["slug"] == "old" and gone["deleted"] is True and gone["usage"]["r2"] == 5
    assert oldest["totals"]["r2"] == 5


def test_over_the_allowance_throttles_and_packs_lift_it(client, tenants):
    org = team_org(client, tenants)
    web = make_project(org, "web")
    record(org, web, "requests", 100_000)
    record(org, web, "d1", 500)
    assert usage(client, tenants, org)["enforcement"] == {"requestThrottled": True, "storageReadOnly": True}
    from handlers.backlex.store import UsagePack
    with database.connection_context():
        UsagePack.create(org=org["id"], type="requests", units=10_000_000, created_at=clock.now_ms())
    snap = usage(client, tenants, org)
    assert snap["metrics"]["requests"]["limit"] == 10_100_000
    assert snap["enforcement"] == {"requestThrottled": False, "storageReadOnly": True}


def test_record_usage_rejects_bad_input_and_runs_hooks(client, tenants):
    org = team_org(client, tenants)
    web = make_project(org, "web")
    seen = []
    _usage.after_record.append(seen.append)
    try:
        record(org, web, "neurons", 4)
    finally:
        _usage.after_record.remove(seen.append)
    assert [(r.metric, r.amount, r.project_id) for r in seen] == [("neurons", 4, web.id)]
    for metric, amount in (("cpu", 1), ("requests", 0), ("requests", -3)):
        with pytest.raises(ValueError):
            record(org, web, metric, amount)


def test_usage_record_command_feeds_the_ledger(client, tenants, capsys, monkeypatch):
    org = team_org(client, tenants)
    make_project(org, "web")
    url = current_database_url()
    monkeypatch.setenv("DATABASE_URL", url)
    code = cli.main(["usage", "record", "--org", org["slug"], "--project", "web", "--metric", "requests",
                     "--amount", "42", "--database", url])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["amount"] == 42
    assert usage(client, tenants, org)["metrics"]["requests"]["used"] == 42
    assert cli.main(["usage", "record", "--org", org["slug"], "--project", "nope", "--metric", "requests",
                     "--amount", "1", "--database", url]) == 1


def test_usage_record_command_queues_a_fired_alarms_delivery_and_sends_nothing(client, tenants, capsys, monkeypatch):
    """The CLI queues a fired alarm's webhook delivery for the server's consumers (and their
    settings); it never delivers it itself."""
    from handlers.backlex import _jobs
    from handlers.backlex.store import OutboundDelivery
    from tests.backlex.webhook_receiver import Receiver

    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "1")
    receiver = Receiver()
    try:
        org = team_org(client, tenants)
        make_project(org, "web")
        owner = tenants.bx_session("owner@a.example")
        assert client.post(f"/api/org/{org['slug']}/webhooks", json={"url": receiver.url, "events": ["alarm.fired"]},
                           cookies=owner).status_code == 201
        assert client.post(f"/api/org/{org['slug']}/projects/web/alarms", json={"metric": "r2", "thresholdPct": 50},
                           cookies=owner).status_code == 201
        url = current_database_url()
        monkeypatch.setenv("DATABASE_URL", url)
        assert cli.main(["usage", "record", "--org", org["slug"], "--project", "web", "--metric", "r2",
                         "--amount", "10000000", "--database", url]) == 0
        capsys.readouterr()
        assert receiver.received == []
        assert _jobs.LIFECYCLE.immediate  # the command left this process's jobs inline, as it found them
        with database.connection_context():
            (row,) = OutboundDelivery.select()
            assert (row.event_type, row.status, row.attempts) == ("alarm.fired", "pending", 0)
            _jobs.bind()
            assert _jobs.drain() == 1  # what the server's consumer does
        assert [r["body"]["type"] for r in receiver.received] == ["alarm.fired"]
    finally:
        _jobs.run_inline()
        receiver.close()
