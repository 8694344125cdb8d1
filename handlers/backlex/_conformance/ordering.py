"""backlex lists come back in the order docs/behaviour.md states."""

from __future__ import annotations

from conformance.behaviour import out_of_order

API = "/api"


def check_overview_projects_newest_first(probe):
    """docs/behaviour.md "backlex — Account": "Overview lists the org's live projects, newest first"."""
    org = probe.new_org()
    made = []
    for _ in range(2):
        probe.tick()
        made.append(probe.new_project(org["slug"])["id"])
    overview = probe.call("GET", f"{API}/org/{org['slug']}/overview", probe.auth())
    body = probe.json(overview)
    shown = [p["id"] for p in body.get("projects", [])]
    probe.expect(shown == made[::-1], f"overview projects {shown}, expected newest first {made[::-1]}", overview)
    probe.expect(body.get("projectCount") == len(made), f"projectCount {body.get('projectCount')}", overview)


def check_members_oldest_first(probe):
    """docs/behaviour.md "backlex — Organization": members "active members and pending invitations, oldest first"."""
    org = probe.new_org()
    invited = []
    for n in range(2):
        probe.tick()
        email = f"{probe.marker('m')}{n}@invited.example"
        probe.require(probe.call("POST", f"{API}/org/{org['slug']}/invitations", probe.auth(),
                                 {"email": email, "role": "viewer"}), 201, "invite")
        invited.append(email)
    members = probe.members(org["slug"])
    probe.expect([m.get("email") for m in members] == [probe.user()["email"], *invited],
                 f"members {[m.get('email') for m in members]}, expected the owner then the invitations in order",
                 probe.last)
    probe.expect(out_of_order(members, key=lambda m: m["createdAt"]) is None, "createdAt decreases along the list",
                 probe.last)


def check_audit_newest_first(probe):
    """docs/behaviour.md "backlex — Organization": the audit log is "newest first"."""
    org = probe.new_org()
    for n in range(2):
        probe.tick()
        probe.require(probe.call("PATCH", f"{API}/org/{org['slug']}", probe.auth(), {"name": f"Renamed {n}"}), 200,
                      "rename the org")
    events = probe.audit(org["slug"])
    actions = [(e.get("action"), (e.get("metadata") or {}).get("after", {}).get("name")) for e in events]
    probe.expect(actions == [("org.updated", "Renamed 1"), ("org.updated", "Renamed 0"), ("org.created", None)],
                 f"audit {actions}, expected newest first", probe.last)
    probe.expect(out_of_order(events, key=lambda e: e["createdAt"], descending=True) is None,
                 "createdAt increases along the audit list", probe.last)


def check_backups_and_deploys_newest_first(probe):
    """docs/behaviour.md "backlex — Projects": backups "Listed newest first", deploys "listed newest first"."""
    slug = probe.org()
    project = probe.project()
    base = f"{API}/org/{slug}/projects/{project}"
    made = []
    for _ in range(2):
        probe.tick()
        made.append(probe.require(probe.call("POST", f"{base}/backups", probe.auth(), {}), 201, "take a backup")
                    ["backup"]["id"])
    backups = probe.json(probe.call("GET", f"{base}/backups", probe.auth())).get("backups", [])
    shown = [b["id"] for b in backups]
    probe.expect(shown[:2] == made[::-1], f"backups {shown[:2]}, expected the newest first {made[::-1]}", probe.last)
    probe.tick()
    branch = probe.require(probe.call("POST", f"{base}/branches", probe.auth(), {"name": probe.marker("b")}), 201,
                           "create a branch")["branch"]
    deploys = probe.json(probe.call("GET", f"{base}/deploys", probe.auth())).get("deploys", [])
    probe.expect(bool(deploys) and deploys[0].get("id") == (branch.get("deploy") or {}).get("id"),
                 "the branch's deploy (the newest) is not listed first", probe.last)
    probe.expect(out_of_order(deploys, key=lambda d: d["createdAt"], descending=True) is None,
                 "deploys' createdAt increases along the list", probe.last)


def check_org_api_keys_newest_first(probe):
    """docs/behaviour.md "backlex — Integrations": org API keys "listed (newest first, revoked ones hidden)"."""
    org = probe.new_org()
    made = []
    for n in range(3):
        probe.tick()
        made.append(probe.require(probe.call("POST", f"{API}/org/{org['slug']}/api-keys", probe.auth(),
                                             {"name": f"key {n}", "scope": "full"}), 201, "create a key")["key"]["id"])
    probe.require(probe.call("DELETE", f"{API}/org/{org['slug']}/api-keys/{made[1]}", probe.auth()), 204, "revoke")
    listed = probe.call("GET", f"{API}/org/{org['slug']}/api-keys", probe.auth())
    shown = [k["id"] for k in probe.json(listed).get("keys", [])]
    probe.expect(shown == [made[2], made[0]], f"keys {shown}, expected {[made[2], made[0]]}", listed)
