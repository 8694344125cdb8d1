"""Usage alarms: one per metric per project; fire once per period when usage crosses the threshold."""

from __future__ import annotations

import pytest

from handlers.backlex import _usage
from handlers.backlex.store import AuditEvent, Notification, Org, Project
from spec_server import clock
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, org_a, set_plan


@pytest.fixture
def setup(client, tenants):
    org = org_a(client, tenants)
    set_plan(org["id"], "free")  # requests: 100_000 a month
    project = create_project(client, tenants, org["slug"])
    return org, project, f"/api/org/{org['slug']}/projects/storefront/alarms"


def use(org, project, metric, amount):
    with database.connection_context():
        _usage.record_usage(Org.get_by_id(org["id"]), Project.get_by_id(project["id"]), metric, amount)


def fired(org):
    with database.connection_context():
        return [e.metadata for e in AuditEvent.select().where(
            (AuditEvent.org == org["id"]) & (AuditEvent.action == "alarm.fired")).order_by(AuditEvent.created_at)]


def test_create_list_delete(client, tenants, setup):
    _, _, path = setup
    response = client.post(path, json={"metric": "requests", "thresholdPct": 80}, cookies=as_role(tenants, "developer"))
    assert response.status_code == 201, response.text
    alarm = response.json()["alarm"]
    assert (alarm["metric"], alarm["thresholdPct"], alarm["lastFiredAt"]) == ("requests", 80, None)
    assert [a["id"] for a in client.get(path, cookies=as_role(tenants, "viewer")).json()["alarms"]] == [alarm["id"]]
    assert client.delete(f"{path}/{alarm['id']}", cookies=as_role(tenants, "developer")).json() == {"ok": True}
    assert client.get(path, cookies=as_role(tenants)).json()["alarms"] == []
    assert client.delete(f"{path}/{alarm['id']}", cookies=as_role(tenants)).status_code == 404


def test_one_alarm_per_metric_per_project(client, tenants, setup):
    _, _, path = setup
    assert client.post(path, json={"metric": "d1", "thresholdPct": 50}, cookies=as_role(tenants)).status_code == 201
    assert client.post(path, json={"metric": "d1", "thresholdPct": 90}, cookies=as_role(tenants)).status_code == 409
    assert client.post(path, json={"metric": "r2", "thresholdPct": 90}, cookies=as_role(tenants)).status_code == 201


@pytest.mark.parametrize("body", [{"metric": "neurons", "thresholdPct": 50}, {"metric": "requests", "thresholdPct": 0},
                                  {"metric": "requests", "thresholdPct": 101}, {"metric": "requests"}])
def test_invalid_alarm_is_422(client, tenants, setup, body):
    _, _, path = setup
    assert client.post(path, json=body, cookies=as_role(tenants)).status_code == 422


def test_fires_once_per_period_when_crossing(client, tenants, setup):
    org, project, path = setup
    client.post(path, json={"metric": "requests", "thresholdPct": 80}, cookies=as_role(tenants))
    use(org, project, "requests", 79_999)
    assert fired(org) == []
    use(org, project, "requests", 1)  # 80_000 of 100_000: crosses 80 %
    events = fired(org)
    assert len(events) == 1
    assert events[0]["metric"] == "requests" and events[0]["used"] == 80_000 and events[0]["limit"] == 100_000
    use(org, project, "requests", 10_000)  # still over: not again this period
    assert len(fired(org)) == 1
    alarm = client.get(path, cookies=as_role(tenants)).json()["alarms"][0]
    assert alarm["lastFiredPeriod"] == events[0]["period"] and alarm["lastFiredAt"]
    clock.advance(32 * 86_400)  # next month: usage starts again from zero
    use(org, project, "requests", 79_000)
    assert len(fired(org)) == 1
    use(org, project, "requests", 2_000)
    assert len(fired(org)) == 2


def test_other_metrics_and_projects_do_not_fire(client, tenants, setup):
    org, project, path = setup
    client.post(path, json={"metric": "d1", "thresholdPct": 10}, cookies=as_role(tenants))
    use(org, project, "requests", 100_000)
    other = create_project(client, tenants, org["slug"], name="Other")
    use(org, other, "d1", 500)
    assert fired(org) == []
    use(org, project, "d1", 50)  # 10 % of 500
    assert len(fired(org)) == 1


def test_firing_notifies_members(client, tenants, setup):
    org, project, path = setup
    client.post(path, json={"metric": "requests", "thresholdPct": 1}, cookies=as_role(tenants))
    use(org, project, "requests", 1_000)
    with database.connection_context():
        kinds = {n.kind for n in Notification.select().where(Notification.org == org["id"])}
    assert "alarm.fired" in kinds
