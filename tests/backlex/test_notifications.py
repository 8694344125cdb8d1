"""Notifications: produced by org events, per user; read and read-all touch only the caller's."""

from __future__ import annotations

from handlers.backlex import _events
from handlers.backlex.store import Org
from spec_server import clock
from spec_server.db import database
from tests.backlex.org_helpers import member_id, outbox, team_org


def notifications(client, tenants, org, who, **params):
    response = client.get(f"/api/org/{org['slug']}/notifications", params=params,
                          cookies=tenants.bx_session(who))
    assert response.status_code == 200, response.text
    return response.json()["notifications"]


def test_role_change_notifies_the_member_concerned(client, tenants):
    org = team_org(client, tenants)
    client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'viewer@a.example')}",
                 json={"role": "developer"}, cookies=tenants.bx_session("admin@a.example"))
    [note] = notifications(client, tenants, org, "viewer@a.example")
    assert note["kind"] == "member.role_changed" and "viewer" in note["title"] and "developer" in note["title"]
    assert note["read"] is False
    assert notifications(client, tenants, org, "developer@a.example") == []
    assert notifications(client, tenants, org, "admin@a.example") == []  # the actor is not told


def test_accepted_invitation_notifies_admins_and_owners(client, tenants):
    org = team_org(client, tenants)
    client.post(f"/api/org/{org['slug']}/invitations", json={"email": "outsider@c.example", "role": "viewer"},
                cookies=tenants.bx_session())
    token = outbox("outsider@c.example")[-1].token
    client.post("/api/invitations/accept", json={"token": token}, cookies=tenants.bx_session("outsider@c.example"))
    for who in ("owner@a.example", "admin@a.example"):
        kinds = [n["kind"] for n in notifications(client, tenants, org, who)]
        assert kinds == ["invitation.accepted"], who
    assert notifications(client, tenants, org, "developer@a.example") == []


def test_member_removal_notifies_admins(client, tenants):
    org = team_org(client, tenants)
    client.delete(f"/api/org/{org['slug']}/members/{member_id(org, 'developer@a.example')}",
                  cookies=tenants.bx_session())
    assert [n["kind"] for n in notifications(client, tenants, org, "admin@a.example")] == ["member.removed"]
    assert notifications(client, tenants, org, "owner@a.example") == []


def test_project_and_alarm_events_reach_every_member(client, tenants):
    org = team_org(client, tenants)
    with database.connection_context():
        _events.record(Org.get_by_id(org["id"]), "alarm.triggered", target_type="alarm", target_id="al1",
                       metadata={"name": "High error rate"}, actor=(None, None))
    for who in ("owner@a.example", "viewer@a.example"):
        [note] = notifications(client, tenants, org, who)
        assert note["kind"] == "alarm.triggered"


def test_read_marks_only_the_callers_notification(client, tenants):
    org = team_org(client, tenants)
    client.delete(f"/api/org/{org['slug']}/members/{member_id(org, 'developer@a.example')}",
                  cookies=tenants.bx_session())
    [mine] = notifications(client, tenants, org, "admin@a.example")
    # the owner acted, so only the admin was told; the owner cannot read the admin's notification
    assert client.post(f"/api/org/{org['slug']}/notifications/{mine['id']}/read",
                       cookies=tenants.bx_session()).status_code == 404
    response = client.post(f"/api/org/{org['slug']}/notifications/{mine['id']}/read",
                           cookies=tenants.bx_session("admin@a.example"))
    assert response.status_code == 200 and response.json() == {"ok": True}
    [read] = notifications(client, tenants, org, "admin@a.example")
    assert read["read"] is True and read["readAt"]


def test_read_all_changes_only_the_callers_state(client, tenants):
    org = team_org(client, tenants)
    with database.connection_context():
        for n in range(3):
            _events.record(Org.get_by_id(org["id"]), "project.created", target_type="project",
                           target_id=f"p{n}", metadata={"slug": f"p{n}"}, actor=(None, None))
    response = client.post(f"/api/org/{org['slug']}/notifications/read-all",
                           cookies=tenants.bx_session("viewer@a.example"))
    assert response.status_code == 200
    assert all(n["read"] for n in notifications(client, tenants, org, "viewer@a.example"))
    assert not any(n["read"] for n in notifications(client, tenants, org, "owner@a.example"))


def test_limit_and_newest_first(client, tenants):
    org = team_org(client, tenants)
    with database.connection_context():
        for n in range(3):
            clock.advance(1)
            _events.record(Org.get_by_id(org["id"]), "project.created", target_type="project",
                           target_id=f"p{n}", metadata={"slug": f"p{n}"}, actor=(None, None))
    notes = notifications(client, tenants, org, "viewer@a.example", limit="2")
    assert [n["data"]["targetId"] for n in notes] == ["p2", "p1"]
    bad = client.get(f"/api/org/{org['slug']}/notifications", params={"limit": "x"},
                     cookies=tenants.bx_session("viewer@a.example"))
    assert bad.status_code == 422
