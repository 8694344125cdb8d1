"""Tenant isolation of lists, counts and exports: nothing of org B in any answer org A gets."""

from __future__ import annotations

from conformance.behaviour import leaks

API = "/api"
FILLABLE = {"slug", "projectSlug"}


def _org_b_data(probe) -> dict[str, str]:
    """Org B gets something in every list (a project with a backup, a branch, a domain and an
    alarm; a webhook with a delivery, an API key, an integration, an invitation); the values A
    must never see."""
    slug, project = probe.org("b"), probe.project("b")
    auth = probe.auth("b")
    marker = probe.marker("onlyb")
    base = f"{API}/org/{slug}"
    made = {}
    for name, path, body, key in (
            ("B's backup id", f"{base}/projects/{project}/backups", {}, "backup"),
            ("B's branch name", f"{base}/projects/{project}/branches", {"name": marker}, "branch"),
            ("B's domain", f"{base}/projects/{project}/domains", {"hostname": f"{marker}.example.com"}, "domain"),
            ("B's alarm id", f"{base}/projects/{project}/alarms", {"metric": "d1", "thresholdPct": 90}, "alarm"),
            ("B's webhook id", f"{base}/webhooks", {"url": f"https://{marker}.invalid/hook", "events": ["nothing.*"]},
             "webhook"),
            ("B's API key id", f"{base}/api-keys", {"name": f"B key {marker}", "scope": "full"}, "key"),
            ("B's integration id", f"{base}/integrations", {"kind": "github", "config": {"installationId": 7}},
             "integration"),
            ("B's invitation", f"{base}/invitations", {"email": f"{marker}@invited.example", "role": "viewer"}, "invite")):
        answer = probe.call("POST", path, auth, body)
        if answer.status_code not in (201, 409):  # 409: this run's org B already holds one (an alarm per metric)
            probe.stop(f"org B could not create {key}", answer)
        made[name] = str((probe.json(answer).get(key) or {}).get("id", ""))
    # one delivery of B's webhook (its test; the target does not resolve, so it fails at once)
    webhook = made["B's webhook id"]
    tested = probe.call("POST", f"{base}/webhooks/{webhook}/test", auth)
    made["B's delivery id"] = str(probe.json(tested).get("deliveryId") or "")
    shown = probe.json(probe.call("GET", f"{base}/projects/{project}", auth)).get("project", {})
    orgs = probe.json(probe.call("GET", f"{API}/orgs", auth)).get("orgs", [])
    org: dict = next((o for o in orgs if o.get("slug") == slug), {})
    return {**made, "B's marker": marker, "B's org id": org.get("id", ""), "B's org slug": slug,
            "B's org name": org.get("name", ""), "B's project id": shown.get("id", ""), "B's project slug": project,
            "B's owner's email": probe.user("b")["email"]}


def check_no_list_shows_another_org(probe):
    """docs/behaviour.md "backlex — Organization" (and README "backlex roles": a non-member gets 404 for the org): org A's lists, counts, usage, audit and export hold nothing of org B.

    Every GET of the document that needs only the org (and its project), called by A's owner on
    A's org and A's project, plus ``GET /orgs``, ``GET /account``, the deliveries filtered by
    B's webhook and ``POST /org/{slug}/export``: no answer holds any of B's ids or names."""
    secrets = _org_b_data(probe)
    values = {"slug": probe.org(), "projectSlug": probe.project()}
    calls = [("POST", f"{API}/org/{values['slug']}/export", {}),
             ("GET", f"{API}/org/{values['slug']}/webhook-deliveries", {"webhookId": secrets["B's webhook id"]})]
    for found in probe.schema.get_all_operations():
        operation = found.ok()
        names = {part[1:-1] for part in operation.path.split("/") if part.startswith("{")}
        if operation.method.upper() == "GET" and names <= FILLABLE:
            path = operation.path
            for name in names:
                path = path.replace("{" + name + "}", values[name])
            calls.append(("GET", API + path, {}))
    for method, path, params in calls:
        response = probe.call(method, path, probe.auth(), params=params)
        leaked = leaks(response.text, secrets)
        probe.expect(not leaked, f"org A's {method} {path}: the answer holds {', '.join(leaked)}", response)
