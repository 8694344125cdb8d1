"""Write, then read back what docs/behaviour.md says was stored: defaults, normalised text,
secrets shown once, and side effects (audit events, notifications read)."""

from __future__ import annotations

import re

API = "/api"
# docs/behaviour.md "backlex — Account": "The region defaults by residency (eu → fra, tr → ist, global → fra)"
REGION_BY_RESIDENCY = {"eu": "fra", "tr": "ist", "global": "fra"}
INVITATION_DAYS = 7


def check_org_defaults_and_owner_seat(probe):
    """docs/behaviour.md "backlex — Account" (POST /org): the region defaults by residency, the caller is seated as owner, a taken slug gets -2; projects default to the org's region (docs/behaviour.md "backlex — Projects")."""
    name = f"Residency {probe.marker()}"
    orgs = {}
    for residency, region in REGION_BY_RESIDENCY.items():
        answer = probe.call("POST", f"{API}/org", probe.auth(), {"name": name, "residency": residency})
        org = probe.require(answer, 201, f"create a {residency} org")["org"]
        probe.expect(org.get("defaultRegion") == region and org.get("planId") == "free",
                     f"{residency}: defaultRegion {org.get('defaultRegion')!r} plan {org.get('planId')!r}, "
                     f"expected {region!r} on free", answer)
        orgs[residency] = org
    slugs = [org.get("slug") for org in orgs.values()]
    probe.expect(slugs[1:] == [f"{slugs[0]}-2", f"{slugs[0]}-3"], f"slugs {slugs}: a taken slug is not suffixed",
                 probe.last)
    mine = {o.get("slug"): o.get("role") for o in probe.json(probe.call("GET", f"{API}/orgs", probe.auth())).get("orgs", [])}
    probe.expect(all(mine.get(slug) == "owner" for slug in slugs), "the creator is not listed as owner", probe.last)
    project = probe.new_project(orgs["tr"]["slug"])
    probe.expect(project.get("region") == "ist" and project.get("primaryRegion") == "ist",
                 f"a project of a tr org is in {project.get('region')!r}, expected the org's default 'ist'", probe.last)


def check_invitation_normalised_and_pending(probe):
    """docs/behaviour.md "backlex — Organization" (Members, Invitations): the email lower-cased; a pending seat with userId null, expiring 7 days after it was sent."""
    slug = probe.new_org()["slug"]
    mixed = f"MiXeD.{probe.marker()}@Example.COM"
    answer = probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), {"email": mixed, "role": "developer"})
    invite = probe.require(answer, 201, "invite").get("invite", {})
    probe.expect(invite.get("email") == mixed.lower(), f"invited as {invite.get('email')!r}", answer)
    seat = next((m for m in probe.members(slug) if m.get("id") == invite.get("id")), {})
    probe.expect((seat.get("email"), seat.get("status"), seat.get("userId"), seat.get("role"))
                 == (mixed.lower(), "pending", None, "developer"),
                 f"the pending seat reads {seat}", probe.last)
    days = _days_between(seat.get("createdAt"), seat.get("inviteExpiresAt"))
    probe.expect(days is not None and abs(days - INVITATION_DAYS) < 0.01, f"the invitation expires after {days} days",
                 probe.last)


def check_org_api_key_shown_once(probe):
    """docs/behaviour.md "backlex — Integrations" (Org API keys): pak_ + 64 hex once as key.secret, prefix its first 12, mcpTools trimmed, deduplicated, sorted; expiresAt from expiresInDays."""
    slug = probe.new_org()["slug"]
    body = {"name": "  CI key  ", "scope": "full", "mcpTools": [" tools.b ", "tools.a", "tools.b", "  "],
            "expiresInDays": 30}
    answer = probe.call("POST", f"{API}/org/{slug}/api-keys", probe.auth(), body)
    key = probe.require(answer, 201, "create a key").get("key", {})
    secret = key.get("secret", "")
    probe.expect(bool(re.fullmatch(r"pak_[0-9a-f]{64}", secret)) and key.get("prefix") == secret[:12],
                 "the secret is not pak_ + 64 hex, or the prefix not its first 12 characters", answer)
    probe.expect(key.get("mcpTools") == ["tools.a", "tools.b"] and key.get("name") == "CI key",
                 f"mcpTools {key.get('mcpTools')}, name {key.get('name')!r}", answer)
    days = _days_between(key.get("createdAt"), key.get("expiresAt"))
    probe.expect(days is not None and abs(days - 30) < 0.01 and key.get("expired") is False,
                 f"expiresAt is {days} days after creation, expected 30", answer)
    listed = probe.call("GET", f"{API}/org/{slug}/api-keys", probe.auth())
    probe.expect(secret not in listed.text and [k.get("prefix") for k in probe.json(listed).get("keys", [])]
                 == [key.get("prefix")], "the list shows the secret, or not the key", listed)


def check_webhook_secret_shown_once(probe):
    """docs/behaviour.md "backlex — Integrations" (Webhooks): the signing secret (whsec_ + 48 hex) returned once; lists show secretPrefix."""
    slug = probe.new_org()["slug"]
    answer = probe.call("POST", f"{API}/org/{slug}/webhooks", probe.auth(),
                        {"url": f"https://{probe.marker('w')}.invalid/hook", "events": ["project.*"]})
    webhook = probe.require(answer, 201, "create a webhook").get("webhook", {})
    secret = webhook.get("secret", "")
    probe.expect(bool(re.fullmatch(r"whsec_[0-9a-f]{48}", secret)), "the secret is not whsec_ + 48 hex", answer)
    listed = probe.call("GET", f"{API}/org/{slug}/webhooks", probe.auth())
    shown = probe.json(listed).get("webhooks", [])
    probe.expect(secret not in listed.text and len(shown) == 1 and secret.startswith(shown[0].get("secretPrefix") or "-"),
                 "the list shows the secret, or a secretPrefix that is not its start", listed)


def check_sso_secret_kept_not_shown(probe):
    """docs/behaviour.md "backlex — Enterprise SSO": enabled defaults to true; the client secret kept but never returned (clientSecretSet); an OIDC PUT without a secret keeps it."""
    slug = probe.new_org()["slug"]
    path = f"{API}/org/{slug}/sso"
    secret = f"secret-{probe.marker()}"
    config = {"issuer": "https://idp.example.com", "clientId": "backlex", "clientSecret": secret}
    put = probe.call("PUT", path, probe.auth(), {"type": "oidc", "config": config, "emailDomain": "example.com"})
    probe.require(put, 200, "configure SSO")
    shown = probe.call("GET", path, probe.auth())
    sso = probe.json(shown).get("sso") or {}
    probe.expect(sso.get("enabled") is True and (sso.get("config") or {}).get("clientSecretSet") is True
                 and secret not in shown.text and secret not in put.text,
                 f"after PUT: enabled {sso.get('enabled')}, config {sso.get('config')}, secret shown: "
                 f"{secret in shown.text or secret in put.text}", shown)
    without_secret = {"issuer": "https://idp.example.com", "clientId": "backlex-2"}
    kept = probe.call("PUT", path, probe.auth(), {"type": "oidc", "config": without_secret, "emailDomain": "example.com"})
    probe.expect((probe.json(kept).get("sso") or {}).get("config", {}).get("clientSecretSet") is True,
                 "an OIDC PUT without a secret dropped the stored one", kept)


def check_notifications_marked_read(probe):
    """docs/behaviour.md "backlex — Integrations (notifications)": project events go to every member but the actor; read and read-all set read/readAt on the caller's own only."""
    org = probe.new_org()
    slug = org["slug"]
    admin = probe.seat(org, "a", "admin")
    viewer = probe.seat(org, "a", "viewer")
    for _ in range(2):
        probe.new_project(slug)
    path = f"{API}/org/{slug}/notifications"
    mine = probe.json(probe.call("GET", path, probe.auth())).get("notifications", [])
    probe.expect(mine == [], "the actor was notified of their own action", probe.last)
    theirs = probe.json(probe.call("GET", path, probe.auth("a", "admin"))).get("notifications", [])
    probe.expect(len(theirs) >= 2 and all(n.get("read") is False and n.get("readAt") is None for n in theirs),
                 f"the admin ({admin['email']}) has {len(theirs)} unread notifications, expected the projects' events",
                 probe.last)
    if not theirs:
        return
    probe.require(probe.call("POST", f"{path}/{theirs[0]['id']}/read", probe.auth("a", "admin")), 200, "mark one read")
    after = {n["id"]: n for n in probe.json(probe.call("GET", path, probe.auth("a", "admin"))).get("notifications", [])}
    marked = after.get(theirs[0]["id"], {})
    probe.expect(marked.get("read") is True and marked.get("readAt") is not None, "marked read: read/readAt not set",
                 probe.last)
    probe.expect(all(not n.get("read") for key, n in after.items() if key != theirs[0]["id"]),
                 "marking one read marked others", probe.last)
    other = probe.call("POST", f"{path}/{theirs[1]['id']}/read", probe.auth("a", "viewer"))
    probe.expect_status(other, 404, f"the viewer ({viewer['email']}) marks the admin's notification")
    probe.require(probe.call("POST", f"{path}/read-all", probe.auth("a", "admin")), 200, "mark all read")
    final = probe.json(probe.call("GET", path, probe.auth("a", "admin"))).get("notifications", [])
    probe.expect(all(n.get("read") for n in final), "read-all left notifications unread", probe.last)
    unread = probe.json(probe.call("GET", path, probe.auth("a", "viewer"))).get("notifications", [])
    probe.expect(bool(unread) and not any(n.get("read") for n in unread), "the admin's read-all read the viewer's",
                 probe.last)


def check_domain_hostname_normalised(probe):
    """docs/behaviour.md "backlex — Projects" (Domains): "hostname trimmed, lowercased, trailing dot dropped"; pending, with the TXT record to publish.

    (The runtime document's hostname pattern refuses surrounding blanks, so only the case and
    the trailing dot can be sent.)"""
    slug, project = probe.org(), probe.project()
    host = f"{probe.marker('h')}.example.com"
    answer = probe.call("POST", f"{API}/org/{slug}/projects/{project}/domains", probe.auth(),
                        {"hostname": f"{host.upper()}."})
    domain = probe.require(answer, 201, "add a domain").get("domain", {})
    verification = domain.get("verification") or {}
    probe.expect(domain.get("hostname") == host and domain.get("status") == "pending"
                 and verification.get("type") == "TXT" and verification.get("name") == f"_backlex-challenge.{host}"
                 and bool(verification.get("value")), f"the domain reads {domain}", answer)


def check_audit_names_actor_and_change(probe):
    """docs/behaviour.md "backlex — Organization" (Audit): each event {id, action, actor: {id, email}, target: {type, id}, metadata, createdAt}."""
    org = probe.new_org()
    probe.require(probe.call("PATCH", f"{API}/org/{org['slug']}", probe.auth(), {"name": "Audited"}), 200, "rename")
    events = probe.audit(org["slug"], action="org.updated")
    user = probe.user()
    probe.expect(len(events) == 1 and events[0].get("actor") == {"id": user["id"], "email": user["email"]}
                 and events[0].get("target") == {"type": "org", "id": org["id"]}
                 and (events[0].get("metadata") or {}).get("after", {}).get("name") == "Audited",
                 f"the rename's event reads {events}", probe.last)


def _days_between(start: str | None, end: str | None) -> float | None:
    from spec_server import clock

    if not start or not end:
        return None
    return (clock.parse_iso(end) - clock.parse_iso(start)) / 86_400_000
