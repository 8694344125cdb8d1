"""The project state machine, exhaustively: every action in every state.

An action allowed in a state answers 2xx and moves (or keeps) the state as the table in
``_projects`` says; any other state answers 409 with the state and the allowed states, and
changes nothing. A deleted project answers 404 to every action.
"""

from __future__ import annotations

import pytest

from handlers.backlex import _projects
from handlers.backlex.store import Backup, Project
from spec_server import clock
from spec_server.db import database
from tests.backlex.project_helpers import as_role, create_project, force_state, org_a

STATES = ("provisioning", "active", "failed", "paused")

# action -> (method, path suffix, body, {state it runs in: state after})
ACTIONS = {
    "pause": ("post", "/pause", None, {"active": "paused"}),
    "resume": ("post", "/resume", None, {"paused": "active"}),
    "provision-retry": ("post", "/provision-retry", None, {"failed": "active"}),  # the job then runs inline
    "reprovision-admin": ("post", "/reprovision-admin", None, {"active": "active"}),
    "upgrade": ("post", "/upgrade", None, {"active": "active"}),
    "backup": ("post", "/backups", {"kind": "manual"}, {"active": "active", "paused": "paused"}),
    "restore-backup": ("post", "/backups/{backup}/restore", None, {"active": "active"}),
    "restore-pitr": ("post", "/restore", "pitr", {"active": "active"}),
    "branch": ("post", "/branches", {"name": "feature/x"}, {"active": "active"}),
    "delete": ("delete", "", None, {state: "deleted" for state in STATES}),
}


@pytest.fixture
def project(client, tenants):
    org = org_a(client, tenants)
    created = create_project(client, tenants, org["slug"])
    with database.connection_context():
        backup = Backup.create(project=created["id"], kind="manual", created_at=clock.now_ms() - 1000)
    clock.advance(5)
    return {"org": org["slug"], "id": created["id"], "backup": backup.id}


def _call(client, tenants, project, action):
    method, suffix, body, _ = ACTIONS[action]
    path = f"/api/org/{project['org']}/projects/storefront" + suffix.replace("{backup}", project["backup"])
    kwargs = {}
    if body == "pitr":
        kwargs["json"] = {"timestamp": clock.now_ms() - 2000}
    elif body is not None:
        kwargs["json"] = body
    if action == "upgrade":
        kwargs["params"] = {"version": _projects.LATEST_TEMPLATE_VERSION}
    return getattr(client, method)(path, cookies=as_role(tenants), **kwargs)


def _status(project_id):
    with database.connection_context():
        return Project.get_by_id(project_id).status


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_in_state(client, tenants, project, action, state):
    force_state(project["id"], state)
    response = _call(client, tenants, project, action)
    allowed = ACTIONS[action][3]
    if state in allowed:
        assert response.status_code in (200, 201), response.text
        assert _status(project["id"]) == allowed[state]
    else:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "CONFLICT"
        assert error["details"]["state"] == state
        assert set(error["details"]["allowed"]) == set(allowed)
        assert _status(project["id"]) == state


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_deleted_project_answers_404(client, tenants, project, action):
    assert client.delete(f"/api/org/{project['org']}/projects/storefront", cookies=as_role(tenants)).status_code == 200
    assert _call(client, tenants, project, action).status_code == 404


def test_table_matches_the_code():
    """The test's table and the code's table describe the same machine."""
    code = {"pause": "pause", "resume": "resume", "provision-retry": "provision_retry",
            "reprovision-admin": "reprovision_admin", "upgrade": "upgrade", "backup": "backup",
            "restore-backup": "restore", "restore-pitr": "restore", "branch": "branch", "delete": "delete"}
    for action, name in code.items():
        assert set(ACTIONS[action][3]) == set(_projects.allowed_states(name)), action
    assert _projects.TRANSITIONS["provisioned"] == {"provisioning": "active"}
    assert _projects.TRANSITIONS["provision_failed"] == {"provisioning": "failed"}
