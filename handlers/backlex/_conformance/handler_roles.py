"""Role rules backlex's handlers decide beyond the permission table (``MINIMUM_ROLE`` lets any
member call ``DELETE /members/{id}``, so that any member may leave).

Members are seated in a fresh org in-process; over HTTP these checks say they were skipped
(invitation tokens are only emailed)."""

from __future__ import annotations

API = "/api"


def _team(probe) -> tuple[str, dict[str, dict]]:
    org = probe.new_org()
    users = {role: probe.seat(org, "a", role) for role in ("admin", "developer", "viewer")}
    return org["slug"], users


def check_removing_someone_else_needs_an_admin(probe):
    """docs/behaviour.md "backlex — Organization" (Removal): any member may remove themselves; removing someone else needs admin (403)."""
    slug, users = _team(probe)
    ids = {role: probe.member_id(slug, user["email"]) for role, user in users.items()}
    for who, whom in (("developer", "viewer"), ("viewer", "developer"), ("developer", "admin")):
        refused = probe.call("DELETE", f"{API}/org/{slug}/members/{ids[whom]}", probe.auth("a", who))
        probe.expect_status(refused, 403, f"a {who} removes the {whom}")
    probe.expect({m.get("email") for m in probe.members(slug)} >= {u["email"] for u in users.values()},
                 "a refused removal removed someone", probe.last)
    left = probe.call("DELETE", f"{API}/org/{slug}/members/{ids['viewer']}", probe.auth("a", "viewer"))
    probe.expect_status(left, 204, "the viewer leaves")
    removed = probe.call("DELETE", f"{API}/org/{slug}/members/{ids['developer']}", probe.auth("a", "admin"))
    probe.expect_status(removed, 204, "the admin removes the developer")
    remaining = {m.get("email") for m in probe.members(slug)}
    probe.expect(users["viewer"]["email"] not in remaining and users["developer"]["email"] not in remaining,
                 "a member still listed after leaving or being removed", probe.last)


def check_the_owner_role_needs_an_owner(probe):
    """docs/behaviour.md "backlex — Organization" (Role changes, Removal): granting or taking away owner, and removing an owner, need an owner (403)."""
    slug, users = _team(probe)
    owner = probe.member_id(slug, probe.user()["email"])
    developer = probe.member_id(slug, users["developer"]["email"])
    admin = probe.auth("a", "admin")
    for what, method, path, body in (
            ("an admin makes the developer owner", "PATCH", f"members/{developer}", {"role": "owner"}),
            ("an admin demotes the owner", "PATCH", f"members/{owner}", {"role": "admin"}),
            ("an admin removes the owner", "DELETE", f"members/{owner}", None)):
        refused = probe.call(method, f"{API}/org/{slug}/{path}", admin, body)
        probe.expect_status(refused, 403, what)
    roles = {m.get("email"): m.get("role") for m in probe.members(slug)}
    probe.expect(roles.get(probe.user()["email"]) == "owner" and roles.get(users["developer"]["email"]) == "developer",
                 f"a refused change changed roles: {roles}", probe.last)
    granted = probe.call("PATCH", f"{API}/org/{slug}/members/{developer}", probe.auth(), {"role": "owner"})
    probe.expect_status(granted, 200, "the owner makes the developer owner")
    changed = probe.call("PATCH", f"{API}/org/{slug}/members/{developer}", admin, {"role": "viewer"})
    probe.expect_status(changed, 403, "an admin demotes the new owner")
