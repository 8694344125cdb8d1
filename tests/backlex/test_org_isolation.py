"""Org isolation: another org's ids are 404, and nothing of another org shows up in lists."""

from __future__ import annotations

from tests.backlex.org_helpers import member_id, other_org, outbox, team_org


def test_another_orgs_member_ids_are_404(client, tenants):
    org_a, org_b = team_org(client, tenants), other_org(client, tenants)
    b_member = member_id(org_b, "viewer@b.example")
    client.post(f"/api/org/{org_b['slug']}/invitations", json={"email": "p@x.example", "role": "viewer"},
                cookies=tenants.bx_session("owner@b.example"))
    b_pending = member_id(org_b, "p@x.example")
    owner_a, slug = tenants.bx_session(), org_a["slug"]
    calls = [
        client.patch(f"/api/org/{slug}/members/{b_member}", json={"role": "admin"}, cookies=owner_a),
        client.delete(f"/api/org/{slug}/members/{b_member}", cookies=owner_a),
        client.post(f"/api/org/{slug}/members/{b_pending}/resend", cookies=owner_a),
        client.delete(f"/api/org/{slug}/members/{b_pending}", cookies=owner_a),
    ]
    assert [c.status_code for c in calls] == [404, 404, 404, 404]
    members_b = client.get(f"/api/org/{org_b['slug']}/members", cookies=tenants.bx_session("owner@b.example"))
    assert {m["email"]: m["role"] for m in members_b.json()["members"]}["viewer@b.example"] == "viewer"
    assert len(outbox("p@x.example")) == 1  # no resend happened


def test_another_orgs_notification_ids_are_404(client, tenants):
    org_a, org_b = team_org(client, tenants), other_org(client, tenants)
    client.patch(f"/api/org/{org_b['slug']}/members/{member_id(org_b, 'viewer@b.example')}",
                 json={"role": "developer"}, cookies=tenants.bx_session("owner@b.example"))
    [note] = client.get(f"/api/org/{org_b['slug']}/notifications",
                        cookies=tenants.bx_session("viewer@b.example")).json()["notifications"]
    # even a member of both orgs cannot reach B's notification through A's slug
    client.post(f"/api/org/{org_a['slug']}/invitations", json={"email": "viewer@b.example", "role": "viewer"},
                cookies=tenants.bx_session())
    token = outbox("viewer@b.example")[-1].token
    client.post("/api/invitations/accept", json={"token": token}, cookies=tenants.bx_session("viewer@b.example"))
    response = client.post(f"/api/org/{org_a['slug']}/notifications/{note['id']}/read",
                           cookies=tenants.bx_session("viewer@b.example"))
    assert response.status_code == 404
    listed = client.get(f"/api/org/{org_a['slug']}/notifications", cookies=tenants.bx_session("viewer@b.example"))
    assert note["id"] not in {n["id"] for n in listed.json()["notifications"]}


def test_lists_show_only_their_own_org(client, tenants):
    org_a, org_b = team_org(client, tenants), other_org(client, tenants)
    owner_a = tenants.bx_session()
    client.patch(f"/api/org/{org_b['slug']}", json={"name": "Beta Renamed"},
                 cookies=tenants.bx_session("owner@b.example"))
    members = client.get(f"/api/org/{org_a['slug']}/members", cookies=owner_a).json()["members"]
    assert all(m["email"].endswith("@a.example") for m in members)
    events = client.get(f"/api/org/{org_a['slug']}/audit", cookies=owner_a).json()["events"]
    assert "org.updated" not in {e["action"] for e in events}
    usage = client.get(f"/api/org/{org_a['slug']}/usage", cookies=owner_a).json()
    assert usage["projects"] == []


def test_a_slug_of_another_org_is_404_even_for_owners_elsewhere(client, tenants):
    team_org(client, tenants)
    org_b = other_org(client, tenants)
    for path in ("members", "audit", "usage", "usage/history", "scim", "sso", "billing", "notifications"):
        response = client.get(f"/api/org/{org_b['slug']}/{path}", cookies=tenants.bx_session())
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "NOT_FOUND"
