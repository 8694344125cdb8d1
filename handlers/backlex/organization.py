"""backlex — Organization: operations tagged 'Organization'."""

from handlers.backlex import _events
from handlers.backlex._api import current_org
from handlers.backlex._views import org_view
from handlers.backlex.store import Org
from spec_server import clock
from spec_server.db import write_transaction
from spec_server.errors import NotImplementedYet

ORG_FIELDS = {"name": "name", "defaultRegion": "default_region", "ipAllowlist": "ip_allowlist",
              "webhookUrl": "webhook_url"}


def delete_org(slug):
    """Soft delete: the org disappears for everyone (404), its slug stays reserved."""
    org = current_org()
    with write_transaction():
        Org.update(deleted_at=clock.now_ms(), status="deleted").where(Org.id == org.id).execute()
        _events.record(org, "org.deleted", target_type="org", target_id=org.id)
    return {"ok": True}, 200


def patch_org(slug, body=None):
    body = body or {}
    org = current_org()
    changes = {column: body[field] for field, column in ORG_FIELDS.items() if field in body}
    if "name" in body:
        changes["name"] = body["name"].strip()
    if "ipAllowlist" in body:
        changes["ip_allowlist"] = [entry.strip() for entry in body["ipAllowlist"]]
    with write_transaction():
        if changes:
            before = {field: getattr(org, column) for field, column in ORG_FIELDS.items() if column in changes}
            Org.update(**changes).where(Org.id == org.id).execute()
            org = Org.get_by_id(org.id)
            after = {field: getattr(org, column) for field, column in ORG_FIELDS.items() if column in changes}
            _events.record(org, "org.updated", target_type="org", target_id=org.id,
                           metadata={"before": before, "after": after})
    return {"org": org_view(org)}, 200


def get_org_audit(**_params):
    """GET /api/org/{slug}/audit"""
    raise NotImplementedYet()


def post_org_export(**_params):
    """POST /api/org/{slug}/export"""
    raise NotImplementedYet()


def post_org_invitations(**_params):
    """POST /api/org/{slug}/invitations"""
    raise NotImplementedYet()


def get_org_members(**_params):
    """GET /api/org/{slug}/members"""
    raise NotImplementedYet()


def delete_org_member(**_params):
    """DELETE /api/org/{slug}/members/{id}"""
    raise NotImplementedYet()


def patch_org_member(**_params):
    """PATCH /api/org/{slug}/members/{id}"""
    raise NotImplementedYet()


def post_org_member_resend(**_params):
    """POST /api/org/{slug}/members/{id}/resend"""
    raise NotImplementedYet()


def get_org_scim(**_params):
    """GET /api/org/{slug}/scim"""
    raise NotImplementedYet()


def delete_org_scim_token(**_params):
    """DELETE /api/org/{slug}/scim/token"""
    raise NotImplementedYet()


def post_org_scim_token(**_params):
    """POST /api/org/{slug}/scim/token"""
    raise NotImplementedYet()


def get_org_usage(**_params):
    """GET /api/org/{slug}/usage"""
    raise NotImplementedYet()


def get_org_usage_history(**_params):
    """GET /api/org/{slug}/usage/history"""
    raise NotImplementedYet()
