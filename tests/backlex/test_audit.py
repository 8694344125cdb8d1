"""Audit: every change writes an event; action/from/to/limit/offset filter; bad filters 422."""

from __future__ import annotations

from spec_server import clock
from tests.backlex.org_helpers import member_id, team_org


def audit(client, tenants, org, who="owner@a.example", **params):
    return client.get(f"/api/org/{org['slug']}/audit", params=params, cookies=tenants.bx_session(who))


def test_changes_write_events_with_actor_target_metadata_and_time(client, tenants):
    org = team_org(client, tenants)
    target = member_id(org, "viewer@a.example")
    client.patch(f"/api/org/{org['slug']}/members/{target}", json={"role": "developer"},
                 cookies=tenants.bx_session("admin@a.example"))
    response = audit(client, tenants, org)
    assert response.status_code == 200
    events = response.json()["events"]
    newest = events[0]
    assert newest["action"] == "member.role_changed"
    assert newest["actor"] == {"id": tenants.bx_user_id("admin@a.example"), "email": "admin@a.example"}
    assert newest["target"] == {"type": "member", "id": target}
    assert newest["metadata"]["from"] == "viewer" and newest["metadata"]["to"] == "developer"
    assert newest["createdAt"].endswith("Z")
    assert events[-1]["action"] == "org.created"


def test_each_area_of_this_api_is_audited(client, tenants):
    org = team_org(client, tenants)
    slug, owner = org["slug"], tenants.bx_session()
    client.post(f"/api/org/{slug}/invitations", json={"email": "x@x.example", "role": "viewer"}, cookies=owner)
    client.post(f"/api/org/{slug}/scim/token", cookies=owner)
    client.put(f"/api/org/{slug}/sso", json={"type": "saml", "config": {"metadataUrl": "https://idp.example/m"}},
               cookies=owner)
    client.post(f"/api/org/{slug}/billing/checkout", json={"plan": "pro"}, cookies=owner)
    client.post(f"/api/org/{slug}/export", cookies=owner)
    client.patch(f"/api/org/{slug}", json={"name": "Acme 2"}, cookies=owner)
    actions = {e["action"] for e in audit(client, tenants, org).json()["events"]}
    assert {"invitation.created", "scim.token_minted", "sso.updated", "billing.checkout_started",
            "org.exported", "org.updated"} <= actions


def test_filter_by_action(client, tenants):
    org = team_org(client, tenants)
    client.patch(f"/api/org/{org['slug']}", json={"name": "Renamed"}, cookies=tenants.bx_session())
    events = audit(client, tenants, org, action="org.updated").json()["events"]
    assert [e["action"] for e in events] == ["org.updated"]
    assert audit(client, tenants, org, action="nothing.like.this").json()["events"] == []


def test_filter_by_time_window(client, tenants):
    org = team_org(client, tenants)
    created = audit(client, tenants, org).json()["events"][0]["createdAt"]
    clock.advance(3600)
    client.patch(f"/api/org/{org['slug']}", json={"name": "Later"}, cookies=tenants.bx_session())
    later = clock.iso(clock.now_ms() - 60_000)
    assert [e["action"] for e in audit(client, tenants, org, **{"from": later}).json()["events"]] == ["org.updated"]
    assert [e["action"] for e in audit(client, tenants, org, to=later).json()["events"]] == ["org.created"]
    both = audit(client, tenants, org, **{"from": created, "to": created}).json()["events"]
    assert [e["action"] for e in both] == ["org.created"]


def test_limit_and_offset_page_newest_first(client, tenants):
    org = team_org(client, tenants)
    for n in range(4):
        clock.advance(1)
        client.patch(f"/api/org/{org['slug']}", json={"name": f"Name {n}"}, cookies=tenants.bx_session())
    everything = audit(client, tenants, org).json()["events"]
    assert len(everything) == 5
    page = audit(client, tenants, org, limit="2", offset="1").json()["events"]
    assert [e["id"] for e in page] == [e["id"] for e in everything[1:3]]


def test_limit_boundaries_are_the_documented_ones(client, tenants):
    """docs/behaviour.md "backlex — Organization": "`limit` 1–200 (default 50)" — 200 and 1 are
    accepted, the default page holds 50 of more events, 0 and 201 are 422."""
    org = team_org(client, tenants)
    for n in range(51):
        client.patch(f"/api/org/{org['slug']}", json={"name": f"Name {n}"}, cookies=tenants.bx_session())
    everything = audit(client, tenants, org, limit="200")
    assert everything.status_code == 200, everything.text
    assert len(everything.json()["events"]) == 52  # the 51 renames and org.created
    assert len(audit(client, tenants, org).json()["events"]) == 50
    assert [e["id"] for e in audit(client, tenants, org, limit="1").json()["events"]] == [
        everything.json()["events"][0]["id"]]
    for refused in ("0", "201"):
        response = audit(client, tenants, org, limit=refused)
        assert response.status_code == 422, refused
        assert set(response.json()["error"]["details"]["fieldErrors"]) == {"limit"}


def test_malformed_filters_are_422_naming_each_field(client, tenants):
    org = team_org(client, tenants)
    response = audit(client, tenants, org, **{"from": "yesterday", "limit": "ten", "offset": "-1"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION"
    assert set(error["details"]["fieldErrors"]) == {"from", "limit", "offset"}
    assert audit(client, tenants, org, limit="0").status_code == 422
    assert audit(client, tenants, org, limit="201").status_code == 422
    backwards = audit(client, tenants, org, **{"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert backwards.status_code == 422


def test_audit_is_for_admins(client, tenants):
    org = team_org(client, tenants)
    assert audit(client, tenants, org, who="developer@a.example").status_code == 403
    assert audit(client, tenants, org, who="admin@a.example").status_code == 200
