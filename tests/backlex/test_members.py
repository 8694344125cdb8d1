"""Members: list, role changes, removal, leaving, and the last-owner rule."""

from __future__ import annotations

from tests.backlex.org_helpers import member_id, team_org


def members_of(client, tenants, org, who="owner@a.example"):
    response = client.get(f"/api/org/{org['slug']}/members", cookies=tenants.bx_session(who))
    assert response.status_code == 200, response.text
    return {m["email"]: m for m in response.json()["members"]}


def test_members_list_shows_every_seat_with_role_and_status(client, tenants):
    org = team_org(client, tenants)
    client.post(f"/api/org/{org['slug']}/invitations", json={"email": "new@x.example", "role": "viewer"},
                cookies=tenants.bx_session())
    members = members_of(client, tenants, org, who="viewer@a.example")
    assert {e: (m["role"], m["status"]) for e, m in members.items()} == {
        "owner@a.example": ("owner", "active"), "admin@a.example": ("admin", "active"),
        "developer@a.example": ("developer", "active"), "viewer@a.example": ("viewer", "active"),
        "new@x.example": ("viewer", "pending")}
    assert members["owner@a.example"]["userId"] == tenants.bx_user_id("owner@a.example")
    assert members["new@x.example"]["userId"] is None
    assert members["new@x.example"]["inviteExpiresAt"]


def test_admin_changes_a_role(client, tenants):
    org = team_org(client, tenants)
    target = member_id(org, "viewer@a.example")
    response = client.patch(f"/api/org/{org['slug']}/members/{target}", json={"role": "developer"},
                            cookies=tenants.bx_session("admin@a.example"))
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert members_of(client, tenants, org)["viewer@a.example"]["role"] == "developer"


def test_only_an_owner_grants_or_removes_the_owner_role(client, tenants):
    org = team_org(client, tenants)
    admin = tenants.bx_session("admin@a.example")
    promote = client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'developer@a.example')}",
                           json={"role": "owner"}, cookies=admin)
    assert promote.status_code == 403
    demote = client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'owner@a.example')}",
                          json={"role": "viewer"}, cookies=admin)
    assert demote.status_code == 403
    by_owner = client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'developer@a.example')}",
                            json={"role": "owner"}, cookies=tenants.bx_session())
    assert by_owner.status_code == 200
    assert members_of(client, tenants, org)["developer@a.example"]["role"] == "owner"


def test_demoting_the_last_owner_is_409(client, tenants):
    org = team_org(client, tenants)
    owner = member_id(org, "owner@a.example")
    response = client.patch(f"/api/org/{org['slug']}/members/{owner}", json={"role": "admin"},
                            cookies=tenants.bx_session())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    # with a second owner the first may step down
    client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'admin@a.example')}",
                 json={"role": "owner"}, cookies=tenants.bx_session())
    again = client.patch(f"/api/org/{org['slug']}/members/{owner}", json={"role": "admin"},
                         cookies=tenants.bx_session())
    assert again.status_code == 200


def test_removing_or_leaving_as_the_last_owner_is_409(client, tenants):
    org = team_org(client, tenants)
    owner = member_id(org, "owner@a.example")
    response = client.delete(f"/api/org/{org['slug']}/members/{owner}", cookies=tenants.bx_session())
    assert response.status_code == 409
    assert "owner@a.example" in members_of(client, tenants, org)


def test_admin_removes_a_member_who_then_loses_access(client, tenants):
    org = team_org(client, tenants)
    target = member_id(org, "developer@a.example")
    response = client.delete(f"/api/org/{org['slug']}/members/{target}",
                             cookies=tenants.bx_session("admin@a.example"))
    assert response.status_code == 204
    assert "developer@a.example" not in members_of(client, tenants, org)
    gone = client.get(f"/api/org/{org['slug']}/members", cookies=tenants.bx_session("developer@a.example"))
    assert gone.status_code == 404


def test_admin_cannot_remove_an_owner(client, tenants):
    org = team_org(client, tenants)
    client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'viewer@a.example')}",
                 json={"role": "owner"}, cookies=tenants.bx_session())
    response = client.delete(f"/api/org/{org['slug']}/members/{member_id(org, 'viewer@a.example')}",
                             cookies=tenants.bx_session("admin@a.example"))
    assert response.status_code == 403


def test_a_viewer_may_leave_but_not_remove_others(client, tenants):
    org = team_org(client, tenants)
    viewer = tenants.bx_session("viewer@a.example")
    other = client.delete(f"/api/org/{org['slug']}/members/{member_id(org, 'developer@a.example')}",
                          cookies=viewer)
    assert other.status_code == 403
    leave = client.delete(f"/api/org/{org['slug']}/members/{member_id(org, 'viewer@a.example')}",
                          cookies=viewer)
    assert leave.status_code == 204
    assert "viewer@a.example" not in members_of(client, tenants, org)


def test_unknown_member_is_404(client, tenants):
    org = team_org(client, tenants)
    for call in (client.patch(f"/api/org/{org['slug']}/members/nope", json={"role": "viewer"},
                              cookies=tenants.bx_session()),
                 client.delete(f"/api/org/{org['slug']}/members/nope", cookies=tenants.bx_session()),
                 client.post(f"/api/org/{org['slug']}/members/nope/resend", cookies=tenants.bx_session())):
        assert call.status_code == 404, call.text


def test_role_outside_the_enum_is_422(client, tenants):
    org = team_org(client, tenants)
    response = client.patch(f"/api/org/{org['slug']}/members/{member_id(org, 'viewer@a.example')}",
                            json={"role": "superuser"}, cookies=tenants.bx_session())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION"


def test_org_webhook_url_must_be_an_absolute_uri(client, tenants):
    org = team_org(client, tenants)
    bad = client.patch(f"/api/org/{org['slug']}", json={"webhookUrl": "AAA"}, cookies=tenants.bx_session())
    assert bad.status_code == 422 and "webhookUrl" in bad.json()["error"]["details"]["fieldErrors"]
    good = client.patch(f"/api/org/{org['slug']}", json={"webhookUrl": "https://hooks.example/x"},
                        cookies=tenants.bx_session())
    assert good.status_code == 200 and good.json()["org"]["webhookUrl"] == "https://hooks.example/x"
    cleared = client.patch(f"/api/org/{org['slug']}", json={"webhookUrl": None}, cookies=tenants.bx_session())
    assert cleared.status_code == 200 and cleared.json()["org"]["webhookUrl"] is None
