"""backlex's state machines: every action refused (409) in every state that does not allow it,
and allowed where it is; the last owner kept."""

from __future__ import annotations

from urllib.parse import urlparse

from spec_server import clock

API = "/api"

# docs/behaviour.md "backlex — Projects" (State machine) and README "backlex projects and jobs":
# the states each action is valid in (a copy, so the server's own table can be checked)
VALID_IN = {
    "pause": {"active"},
    "resume": {"paused"},
    "provision-retry": {"failed"},
    "reprovision-admin": {"active"},
    "upgrade": {"active"},
    "backups": {"active", "paused"},
    "restore": {"active"},
    "backup-restore": {"active"},
    "branches": {"active"},
}


def _action(probe, base: str, action: str, backup_id: str | None):
    path = {"backup-restore": f"{base}/backups/{backup_id}/restore"}.get(action, f"{base}/{action}")
    body = {"backups": {}, "branches": {"name": probe.marker("st")},
            "restore": {"timestamp": clock.now_ms() - 60_000}}.get(action)
    return probe.call("POST", path, probe.auth(), body)


def _refused_in(probe, slug: str, project: str, state: str, backup_id: str | None) -> None:
    base = f"{API}/org/{slug}/projects/{project}"
    for action, valid in VALID_IN.items():
        if state in valid:
            continue
        answer = _action(probe, base, action, backup_id)
        details = (probe.json(answer).get("error") or {}).get("details") or {}
        probe.expect(answer.status_code == 409 and details.get("state") == state
                     and set(details.get("allowed") or ()) == valid,
                     f"{action} on a {state} project: {answer.status_code} {details}, expected 409 with "
                     f"details {{state: {state}, allowed: {sorted(valid)}}}", answer)
        now = probe.json(probe.call("GET", base, probe.auth())).get("project", {}).get("status")
        probe.expect(now == state, f"the refused {action} moved the project from {state} to {now}", probe.last)


def check_project_actions_by_state(probe):
    """docs/behaviour.md "backlex — Projects" (State machine): "An action invalid in the current state is 409 CONFLICT with details: {state, allowed}".

    A fresh project, active: every action not valid there refused and the state kept; a
    backup, then pause; paused: the same; a backup (valid when paused), resume; deleted: 404."""
    slug = probe.new_org()["slug"]
    project = probe.new_project(slug)
    if project.get("status") != "active":
        probe.stop(f"the new project is {project.get('status')}, not active")
    base = f"{API}/org/{slug}/projects/{project['slug']}"
    backup = probe.require(probe.call("POST", f"{base}/backups", probe.auth(), {}), 201, "back up an active project")
    backup_id = backup["backup"]["id"]
    _refused_in(probe, slug, project["slug"], "active", backup_id)
    paused = probe.call("POST", f"{base}/pause", probe.auth())
    probe.expect(probe.json(paused).get("project", {}).get("status") == "paused", "pause did not pause", paused)
    _refused_in(probe, slug, project["slug"], "paused", backup_id)
    probe.expect_status(probe.call("POST", f"{base}/backups", probe.auth(), {}), 201, "a backup of a paused project")
    resumed = probe.call("POST", f"{base}/resume", probe.auth())
    probe.expect(probe.json(resumed).get("project", {}).get("status") == "active", "resume did not resume", resumed)
    probe.require(probe.call("DELETE", base, probe.auth()), 200, "delete the project")
    for action in ("resume", "pause", "backups"):
        probe.expect_status(_action(probe, base, action, backup_id), 404, f"{action} on a deleted project")
    probe.expect_status(probe.call("GET", base, probe.auth()), 404, "GET a deleted project")


def _complete(probe, url: str):
    """The local payment engine's Pay button: a POST to the checkout URL (its path, on this target)."""
    return probe.call("POST", urlparse(url).path)


def check_subscription_states(probe):
    """docs/behaviour.md "backlex — Billing": cancel/resume/checkout refused (409) in the states that do not allow them; cancel at period end, resume until then."""
    slug = probe.new_org()["slug"]
    base = f"{API}/org/{slug}/billing"
    for action in ("cancel", "resume"):
        probe.expect_status(probe.call("POST", f"{base}/subscription/{action}", probe.auth()), 409,
                            f"{action} without a subscription")
    url = probe.require(probe.call("POST", f"{base}/checkout", probe.auth(), {"plan": "pro", "interval": "monthly"}),
                        200, "start a checkout")["url"]
    probe.expect(probe.json(probe.call("GET", base, probe.auth())).get("plan") == "free",
                 "starting a checkout changed the plan before it was paid", probe.last)
    probe.expect_status(_complete(probe, url), 200, "pay the checkout")
    probe.expect_status(_complete(probe, url), 409, "pay the same checkout again")
    billing = probe.json(probe.call("GET", base, probe.auth()))
    probe.expect(billing.get("plan") == "pro" and (billing.get("subscription") or {}).get("status") == "active",
                 f"after paying: plan {billing.get('plan')}, subscription {billing.get('subscription')}", probe.last)
    probe.expect_status(probe.call("POST", f"{base}/checkout", probe.auth(), {"plan": "pro"}), 409,
                        "checkout for the plan the org already has")
    probe.expect_status(probe.call("POST", f"{base}/subscription/resume", probe.auth()), 409, "resume an active one")
    cancelled = probe.call("POST", f"{base}/subscription/cancel", probe.auth())
    body = probe.json(cancelled)
    probe.expect(cancelled.status_code == 200 and body.get("status") == "canceling" and body.get("endsAt"),
                 f"cancel: {cancelled.status_code} {body}, expected canceling with endsAt", cancelled)
    probe.expect_status(probe.call("POST", f"{base}/subscription/cancel", probe.auth()), 409, "cancel twice")
    probe.expect_status(probe.call("POST", f"{base}/checkout", probe.auth(), {"plan": "pro"}), 409,
                        "checkout for the cancelled plan (resume instead)")
    resumed = probe.call("POST", f"{base}/subscription/resume", probe.auth())
    probe.expect(resumed.status_code == 200 and probe.json(resumed) == {"status": "active", "endsAt": None},
                 f"resume: {resumed.status_code} {resumed.text[:200]}", resumed)
    probe.expect_status(probe.call("POST", f"{base}/subscription/resume", probe.auth()), 409, "resume twice")


def check_invitation_states(probe):
    """docs/behaviour.md "backlex — Organization" (Invitations, Resend): inviting a member or a pending email is 409; resend is for pending seats only."""
    slug = probe.new_org()["slug"]
    email = f"{probe.marker('i')}@invited.example"
    invite = {"email": email, "role": "viewer"}
    probe.require(probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), invite), 201, "invite")
    probe.expect_status(probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), invite), 409, "invite twice")
    owner = probe.user()["email"]
    probe.expect_status(probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(),
                                   {"email": owner, "role": "viewer"}), 409, "invite an active member")
    pending = probe.member_id(slug, email)
    probe.expect_status(probe.call("POST", f"{API}/org/{slug}/members/{pending}/resend", probe.auth()), 200,
                        "resend a pending invitation")
    active = probe.member_id(slug, owner)
    probe.expect_status(probe.call("POST", f"{API}/org/{slug}/members/{active}/resend", probe.auth()), 409,
                        "resend to an active member")


def check_the_last_owner_is_kept(probe):
    """docs/behaviour.md "backlex — Organization" (Last owner): "demoting, removing or leaving as the org's last active owner is 409"."""
    slug = probe.new_org()["slug"]
    me = probe.member_id(slug, probe.user()["email"])
    probe.expect_status(probe.call("PATCH", f"{API}/org/{slug}/members/{me}", probe.auth(), {"role": "admin"}), 409,
                        "the last owner demotes themselves")
    probe.expect_status(probe.call("DELETE", f"{API}/org/{slug}/members/{me}", probe.auth()), 409,
                        "the last owner leaves")
    roles = {m.get("email"): m.get("role") for m in probe.members(slug)}
    probe.expect(roles.get(probe.user()["email"]) == "owner", "the last owner lost the role", probe.last)
    if probe.target.remote:
        return  # a second owner needs a seat only the in-process run can give
    admin = probe.seat({"id": _org_id(probe, slug)}, "a", "admin")
    second = probe.member_id(slug, admin["email"])
    probe.require(probe.call("PATCH", f"{API}/org/{slug}/members/{second}", probe.auth(), {"role": "owner"}), 200,
                  "make a second owner")
    probe.expect_status(probe.call("DELETE", f"{API}/org/{slug}/members/{me}", probe.auth()), 204,
                        "an owner leaves while another owner stays")


def check_names_unique_where_documented(probe):
    """docs/behaviour.md "backlex — Projects" (Create, Domains, Who holds a hostname, Branches, Alarms): a live project's slug, a hostname per org (another org's pending claim blocks nobody: 201), a branch per project, an alarm per metric: 409."""
    slug = probe.new_org()["slug"]
    name = f"Unique {probe.marker()}"
    project = probe.new_project(slug, name)
    probe.expect_status(probe.call("POST", f"{API}/org/{slug}/projects", probe.auth(), {"name": name}), 409,
                        "a second project of the same name (slug)")
    base = f"{API}/org/{slug}/projects/{project['slug']}"
    host = f"{probe.marker('d')}.example.com"
    for path, body in ((f"{base}/branches", {"name": probe.marker("br")}),
                       (f"{base}/alarms", {"metric": "r2", "thresholdPct": 50})):
        probe.require(probe.call("POST", path, probe.auth(), body), 201, f"create {path.rsplit('/', 1)[-1]}")
        probe.expect_status(probe.call("POST", path, probe.auth(), body), 409, f"the same {path.rsplit('/', 1)[-1]} again")
    probe.require(probe.call("POST", f"{base}/domains", probe.auth(), {"hostname": host}), 201, "add a domain")
    sibling = probe.new_project(slug, f"Sibling {probe.marker()}")
    probe.expect_status(probe.call("POST", f"{API}/org/{slug}/projects/{sibling['slug']}/domains", probe.auth(),
                                   {"hostname": host.upper()}), 409, "the org claims the same hostname again")
    # "Who holds a hostname": a pending claim blocks nobody, and nothing tells org B of org A's
    other = f"{API}/org/{probe.org('b')}/projects/{probe.project('b')}/domains"
    probe.expect_status(probe.call("POST", other, probe.auth("b"), {"hostname": host.upper()}), 201,
                        "another org claims a hostname only claimed (not verified) elsewhere")
    probe.require(probe.call("DELETE", base, probe.auth()), 200, "delete the project")
    again = probe.call("POST", f"{API}/org/{slug}/projects", probe.auth(), {"name": name})
    probe.expect_status(again, 201, "a deleted project frees its slug")


def _org_id(probe, slug: str) -> str:
    orgs = probe.json(probe.call("GET", f"{API}/orgs", probe.auth())).get("orgs", [])
    return next(o["id"] for o in orgs if o.get("slug") == slug)
