"""backlex — Organization: operations tagged 'Organization'."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from generated.backlex import models
from handlers.backlex import (
    _billing,
    _events,
    _invitations,
    _mail,
    _notifications,  # noqa: F401  (subscribes notifications to audit events)
    _plans,
    _usage,
)
from handlers.backlex._api import current_member, current_org
from handlers.backlex._permissions import ROLE_RANK
from handlers.backlex._views import org_view
from handlers.backlex.store import AuditEvent, Member, Org, Project, ScimToken, User
from spec_server import clock, context, credentials, ratelimit
from spec_server.config import settings
from spec_server.db import serialize, write_transaction
from spec_server.errors import Conflict, Forbidden, NotFound, Unprocessable
from spec_server.typed_bodies import with_undeclared

ORG_FIELDS = {"name": "name", "defaultRegion": "default_region", "ipAllowlist": "ip_allowlist",
              "webhookUrl": "webhook_url"}


def delete_org(slug) -> tuple[models.DeleteOrgResponse200, int]:
    """Soft delete: the org disappears for everyone (404), its slug stays reserved."""
    org = current_org()
    with write_transaction():
        Org.update(deleted_at=clock.now_ms(), status="deleted").where(Org.id == org.id).execute()
        _events.record(org, "org.deleted", target_type="org", target_id=org.id)
    return {"ok": True}, 200


def _require_absolute_uri(field: str, value) -> None:
    """``format: uri`` is not checked by the validator: an absolute URI (scheme and rest) or 422."""
    if value is None:
        return
    parsed = urlparse(value)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parsed.scheme or "") or not (parsed.netloc or parsed.path):
        raise Unprocessable("Invalid request body", details={
            "formErrors": [], "fieldErrors": {field: ["Expected an absolute URI"]}})


def patch_org(slug, body=None) -> tuple[models.PatchOrgResponse200, int]:
    body = body or {}
    org = current_org()
    _require_absolute_uri("webhookUrl", body.get("webhookUrl"))
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


# --- members and invitations -------------------------------------------------------------


def _member_in_org(member_id: str) -> Member:
    member = Member.get_or_none((Member.id == member_id) & (Member.org == current_org()))
    if member is None:
        raise NotFound("Member not found")
    return member


def _caller_is_owner() -> bool:
    return current_member().role == "owner"


def _keep_an_owner(org: Org, member: Member) -> None:
    """Refuse to take away the org's last active owner (409)."""
    if member.role != "owner" or member.status != "active":
        return
    owners = Member.select().where((Member.org == org) & (Member.role == "owner")
                                   & (Member.status == "active")).count()
    if owners <= 1:
        raise Conflict("An organization needs at least one owner; make someone else owner first")


def get_org_members(slug) -> tuple[models.GetOrgMembersResponse200, int]:
    members = list(Member.select().where(Member.org == current_org())
                   .order_by(Member.created_at, Member.id))
    user_ids = [m.user_id for m in members if m.user_id]
    users = {u.id: u for u in User.select().where(User.id.in_(user_ids))} if user_ids else {}
    return {"members": [_invitations.member_view(m, users) for m in members]}, 200


def patch_org_member(slug, id_, body) -> tuple[models.PatchOrgMemberResponse200, int]:
    org, role = current_org(), body["role"]
    with write_transaction():
        serialize(f"org-members:{org.id}")
        member = _member_in_org(id_)
        if "owner" in (role, member.role) and role != member.role and not _caller_is_owner():
            raise Forbidden("Only an owner can grant or take away the owner role")
        if role == member.role:
            return {"ok": True}, 200
        if role != "owner":
            _keep_an_owner(org, member)
        Member.update(role=role).where(Member.id == member.id).execute()
        _events.record(org, "member.role_changed", target_type="member", target_id=member.id,
                       metadata={"email": member.email, "userId": member.user_id,
                                 "from": member.role, "to": role})
    return {"ok": True}, 200


def delete_org_member(slug, id_):
    """Admins remove members and revoke invitations; anyone may remove themselves (leave)."""
    org, caller = current_org(), current_member()
    with write_transaction():
        serialize(f"org-members:{org.id}")
        member = _member_in_org(id_)
        leaving = member.id == caller.id
        if not leaving and ROLE_RANK[caller.role] < ROLE_RANK["admin"]:
            raise Forbidden("This action needs the admin role or higher",
                            details={"role": caller.role, "required": "admin"})
        if not leaving and member.role == "owner" and not _caller_is_owner():
            raise Forbidden("Only an owner can remove an owner")
        _keep_an_owner(org, member)
        Member.delete().where(Member.id == member.id).execute()
        if member.status == "pending":
            _mail.redact_invitations(org.id, member.email)  # the token dies with the seat
        action = ("invitation.revoked" if member.status == "pending"
                  else "member.left" if leaving else "member.removed")
        _events.record(org, action, target_type="member", target_id=member.id,
                       metadata={"email": member.email, "userId": member.user_id, "role": member.role})
    return None, 204


def _invitation_rate_limit(org: Org) -> None:
    # per inviting user first (one user with many orgs gets one budget), then per org
    ratelimit.hit("invitationsPerUser", f"user:{context.caller().user_id}",
                  message="Too many invitations. Please try again later.")
    ratelimit.hit("invitations", f"org:{org.id}", message="Too many invitations. Please try again later.")


def post_org_invitations(slug, body) -> tuple[models.PostOrgInvitationsResponse201, int]:
    org, caller = current_org(), context.caller()
    email, role = body["email"].strip().lower(), body["role"]
    _invitation_rate_limit(org)
    with write_transaction():
        serialize(f"org-members:{org.id}")
        existing = Member.get_or_none((Member.org == org) & (Member.email == email))
        if existing is not None and existing.status == "active":
            raise Conflict("This person is already a member", details={"memberId": existing.id})
        if existing is not None:
            raise Conflict("This person is already invited; resend the invitation instead",
                           details={"memberId": existing.id})
        seats = _plans.limit(org.plan_id, "members")
        if seats is not None and Member.select().where(Member.org == org).count() >= seats:
            raise Conflict(f"The {org.plan_id} plan has {seats} seats; upgrade to invite more",
                           code="PLAN_LIMIT", details={"plan": org.plan_id, "limit": seats})
        member = Member.create(org=org, user=None, email=email, role=role, status="pending",
                               invited_by=caller.email, created_at=clock.now_ms())
        _invitations.issue(org, member, caller.email)
        _events.record(org, "invitation.created", target_type="member", target_id=member.id,
                       metadata={"email": email, "role": role})
    return {"invite": {"id": member.id, "email": email, "role": role}}, 201


def post_org_member_resend(slug, id_) -> tuple[models.PostOrgMemberResendResponse200, int]:
    org = current_org()
    _member_in_org(id_)  # an unknown id is 404 before it costs a rate-limit slot
    _invitation_rate_limit(org)
    with write_transaction():
        member = _member_in_org(id_)
        if member.status != "pending":
            raise Conflict("This member has already accepted the invitation")
        _invitations.issue(org, member, context.caller().email)
        _events.record(org, "invitation.resent", target_type="member", target_id=member.id,
                       metadata={"email": member.email})
    return {"ok": True}, 200


# --- audit -------------------------------------------------------------------------------

AUDIT_MAX_LIMIT = 200


def audit_view(event: AuditEvent) -> models.AuditEvent:
    return {"id": event.id, "action": event.action,
            "actor": {"id": event.actor_id, "email": event.actor_email},
            "target": {"type": event.target_type, "id": event.target_id},
            "metadata": event.metadata or {}, "createdAt": clock.iso(event.created_at)}


def _audit_filters(from_, to, limit, offset) -> tuple[int | None, int | None, int, int]:
    """Parse the query; every malformed field is named in one 422."""
    errors: dict[str, list[str]] = {}
    bounds = {}
    for name, text in (("from", from_), ("to", to)):
        if text is not None:
            try:
                bounds[name] = clock.parse_iso(text)
            except ValueError:
                errors[name] = ["Expected an ISO 8601 timestamp"]
    if "from" in bounds and "to" in bounds and bounds["from"] > bounds["to"]:
        errors.setdefault("to", []).append("Must not be before 'from'")
    numbers = {}
    for name, text, default, low, high in (("limit", limit, 50, 1, AUDIT_MAX_LIMIT),
                                           ("offset", offset, 0, 0, None)):
        if text is None:
            numbers[name] = default
        elif not str(text).strip().isdigit() or int(text) < low or (high and int(text) > high):
            errors[name] = [f"Expected an integer from {low}" + (f" to {high}" if high else " up")]
        else:
            numbers[name] = int(text)
    if errors:
        raise Unprocessable("Invalid audit filter", details={"formErrors": [], "fieldErrors": errors})
    return bounds.get("from"), bounds.get("to"), numbers["limit"], numbers["offset"]


def get_org_audit(slug, action=None, from_=None, to=None, limit=None,
                  offset=None) -> tuple[models.GetOrgAuditResponse200, int]:
    since, until, limit, offset = _audit_filters(from_, to, limit, offset)
    where = AuditEvent.org == current_org()
    if action:
        where &= AuditEvent.action == action
    if since is not None:
        where &= AuditEvent.created_at >= since
    if until is not None:
        where &= AuditEvent.created_at <= until
    events = (AuditEvent.select().where(where)
              .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
              .limit(limit).offset(offset))
    return {"events": [audit_view(e) for e in events]}, 200


# --- usage and export ----------------------------------------------------------------------


def get_org_usage(slug) -> tuple[models.GetOrgUsageResponse200, int]:
    org = _billing.settle(current_org())
    return _usage.snapshot(org), 200


def get_org_usage_history(slug) -> tuple[models.GetOrgUsageHistoryResponse200, int]:
    return _usage.history(current_org()), 200


def post_org_export(slug) -> tuple[models.PostOrgExportResponse200, int]:
    """Names the SQL dump of every live project; the dumps share one timestamp."""
    org, now = current_org(), clock.now_ms()
    stamp = clock.iso(now).replace("-", "").replace(":", "").replace(".", "")[:15] + "Z"
    projects = (Project.select().where((Project.org == org) & Project.deleted_at.is_null())
                .order_by(Project.slug, Project.id))
    listed: list[models.PostOrgExportResponse200Project] = [
        {"slug": p.slug, "filename": f"{org.slug}-{p.slug}-{stamp}.sql"} for p in projects]
    with write_transaction():
        _events.record(org, "org.exported", target_type="org", target_id=org.id,
                       metadata={"projects": [p["slug"] for p in listed]})
    return {"projects": listed, "exportedAt": clock.iso(now)}, 200


# --- SCIM ----------------------------------------------------------------------------------

SCIM_PREFIX = "scim_"
SCIM_PREFIX_SHOWN = 12  # characters of the token kept to recognise it


def get_org_scim(slug) -> tuple[models.GetOrgScimResponse200, int]:
    org = current_org()
    token = ScimToken.get_or_none(ScimToken.org == org)
    base_url = f"{settings().public_base_url}/api/scim/v2/{org.slug}"
    body: models.GetOrgScimResponse200 = {"scimBaseUrl": base_url}
    return with_undeclared(  # the schema declares scimBaseUrl and leaves the object open
        body,
        enabled=token is not None,
        tokenPrefix=token.prefix if token else None,
        tokenCreatedAt=clock.iso(token.created_at) if token else None,
    ), 200


def post_org_scim_token(slug) -> tuple[models.PostOrgScimTokenResponse201, int]:
    org = current_org()
    ratelimit.hit("tokenMinting", f"org:{org.id}", message="Too many tokens minted. Please try again later.")
    token = credentials.mint(SCIM_PREFIX, 24)
    with write_transaction():
        serialize(f"scim:{org.id}")  # two mints at once: one replaces the other, neither fails
        replaced = ScimToken.delete().where(ScimToken.org == org).execute()
        ScimToken.create(org=org, token_digest=credentials.digest(token),
                         prefix=token[:SCIM_PREFIX_SHOWN], created_by=context.caller().user_id,
                         created_at=clock.now_ms())
        _events.record(org, "scim.token_minted", target_type="org", target_id=org.id,
                       metadata={"prefix": token[:SCIM_PREFIX_SHOWN], "replaced": bool(replaced)})
    return {"token": token}, 201


def delete_org_scim_token(slug) -> tuple[models.DeleteOrgScimTokenResponse200, int]:
    """Revoking turns provisioning off; revoking when there is no token is a no-op."""
    org = current_org()
    with write_transaction():
        if ScimToken.delete().where(ScimToken.org == org).execute():
            _events.record(org, "scim.token_revoked", target_type="org", target_id=org.id)
    return {"ok": True}, 200

