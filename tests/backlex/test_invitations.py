"""Invitations: pending seats, the mail outbox (and its CLI), resend, accept, rate limit."""

from __future__ import annotations

import json

from handlers.backlex.store import Member, User
from spec_server import cli, clock
from spec_server.db import database
from tests.backlex.org_helpers import member_id, outbox, set_plan, team_org
from tests.support import current_database_url


def invite(client, tenants, org, email="outsider@c.example", role="developer", who="owner@a.example"):
    return client.post(f"/api/org/{org['slug']}/invitations", json={"email": email, "role": role},
                       cookies=tenants.bx_session(who))


def token_for(email):
    return outbox(email)[-1].token


def accept(client, tenants, token, who="outsider@c.example"):
    return client.post("/api/invitations/accept", json={"token": token}, cookies=tenants.bx_session(who))


def test_invitation_creates_a_pending_seat_and_an_email(client, tenants):
    org = team_org(client, tenants)
    response = invite(client, tenants, org, email="Outsider@C.example", who="admin@a.example")
    assert response.status_code == 201, response.text
    created = response.json()["invite"]
    assert created["email"] == "outsider@c.example" and created["role"] == "developer"
    [mail] = outbox("outsider@c.example")
    assert mail.kind == "invitation" and mail.token.startswith("inv_")
    assert mail.token in mail.body and "/invite/accept?token=" in mail.body
    assert "Acme Corp" in mail.subject
    with database.connection_context():
        seat = Member.get_by_id(created["id"])
        assert seat.status == "pending" and seat.invite_token_digest != mail.token  # digest only


def test_outbox_command_prints_messages_as_json(client, tenants, capsys, monkeypatch):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    url = current_database_url()
    monkeypatch.setenv("DATABASE_URL", url)  # the command sets it; restore it afterwards
    token = token_for("outsider@c.example")
    assert cli.main(["outbox", "--database", url, "--json"]) == 0
    messages = json.loads(capsys.readouterr().out)
    [message] = [m for m in messages if m["to"] == "outsider@c.example"]
    assert set(message) >= {"to", "subject", "body", "createdAt", "token"}
    assert message["token"] == token
    # delivered once: from then on the store keeps no readable token, and a second run shows none
    [stored] = outbox("outsider@c.example")
    assert stored.token is None and token not in stored.body and f"inv_…{token[-4:]}" in stored.body
    assert stored.delivered_at is not None
    assert cli.main(["outbox", "--database", url, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert token not in json.dumps(again) and "token" not in again[0]
    # the token still works: it was delivered, not revoked
    assert accept(client, tenants, token).status_code == 200


def test_a_dead_token_is_redacted_from_the_outbox(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    first = token_for("outsider@c.example")
    seat = member_id(org, "outsider@c.example")
    client.post(f"/api/org/{org['slug']}/members/{seat}/resend", cookies=tenants.bx_session())
    second = token_for("outsider@c.example")
    old, new = outbox("outsider@c.example")
    assert old.token is None and first not in old.body  # superseded by the resend
    assert new.token == second
    assert accept(client, tenants, second).status_code == 200
    assert all(m.token is None and second not in m.body for m in outbox("outsider@c.example"))


def test_accept_seats_the_user_with_the_invited_role(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org, role="viewer")
    response = accept(client, tenants, token_for("outsider@c.example"))
    assert response.status_code == 200 and response.json() == {"orgSlug": org["slug"]}
    orgs = client.get("/api/orgs", cookies=tenants.bx_session("outsider@c.example")).json()["orgs"]
    assert [(o["slug"], o["role"]) for o in orgs] == [(org["slug"], "viewer")]
    members = client.get(f"/api/org/{org['slug']}/members", cookies=tenants.bx_session()).json()["members"]
    seat = next(m for m in members if m["email"] == "outsider@c.example")
    assert seat["status"] == "active" and seat["userId"] == tenants.bx_user_id("outsider@c.example")


def test_used_or_unknown_token_is_404(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    token = token_for("outsider@c.example")
    assert accept(client, tenants, token).status_code == 200
    assert accept(client, tenants, token).status_code == 404
    assert accept(client, tenants, "inv_nope").status_code == 404


def test_accept_requires_the_invited_email(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    response = accept(client, tenants, token_for("outsider@c.example"), who="owner@b.example")
    assert response.status_code == 403
    assert accept(client, tenants, token_for("outsider@c.example")).status_code == 200


def test_expired_invitation_is_409_after_seven_days(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    clock.advance(7 * 24 * 3600 - 60)
    token = token_for("outsider@c.example")
    clock.advance(61)
    assert accept(client, tenants, token).status_code == 409


def test_accepting_while_already_a_member_is_409(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    with database.connection_context():  # the user got a seat some other way meanwhile
        Member.create(org=org["id"], user=User.get(User.email == "outsider@c.example"),
                      email="old-address@c.example", role="viewer", status="active",
                      created_at=clock.now_ms(), joined_at=clock.now_ms())
    assert accept(client, tenants, token_for("outsider@c.example")).status_code == 409


def test_inviting_a_member_or_a_pending_invitee_again_is_409(client, tenants):
    org = team_org(client, tenants)
    assert invite(client, tenants, org, email="viewer@a.example").status_code == 409
    assert invite(client, tenants, org).status_code == 201
    assert invite(client, tenants, org).status_code == 409


def test_resend_issues_a_new_token_and_invalidates_the_old(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    old = token_for("outsider@c.example")
    seat = member_id(org, "outsider@c.example")
    response = client.post(f"/api/org/{org['slug']}/members/{seat}/resend", cookies=tenants.bx_session())
    assert response.status_code == 200 and response.json() == {"ok": True}
    new = token_for("outsider@c.example")
    assert new != old and len(outbox("outsider@c.example")) == 2
    assert accept(client, tenants, old).status_code == 404
    assert accept(client, tenants, new).status_code == 200


def test_resend_restarts_the_expiry(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    clock.advance(6 * 24 * 3600)
    client.post(f"/api/org/{org['slug']}/members/{member_id(org, 'outsider@c.example')}/resend",
                cookies=tenants.bx_session())
    clock.advance(2 * 24 * 3600)
    assert accept(client, tenants, token_for("outsider@c.example")).status_code == 200


def test_resend_to_an_active_member_is_409(client, tenants):
    org = team_org(client, tenants)
    response = client.post(f"/api/org/{org['slug']}/members/{member_id(org, 'viewer@a.example')}/resend",
                           cookies=tenants.bx_session())
    assert response.status_code == 409


def test_revoking_a_pending_invitation_kills_its_token(client, tenants):
    org = team_org(client, tenants)
    invite(client, tenants, org)
    token = token_for("outsider@c.example")
    seat = member_id(org, "outsider@c.example")
    assert client.delete(f"/api/org/{org['slug']}/members/{seat}", cookies=tenants.bx_session()).status_code == 204
    assert accept(client, tenants, token).status_code == 404


def test_the_plan_seat_limit_counts_pending_invitations(client, tenants):
    org = team_org(client, tenants)  # four seats on free (5)
    assert invite(client, tenants, org).status_code == 201
    response = invite(client, tenants, org, email="sixth@x.example")
    assert response.status_code == 409 and response.json()["error"]["code"] == "PLAN_LIMIT"
    set_plan(org, "pro")
    assert invite(client, tenants, org, email="sixth@x.example").status_code == 201


def test_invitations_are_rate_limited_per_org(client, tenants, settings):
    settings.rate_limits["invitations"] = (2, 3600)
    org = team_org(client, tenants)
    set_plan(org, "max")
    assert invite(client, tenants, org, email="one@x.example").status_code == 201
    seat = member_id(org, "one@x.example")
    assert client.post(f"/api/org/{org['slug']}/members/{seat}/resend",
                       cookies=tenants.bx_session()).status_code == 200
    limited = invite(client, tenants, org, email="two@x.example")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    clock.advance(3601)
    assert invite(client, tenants, org, email="two@x.example").status_code == 201


def test_invitation_needs_a_valid_email(client, tenants):
    org = team_org(client, tenants)
    response = invite(client, tenants, org, email="not-an-email")
    assert response.status_code == 422
    assert "email" in response.json()["error"]["details"]["fieldErrors"]
    assert invite(client, tenants, org, role="owner").status_code == 422


def test_invitations_are_rate_limited_per_inviting_user_across_orgs(client, tenants, settings):
    """A user cannot multiply the per-org budget by creating orgs: their own budget is shared."""
    settings.rate_limits["invitationsPerUser"] = (3, 60)
    orgs = [team_org(client, tenants, name=f"Spam {n}") for n in range(2)]
    for org in orgs:
        set_plan(org, "max")
    sent = [invite(client, tenants, orgs[n % 2], email=f"v{n}@x.example").status_code for n in range(3)]
    assert sent == [201, 201, 201]
    limited = invite(client, tenants, orgs[1], email="v3@x.example")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) <= 60
    assert len(outbox()) == 3 and outbox("v3@x.example") == []


def test_org_creation_is_rate_limited_per_user(client, tenants, settings):
    settings.rate_limits["orgCreation"] = (2, 3600)
    owner = tenants.bx_session()
    assert [client.post("/api/org", json={"name": f"Org {n}"}, cookies=owner).status_code for n in range(2)] == [201, 201]
    limited = client.post("/api/org", json={"name": "Org 3"}, cookies=owner)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert limited.json()["error"]["message"] == "Too many organizations created. Please try again later."
    assert [o["name"] for o in client.get("/api/orgs", cookies=owner).json()["orgs"]] == ["Org 0", "Org 1"]
    other = client.post("/api/org", json={"name": "Theirs"}, cookies=tenants.bx_session("owner@b.example"))
    assert other.status_code == 201  # the budget is per user
