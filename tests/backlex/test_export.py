"""Export: every live project with its SQL dump file name, and when."""

from __future__ import annotations

from spec_server import clock
from tests.backlex.org_helpers import make_project, team_org


def test_export_lists_live_projects_with_dump_names(client, tenants):
    org = team_org(client, tenants)
    make_project(org, "web")
    make_project(org, "api")
    make_project(org, "gone", deleted=True)
    response = client.post(f"/api/org/{org['slug']}/export", cookies=tenants.bx_session("admin@a.example"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["slug"] for p in body["projects"]] == ["api", "web"]
    assert all(p["filename"].startswith(f"{org['slug']}-{p['slug']}-") and p["filename"].endswith(".sql")
               for p in body["projects"])
    assert abs(clock.parse_iso(body["exportedAt"]) - clock.now_ms()) < 60_000


def test_export_of_an_org_without_projects_is_empty(client, tenants):
    org = team_org(client, tenants)
    body = client.post(f"/api/org/{org['slug']}/export", cookies=tenants.bx_session()).json()
    assert body["projects"] == [] and body["exportedAt"]


def test_export_is_for_admins(client, tenants):
    org = team_org(client, tenants)
    assert client.post(f"/api/org/{org['slug']}/export",
                       cookies=tenants.bx_session("developer@a.example")).status_code == 403
