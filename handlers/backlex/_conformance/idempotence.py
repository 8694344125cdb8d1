"""backlex operations documented as no-ops when repeated answer the same, and change nothing."""

from __future__ import annotations

API = "/api"


def check_same_role_again_is_a_noop(probe):
    """docs/behaviour.md "backlex — Organization": "Setting the role a member already has is a no-op ({"ok": true}, no event)"."""
    org = probe.new_org()
    slug = org["slug"]
    email = f"{probe.marker('r')}@invited.example"
    probe.require(probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), {"email": email, "role": "viewer"}),
                  201, "invite")
    member = probe.member_id(slug, email)
    for attempt in ("once", "twice"):
        same = probe.call("PATCH", f"{API}/org/{slug}/members/{member}", probe.auth(), {"role": "viewer"})
        probe.expect(same.status_code == 200 and probe.json(same) == {"ok": True},
                     f"setting the same role {attempt} is not 200 {{ok: true}}", same)
    probe.expect(not probe.audit(slug, action="member.role_changed"), "a no-op role change was audited", probe.last)
    changed = probe.call("PATCH", f"{API}/org/{slug}/members/{member}", probe.auth(), {"role": "developer"})
    probe.expect_status(changed, 200, "a real role change")
    probe.expect(len(probe.audit(slug, action="member.role_changed")) == 1, "a real role change was not audited",
                 probe.last)


def check_scim_token_replaced_and_revoked_idempotently(probe):
    """docs/behaviour.md "backlex — Organization" (SCIM): minting replaces any earlier token; "revoking with no token is a no-op {"ok": true}"."""
    slug = probe.new_org()["slug"]
    path = f"{API}/org/{slug}/scim"
    never = probe.call("DELETE", f"{path}/token", probe.auth())
    probe.expect(never.status_code == 200 and probe.json(never) == {"ok": True}, "revoking no token", never)
    tokens = [probe.require(probe.call("POST", f"{path}/token", probe.auth()), 201, "mint")["token"] for _ in range(2)]
    status = probe.json(probe.call("GET", path, probe.auth()))
    probe.expect(status.get("enabled") is True and status.get("tokenPrefix") == tokens[1][:12],
                 f"after two mints: enabled {status.get('enabled')}, prefix {status.get('tokenPrefix')!r}, "
                 "expected the second token's", probe.last)
    for attempt in ("first", "second"):
        revoked = probe.call("DELETE", f"{path}/token", probe.auth())
        probe.expect(revoked.status_code == 200 and probe.json(revoked) == {"ok": True}, f"the {attempt} revocation",
                     revoked)
    status = probe.json(probe.call("GET", path, probe.auth()))
    probe.expect(status.get("enabled") is False and status.get("tokenPrefix") is None, "SCIM still enabled", probe.last)


def check_sso_disable_twice(probe):
    """docs/behaviour.md "backlex — Enterprise SSO": DELETE "disables the connection and keeps its settings; {"ok": true} even when nothing was enabled"."""
    slug = probe.new_org()["slug"]
    path = f"{API}/org/{slug}/sso"
    nothing = probe.call("DELETE", path, probe.auth())
    probe.expect(nothing.status_code == 200 and probe.json(nothing) == {"ok": True}, "disabling no SSO", nothing)
    config = {"type": "oidc", "config": {"issuer": "https://idp.example.com", "clientId": "backlex",
                                         "clientSecret": "s3cret-value"}, "emailDomain": "example.com"}
    probe.require(probe.call("PUT", path, probe.auth(), config), 200, "configure SSO")
    for attempt in ("first", "second"):
        disabled = probe.call("DELETE", path, probe.auth())
        probe.expect(disabled.status_code == 200 and probe.json(disabled) == {"ok": True}, f"the {attempt} disable",
                     disabled)
    shown = probe.json(probe.call("GET", path, probe.auth())).get("sso") or {}
    probe.expect(shown.get("enabled") is False and (shown.get("config") or {}).get("issuer") == "https://idp.example.com",
                 "after disabling: not disabled, or its settings lost", probe.last)


def check_upgrade_to_the_current_version_is_skipped(probe):
    """docs/behaviour.md "backlex — Projects" (Upgrade): "Already there → skipped with a reason", as often as asked."""
    slug, project = probe.org(), probe.project()
    shown = probe.json(probe.call("GET", f"{API}/org/{slug}/projects/{project}", probe.auth()))
    current = shown.get("project", {}).get("templateVersion")
    answers = [probe.call("POST", f"{API}/org/{slug}/projects/{project}/upgrade", probe.auth(),
                          params={"version": current}) for _ in range(2)]
    for answer in answers:
        body = probe.json(answer)
        probe.expect(answer.status_code == 200 and body.get("status") == "skipped" and body.get("from") == current
                     and body.get("to") == current and bool(body.get("reason")),
                     f"an upgrade to the current version {current}: {answer.status_code} {answer.text[:200]}", answer)


def check_api_key_revoked_once(probe):
    """docs/behaviour.md "backlex — Integrations": "Revoke is 204; a revoked or unknown id is 404"."""
    slug = probe.new_org()["slug"]
    key = probe.require(probe.call("POST", f"{API}/org/{slug}/api-keys", probe.auth(), {"name": "k", "scope": "full"}),
                        201, "create a key")["key"]
    first = probe.call("DELETE", f"{API}/org/{slug}/api-keys/{key['id']}", probe.auth())
    probe.expect_status(first, 204, "revoking a live key")
    second = probe.call("DELETE", f"{API}/org/{slug}/api-keys/{key['id']}", probe.auth())
    probe.expect_status(second, 404, "revoking it again")
