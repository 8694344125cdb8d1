"""Projects: creation (slug, region, plan limit), reads, updates, soft delete, provisioning jobs."""

from __future__ import annotations

import pytest

from handlers.backlex import _projects
from handlers.backlex.store import AuditEvent, Deploy, Project, UsageRecord
from spec_server import clock
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, get_project, org_a, set_plan
from tests.support import current_database_url


@pytest.fixture
def org(client, tenants):
    return org_a(client, tenants)


def test_create_derives_slug_and_region_then_provisions(client, tenants, org):
    created = create_project(client, tenants, org["slug"], name="  Shop Front Ünïcode  ")
    assert created["slug"] == "shop-front-unicode"
    assert created["name"] == "Shop Front Ünïcode"
    assert created["status"] == "provisioning"  # the answer is written before the job runs
    assert created["primaryRegion"] == org["defaultRegion"]
    project = get_project(client, tenants, org["slug"], created["slug"])
    assert project["status"] == "active"
    assert project["templateVersion"] == _projects.LATEST_TEMPLATE_VERSION
    with database.connection_context():
        actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.created_at)]
        deploys = list(Deploy.select().where(Deploy.project == created["id"]))
    assert "project.created" in actions and "project.provisioned" in actions
    assert [(d.kind, d.status) for d in deploys] == [("provision", "succeeded")]


def test_explicit_region_and_template(client, tenants, org):
    created = create_project(client, tenants, org["slug"], name="Edge", region="syd", template="blog")
    assert created["primaryRegion"] == "syd"
    assert created["template"] == "blog"


def test_get_reports_latest_template_version(client, tenants, org):
    create_project(client, tenants, org["slug"])
    response = client.get(f"/api/org/{org['slug']}/projects/storefront", cookies=as_role(tenants, "viewer"))
    assert response.status_code == 200
    assert response.json()["latestTemplateVersion"] == _projects.LATEST_TEMPLATE_VERSION


def test_slug_unique_among_live_projects(client, tenants, org):
    create_project(client, tenants, org["slug"], name="Storefront")
    again = client.post(f"/api/org/{org['slug']}/projects", json={"name": "storefront!"}, cookies=as_role(tenants))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    assert client.delete(f"/api/org/{org['slug']}/projects/storefront", cookies=as_role(tenants)).status_code == 200
    # deleting frees the slug
    assert create_project(client, tenants, org["slug"], name="Storefront")["slug"] == "storefront"


def test_blank_name_is_422(client, tenants, org):
    response = client.post(f"/api/org/{org['slug']}/projects", json={"name": "   "}, cookies=as_role(tenants))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION"


def test_plan_limit_on_project_count(client, tenants, org):
    set_plan(org["id"], "free")  # 2 projects
    create_project(client, tenants, org["slug"], name="One")
    create_project(client, tenants, org["slug"], name="Two")
    third = client.post(f"/api/org/{org['slug']}/projects", json={"name": "Three"}, cookies=as_role(tenants))
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "PLAN_LIMIT"
    assert third.json()["error"]["details"] == {"plan": "free", "limit": 2}
    # a deleted project no longer counts
    client.delete(f"/api/org/{org['slug']}/projects/one", cookies=as_role(tenants))
    assert create_project(client, tenants, org["slug"], name="Three")["slug"] == "three"


def test_list_newest_first_without_deleted(client, tenants, org):
    create_project(client, tenants, org["slug"], name="Older")
    clock.advance(1)
    create_project(client, tenants, org["slug"], name="Newer")
    clock.advance(1)
    create_project(client, tenants, org["slug"], name="Gone")
    client.delete(f"/api/org/{org['slug']}/projects/gone", cookies=as_role(tenants))
    listed = client.get(f"/api/org/{org['slug']}/projects", cookies=as_role(tenants, "viewer")).json()["projects"]
    assert [p["slug"] for p in listed] == ["newer", "older"]


def test_patch_changes_name_and_environment_not_slug(client, tenants, org):
    created = create_project(client, tenants, org["slug"])
    response = client.patch(f"/api/org/{org['slug']}/projects/storefront",
                            json={"name": "Store Front 2", "environment": "staging"},
                            cookies=as_role(tenants, "developer"))
    assert response.status_code == 200, response.text
    project = response.json()["project"]
    assert (project["name"], project["environment"], project["slug"]) == ("Store Front 2", "staging", "storefront")
    assert project["updatedAt"] > created["updatedAt"]


def test_soft_delete_hides_but_keeps_usage_history(client, tenants, org):
    from handlers.backlex import _usage
    from handlers.backlex.store import Org

    created = create_project(client, tenants, org["slug"])
    with database.connection_context():
        _usage.record_usage(Org.get_by_id(org["id"]), Project.get_by_id(created["id"]), "requests", 42)
    assert client.delete(f"/api/org/{org['slug']}/projects/storefront", cookies=as_role(tenants, "admin")).json() == {"ok": True}
    base = f"/api/org/{org['slug']}/projects/storefront"
    for method, path in (("get", base), ("patch", base), ("delete", base), ("post", base + "/pause"),
                         ("get", base + "/backups"), ("get", base + "/deploys")):
        kwargs = {"json": {"name": "xx"}} if method == "patch" else {}
        response = getattr(client, method)(path, cookies=as_role(tenants), **kwargs)
        assert response.status_code == 404, (method, path)
    with database.connection_context():
        assert UsageRecord.select().where(UsageRecord.project_id == created["id"]).count() == 1
        assert Project.get_by_id(created["id"]).status == "deleted"


def test_unknown_project_is_404(client, tenants, org):
    response = client.get(f"/api/org/{org['slug']}/projects/nope", cookies=as_role(tenants))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_reprovision_admin_shows_new_credential_once(client, tenants, org):
    create_project(client, tenants, org["slug"])
    path = f"/api/org/{org['slug']}/projects/storefront/reprovision-admin"
    first = client.post(path, cookies=as_role(tenants, "admin")).json()["project"]["adminCredential"]
    second = client.post(path, cookies=as_role(tenants, "admin")).json()["project"]["adminCredential"]
    assert first.startswith("bxadm_") and second.startswith("bxadm_") and first != second
    assert "adminCredential" not in get_project(client, tenants, org["slug"], "storefront")
    with database.connection_context():
        from spec_server import credentials

        stored = Project.get(Project.slug == "storefront").admin_credential_digest
    assert credentials.matches(stored, second) and not credentials.matches(stored, first)


def test_upgrade_outcomes(client, tenants, org):
    create_project(client, tenants, org["slug"])
    path = f"/api/org/{org['slug']}/projects/storefront/upgrade"
    latest = _projects.LATEST_TEMPLATE_VERSION
    skipped = client.post(path, cookies=as_role(tenants, "developer")).json()
    assert skipped["status"] == "skipped" and skipped["from"] == skipped["to"] == latest and skipped["reason"]
    down = client.post(path, params={"version": _projects.TEMPLATE_VERSIONS[0]}, cookies=as_role(tenants)).json()
    assert down == {"status": "upgraded", "from": latest, "to": _projects.TEMPLATE_VERSIONS[0]}
    up = client.post(path, cookies=as_role(tenants)).json()
    assert up == {"status": "upgraded", "from": _projects.TEMPLATE_VERSIONS[0], "to": latest}
    assert get_project(client, tenants, org["slug"], "storefront")["templateVersion"] == latest
    unknown = client.post(path, params={"version": "9.9.9"}, cookies=as_role(tenants))
    assert unknown.status_code == 422


def test_upgrade_failure_is_reported(client, tenants, org, monkeypatch):
    create_project(client, tenants, org["slug"])
    path = f"/api/org/{org['slug']}/projects/storefront/upgrade"

    def broken(project, version):
        raise _projects.ProvisioningError("worker bundle rejected")

    monkeypatch.setattr(_projects, "deploy_worker", broken)
    outcome = client.post(path, params={"version": _projects.TEMPLATE_VERSIONS[0]}, cookies=as_role(tenants)).json()
    assert outcome["status"] == "failed"
    assert outcome["from"] == _projects.LATEST_TEMPLATE_VERSION and outcome["to"] == _projects.TEMPLATE_VERSIONS[0]
    assert outcome["reason"] and outcome["error"] == "worker bundle rejected"
    assert get_project(client, tenants, org["slug"], "storefront")["templateVersion"] == _projects.LATEST_TEMPLATE_VERSION


def test_provisioning_failure_then_retry(client, tenants, org, monkeypatch):
    def no_database(project):
        raise _projects.ProvisioningError("D1 quota exhausted in region")

    monkeypatch.setattr(_projects, "PROVISIONING_STEPS", [no_database])
    create_project(client, tenants, org["slug"])
    failed = get_project(client, tenants, org["slug"], "storefront")
    assert failed["status"] == "failed"
    assert failed["failureReason"] == "D1 quota exhausted in region"
    monkeypatch.setattr(_projects, "PROVISIONING_STEPS", [_projects.create_database, _projects.deploy_worker])
    retried = client.post(f"/api/org/{org['slug']}/projects/storefront/provision-retry", cookies=as_role(tenants, "developer"))
    assert retried.status_code == 200
    assert retried.json()["project"]["status"] == "provisioning"
    assert get_project(client, tenants, org["slug"], "storefront")["status"] == "active"
    assert get_project(client, tenants, org["slug"], "storefront")["failureReason"] is None


def test_provision_job_runs_at_most_once(client, tenants, org):
    created = create_project(client, tenants, org["slug"])
    with database.connection_context():
        assert _projects.provision.call_local(created["id"]) is None  # already active: a no-op
        assert Deploy.select().where(Deploy.project == created["id"]).count() == 1


def test_errors_ingested_and_listed_newest_first(client, tenants, org):
    created = create_project(client, tenants, org["slug"])
    with database.connection_context():
        _projects.ingest_error(created["id"], "TypeError: x is undefined", path="/api/cart")
        clock.advance(1)
        _projects.ingest_error(created["id"], "RangeError", stack="at main.js:1")
    errors = client.get(f"/api/org/{org['slug']}/projects/storefront/errors", cookies=as_role(tenants, "viewer")).json()["errors"]
    assert [e["message"] for e in errors] == ["RangeError", "TypeError: x is undefined"]
    assert errors[1]["path"] == "/api/cart"


def test_ingest_error_command(client, tenants, org, tmp_path, capsys):
    from spec_server import cli, db

    created = create_project(client, tenants, org["slug"])
    url = current_database_url()
    assert cli.main(["ingest-error", created["id"], "Worker crashed", "--path", "/x", "--database", url]) == 0
    assert cli.main(["ingest-error", "no-such-project", "x", "--database", url]) == 1
    db.open_database(url)
    errors = client.get(f"/api/org/{org['slug']}/projects/storefront/errors", cookies=as_role(tenants)).json()["errors"]
    assert [(e["message"], e["path"]) for e in errors] == [("Worker crashed", "/x")]
