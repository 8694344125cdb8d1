"""backlex — Account: the signed-in user's profile, their orgs, org creation, invitations."""

from __future__ import annotations

from generated.backlex import models
from handlers.backlex import _events, _invitations, _mail
from handlers.backlex._api import current_member, current_org
from handlers.backlex._slugs import slugify
from handlers.backlex._views import account_view, org_view, project_summary
from handlers.backlex.store import Member, Org, Project, User
from spec_server import clock, context, ratelimit
from spec_server.choices import Keyed
from spec_server.db import serialize, write_transaction
from spec_server.errors import Conflict, Forbidden, NotFound

# where an org's projects go when the caller names no region
DEFAULT_REGION_BY_RESIDENCY = {"eu": "fra", "tr": "ist", "global": "fra"}
KEYED = (Keyed(__name__, "DEFAULT_REGION_BY_RESIDENCY", DEFAULT_REGION_BY_RESIDENCY, "post_org", "residency"),)


def get_orgs() -> tuple[models.GetOrgsResponse200, int]:
    rows = (Org.select(Org, Member.role)
            .join(Member, on=(Member.org == Org.id))
            .where((Member.user == context.caller().user_id) & (Member.status == "active")
                   & Org.deleted_at.is_null())
            .order_by(Org.created_at, Org.id)
            .objects())
    # .objects() sets the joined Member.role on each row, which the type checker cannot know of
    return {"orgs": [{**org_view(org), "role": org.role} for org in rows]}, 200  # type: ignore[attr-defined]


def post_org(body=None) -> tuple[models.PostOrgResponse201, int]:
    body = body or {}
    caller = context.caller()
    residency = body.get("residency", "global")
    ratelimit.hit("orgCreation", f"user:{caller.user_id}",
                  message="Too many organizations created. Please try again later.")
    now = clock.now_ms()
    with write_transaction():
        serialize("org-slugs")
        base = slugify(body["name"])
        slug, n = base, 1
        while Org.select().where(Org.slug == slug).exists():  # org names need not be unique
            n += 1
            slug = f"{base}-{n}"
        org = Org.create(
            slug=slug, name=body["name"].strip(), plan_id="free", residency=residency,
            default_region=body.get("defaultRegion") or DEFAULT_REGION_BY_RESIDENCY[residency],
            ip_allowlist=[], webhook_url=None, status="active", purpose=body.get("purpose"),
            team_size=body.get("teamSize"), created_at=now)
        Member.create(org=org, user=caller.user_id, email=caller.email, role="owner",
                      status="active", created_at=now, joined_at=now)
        _events.record(org, "org.created", target_type="org", target_id=org.id,
                       metadata={"name": org.name, "slug": org.slug})
    return {"org": org_view(org)}, 201


def post_invitations_accept(body) -> tuple[models.PostInvitationsAcceptResponse200, int]:
    """Seat the signed-in user with the invited role. Checked in order: unknown or used token
    404, expired 409, another email 403, already a member 409."""
    caller = context.caller()
    with write_transaction():
        invite = _invitations.find_by_token(body["token"].strip())
        org = None if invite is None else Org.get_or_none((Org.id == invite.org_id)
                                                          & Org.deleted_at.is_null())
        if invite is None or org is None:
            raise NotFound("Invitation not found or already used")
        serialize(f"org-members:{org.id}")
        assert invite.invite_expires_at is not None  # every pending invitation has its expiry
        if invite.invite_expires_at <= clock.now_ms():
            raise Conflict("This invitation has expired; ask for a new one")
        if invite.email.lower() != caller.email.lower():
            raise Forbidden("This invitation was sent to another email address")
        if Member.select().where((Member.org == org) & (Member.user == caller.user_id)
                                 & (Member.status == "active")).exists():
            raise Conflict("You are already a member of this organization")
        now = clock.now_ms()
        Member.update(user=caller.user_id, status="active", joined_at=now, invite_token_digest=None,
                      invite_expires_at=None).where(Member.id == invite.id).execute()
        _mail.redact_invitations(org.id, invite.email)  # the token is used up
        _events.record(org, "invitation.accepted", target_type="member", target_id=invite.id,
                       metadata={"email": invite.email, "userId": caller.user_id, "role": invite.role})
    return {"orgSlug": org.slug}, 200


def get_account() -> tuple[models.GetAccountResponse200, int]:
    return {"account": account_view(User.get_by_id(context.caller().user_id))}, 200


ACCOUNT_FIELDS = {"name": "name", "title": "title", "timezone": "timezone", "preferences": "preferences"}


def patch_account(body=None) -> tuple[models.PatchAccountResponse200, int]:
    changes = {column: (body or {})[field] for field, column in ACCOUNT_FIELDS.items() if field in (body or {})}
    if changes:
        User.update(**changes).where(User.id == context.caller().user_id).execute()
    return {"ok": True}, 200


def get_org_overview(slug) -> tuple[models.GetOrgOverviewResponse200, int]:
    org = current_org()
    projects = list(Project.select()
                    .where((Project.org == org) & Project.deleted_at.is_null())
                    .order_by(Project.created_at.desc(), Project.id))
    return {
        "org": org_view(org),
        "role": current_member().role,
        "projectCount": len(projects),
        "projects": [project_summary(p) for p in projects],
    }, 200
