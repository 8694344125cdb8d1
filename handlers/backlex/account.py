"""backlex — Account: the signed-in user's profile, their orgs, org creation, invitations."""

from __future__ import annotations

from handlers.backlex import _events
from handlers.backlex._api import current_member, current_org
from handlers.backlex._slugs import slugify
from handlers.backlex._views import account_view, org_view, project_summary
from handlers.backlex.store import Member, Org, Project, User
from spec_server import clock, context
from spec_server.db import serialize, write_transaction
from spec_server.errors import NotImplementedYet

# where an org's projects go when the caller names no region
DEFAULT_REGION_BY_RESIDENCY = {"eu": "fra", "tr": "ist", "global": "fra"}


def get_orgs():
    rows = (Org.select(Org, Member.role)
            .join(Member, on=(Member.org == Org.id))
            .where((Member.user == context.caller().user_id) & (Member.status == "active")
                   & Org.deleted_at.is_null())
            .order_by(Org.created_at, Org.id)
            .objects())
    return {"orgs": [{**org_view(org), "role": org.role} for org in rows]}, 200


def post_org(body=None):
    body = body or {}
    caller = context.caller()
    residency = body.get("residency", "global")
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


def post_invitations_accept(**_params):
    """POST /invitations/accept"""
    raise NotImplementedYet()


def get_account():
    return {"account": account_view(User.get_by_id(context.caller().user_id))}, 200


ACCOUNT_FIELDS = {"name": "name", "title": "title", "timezone": "timezone", "preferences": "preferences"}


def patch_account(body=None):
    changes = {column: (body or {})[field] for field, column in ACCOUNT_FIELDS.items() if field in (body or {})}
    if changes:
        User.update(**changes).where(User.id == context.caller().user_id).execute()
    return {"ok": True}, 200


def get_org_overview(slug):
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
