"""Every backlex operation × every role: the role gate of ``_permissions`` holds everywhere.

For each org-scoped operation: a non-member (and a member of another org) gets 404 for the org,
a member below the operation's minimum role 403, and every allowed role gets past the gate
(never 401/403, never the org's 404). Operations of areas not built yet may answer 501 after the
gate; this area's operations may not. Without a session every operation is 401.
"""

from __future__ import annotations

import re

import pytest

from generated.backlex.operations import OPERATIONS
from handlers.backlex._permissions import MINIMUM_ROLE, ROLE_RANK
from handlers.backlex.store import Member
from spec_server import clock
from spec_server.db import database
from tests.backlex.org_helpers import member_id, team_org
from tests.support import documented_operations

# a valid body for every operation that takes one, so validation (which runs first) passes
BODIES = {
    "post_org": {"name": "Matrix Org"},
    "post_invitations_accept": {"token": "inv_unknown"},
    "patch_account": {"name": "Someone"},
    "patch_org": {"name": "Renamed Org"},
    "patch_org_member": {"role": "developer"},
    "post_org_invitations": {"email": "invitee@x.example", "role": "viewer"},
    "post_org_projects": {"name": "Matrix Project"},
    "patch_org_project": {"name": "Renamed Project"},
    "post_org_project_backups": {"kind": "manual"},
    "post_org_project_restore": {"timestamp": 1_700_000_000_000},
    "post_org_project_domains": {"hostname": "app.matrix.example"},
    "post_org_project_branches": {"name": "feature-x"},
    "post_org_project_alarms": {"metric": "requests", "thresholdPct": 80},
    "post_org_api_keys": {"name": "ci", "scope": "read-only"},
    "post_org_integrations": {"kind": "slack", "config": {"webhookUrl": "https://hooks.slack.example/x"}},
    "post_org_webhooks": {"url": "https://hooks.matrix.example/in", "events": ["project.created"]},
    "put_org_sso": {"type": "saml", "config": {"metadataUrl": "https://idp.matrix.example/metadata"}},
    "post_org_billing_checkout": {"plan": "pro"},
    "post_org_billing_packs_checkout": {"type": "requests"},
}

# handlers that refine the table: anyone may leave, but removing another member needs admin
EFFECTIVE_MINIMUM = {**MINIMUM_ROLE, "delete_org_member": "admin"}

THIS_AREA = {"Organization", "Enterprise SSO", "Billing"} | {
    "post_invitations_accept", "get_org_notifications", "post_org_notification_read",
    "post_org_notifications_read_all"}

ORG_OPERATIONS = [op for op in OPERATIONS if "{slug}" in op.path]
ROLES_ASCENDING = sorted(ROLE_RANK, key=ROLE_RANK.get)


def ours(op) -> bool:
    return op.tag in THIS_AREA or op.operation_id in THIS_AREA


def test_every_org_operation_is_in_the_permission_table():
    assert {op.operation_id for op in ORG_OPERATIONS} == set(MINIMUM_ROLE)
    assert {(op.method, op.path) for op in OPERATIONS} == documented_operations("backlex")


def _pending_seat(org: dict) -> str:
    with database.connection_context():
        return Member.create(org=org["id"], email="pending@x.example", role="viewer", status="pending",
                             created_at=clock.now_ms(), invite_expires_at=clock.now_ms() + 10**9).id


def _path(op, org: dict, ids: dict) -> str:
    path = op.path.replace("{slug}", org["slug"])
    if op.operation_id in ids:
        path = path.replace("{id}", ids[op.operation_id])
    return re.sub(r"\{[^}]+\}", "missing-id", path)


def _call(client, op, path, cookies):
    return client.request(op.method, path, json=BODIES.get(op.operation_id), cookies=cookies)


def _is_org_not_found(response) -> bool:
    return response.status_code == 404 and response.json()["error"]["message"] == "Organization not found"


@pytest.mark.parametrize("op", ORG_OPERATIONS, ids=lambda op: op.operation_id)
def test_role_gate(client, tenants, op):
    org = team_org(client, tenants)
    pending = _pending_seat(org)
    ids = {"patch_org_member": member_id(org, "viewer@a.example"), "delete_org_member": pending,
           "post_org_member_resend": pending}
    path = _path(op, org, ids)
    for stranger in ("outsider@c.example", "owner@b.example"):
        response = _call(client, op, path, tenants.bx_session(stranger))
        assert _is_org_not_found(response), (stranger, response.status_code, response.text)
    minimum = EFFECTIVE_MINIMUM[op.operation_id]
    for role in ROLES_ASCENDING:
        response = _call(client, op, path, tenants.bx_session(f"{role}@a.example"))
        if ROLE_RANK[role] < ROLE_RANK[minimum]:
            assert response.status_code == 403, (role, response.status_code, response.text)
            assert response.json()["error"]["code"] == "FORBIDDEN"
        else:
            assert response.status_code not in (401, 403), (role, response.status_code, response.text)
            assert not _is_org_not_found(response), (role, response.text)
            assert response.status_code < 500 or (response.status_code == 501 and not ours(op)), \
                (role, response.status_code, response.text)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
def test_no_session_is_401(client, tenants, op):
    path = re.sub(r"\{[^}]+\}", "x", op.path)
    response = client.request(op.method, path, json=BODIES.get(op.operation_id))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
