"""Backups: manual and automatic, newest first; restores of a backup and to a point in time."""

from __future__ import annotations

import pytest

from handlers.backlex import _projects
from handlers.backlex.store import Project
from spec_server import clock
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, org_a, set_plan

DAY_MS = 86_400_000


@pytest.fixture
def base(client, tenants):
    org = org_a(client, tenants)  # pro: 7 days of point-in-time restore
    create_project(client, tenants, org["slug"])
    return org, f"/api/org/{org['slug']}/projects/storefront"


def test_manual_and_automatic_backups_newest_first(client, tenants, base):
    _, path = base
    manual = client.post(path + "/backups", json={}, cookies=as_role(tenants, "developer"))
    assert manual.status_code == 201
    assert manual.json()["backup"]["kind"] == "manual"
    clock.advance(60)
    with database.connection_context():
        assert _projects.take_automatic_backups() == 1
    clock.advance(60)
    client.post(path + "/backups", json={"kind": "manual"}, cookies=as_role(tenants))
    listed = client.get(path + "/backups", cookies=as_role(tenants, "viewer")).json()["backups"]
    assert [b["kind"] for b in listed] == ["manual", "auto", "manual"]
    assert listed[0]["createdAt"] > listed[1]["createdAt"] > listed[2]["createdAt"]


def test_automatic_backups_skip_inactive_projects(client, tenants, base):
    org, path = base
    client.post(path + "/pause", cookies=as_role(tenants))
    with database.connection_context():
        assert _projects.take_automatic_backups() == 0


def test_restore_backup_records_a_deploy(client, tenants, base):
    _, path = base
    backup = client.post(path + "/backups", json={}, cookies=as_role(tenants)).json()["backup"]
    response = client.post(path + f"/backups/{backup['id']}/restore", cookies=as_role(tenants, "developer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["backup"]["id"] == backup["id"]
    assert body["backup"]["lastRestoredAt"] is not None
    assert body["deploy"]["kind"] == "restore" and body["deploy"]["status"] == "succeeded"
    deploys = client.get(path + "/deploys", cookies=as_role(tenants)).json()["deploys"]
    assert deploys[0]["kind"] == "restore" and deploys[0]["ref"] == backup["id"]


def test_restore_unknown_backup_is_404(client, tenants, base):
    _, path = base
    assert client.post(path + "/backups/nope/restore", cookies=as_role(tenants)).status_code == 404


def test_point_in_time_restore_within_window(client, tenants, base):
    _, path = base
    clock.advance(3 * 86_400)
    target = clock.now_ms() - 2 * DAY_MS
    response = client.post(path + "/restore", json={"timestamp": target}, cookies=as_role(tenants))
    assert response.status_code == 200, response.text
    assert response.json()["restoredTo"] == clock.iso(target)
    deploys = client.get(path + "/deploys", cookies=as_role(tenants)).json()["deploys"]
    assert deploys[0]["kind"] == "pitr_restore" and deploys[0]["ref"] == clock.iso(target)


@pytest.mark.parametrize("offset_days, reason", [(-0.01, "future"), (8, "older than the pro window")])
def test_point_in_time_outside_window_is_422(client, tenants, base, offset_days, reason):
    _, path = base
    clock.advance(10 * 86_400)
    with database.connection_context():  # pretend the project is old enough for the window to matter
        Project.update(created_at=0).where(Project.slug == "storefront").execute()
    response = client.post(path + "/restore", json={"timestamp": clock.now_ms() - int(offset_days * DAY_MS)},
                           cookies=as_role(tenants))
    assert response.status_code == 422, reason
    assert "timestamp" in response.json()["error"]["details"]["fieldErrors"]


def test_window_follows_the_plan(client, tenants, base):
    org, path = base
    clock.advance(10 * 86_400)
    with database.connection_context():
        Project.update(created_at=0).where(Project.slug == "storefront").execute()
    three_days_ago = {"timestamp": clock.now_ms() - 3 * DAY_MS}
    assert client.post(path + "/restore", json=three_days_ago, cookies=as_role(tenants)).status_code == 200
    set_plan(org["id"], "free")  # 1 day
    assert client.post(path + "/restore", json=three_days_ago, cookies=as_role(tenants)).status_code == 422


def test_not_before_the_project_existed(client, tenants, base):
    _, path = base
    response = client.post(path + "/restore", json={"timestamp": clock.now_ms() - 3_600_000}, cookies=as_role(tenants))
    assert response.status_code == 422


def test_automatic_backup_once_a_day_even_with_several_consumers(client, tenants, base):
    with database.connection_context():
        assert _projects.take_automatic_backups() == 1
        assert _projects.take_automatic_backups() == 0  # a second scheduler the same day
    clock.advance(21 * 3600)
    with database.connection_context():
        assert _projects.take_automatic_backups() == 1
