"""How backlex authenticates, scopes requests to an org, and answers errors.

Security step: the ``better-auth.session_token`` cookie names a live session (else 401).
Before each org-scoped handler (every operation with ``{slug}``), the org is resolved and
the caller's membership checked against ``_permissions.MINIMUM_ROLE``: not a member (or no
such org) → 404, role too low → 403. Handlers read the result with ``current_org()`` and
``current_member()``. The security step reads the org and seat of the path's ``{slug}``
in the session's statement (one round trip where two were); the decision stays where it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN

from generated.backlex import OPENAPI_PATH, models
from generated.backlex.operations import BY_ID
from handlers.backlex import _jobs, _migrations, _permissions, _seed
from handlers.backlex.store import MODELS, Member, Org, Session, User
from spec_server import clock, context, credentials
from spec_server.apis import ApiDefinition
from spec_server.compiled import Prepared
from spec_server.errors import ApiError, Forbidden, NotFound, Unauthorized
from spec_server.pipeline import security_hook

SESSION_COOKIE = "better-auth.session_token"


@dataclass(frozen=True)
class Caller:
    user_id: str
    email: str
    # (the path's slug, its live org, the caller's active seat), read with the session; the
    # org and seat are None when there is none
    org_seat: tuple[str, Org | None, Member | None] | None = None


def envelope(error: ApiError) -> models.ErrorBody:
    return {"error": {"code": error.code, "message": error.message, "details": error.details}}


# every request runs the first, every org-scoped one the second: compiled once
# (compiled.Prepared); peewee building their SQL afresh, four queries, was most of the CPU of
# GET /api/org/{slug}/projects (bench/results/2026-12-01-profiles/)
SESSION_AND_USER = Prepared(lambda digest: Session.select(Session, User).join(User)
                            .where(Session.token_digest == digest), "digest", joined=(User,))
LIVE_ORG_AND_SEAT = Prepared(
    lambda slug, user: Org.select(Org, Member)
    .join(Member, on=(Member.org == Org.id) & (Member.user == user) & (Member.status == "active"))
    .where((Org.slug == slug) & Org.deleted_at.is_null()), "slug", "user", joined=(Member,))
# both in one statement, for an operation whose path names an org
SESSION_USER_ORG_SEAT = Prepared(
    lambda digest, slug: Session.select(Session, User, Org, Member).join(User).switch(Session)
    .join(Org, JOIN.LEFT_OUTER, on=(Org.slug == slug) & Org.deleted_at.is_null())
    .join(Member, JOIN.LEFT_OUTER, on=(Member.org == Org.id) & (Member.user == User.id) & (Member.status == "active"))
    .where(Session.token_digest == digest), "digest", "slug", joined=(User, Org, Member))


def authorize(operation, request) -> Caller:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("Sign-in required")
    digest = credentials.digest(token)
    slug = request.path_params.get("slug") if "{slug}" in operation.path else None
    if slug is None:
        session, user = SESSION_AND_USER.instances(digest=digest) or (None, None)
        org_seat = None
    else:
        session, user, org, member = SESSION_USER_ORG_SEAT.instances(digest=digest, slug=slug) or (None,) * 4
        org_seat = (slug, org, member)
    if session is None or session.expires_at <= clock.now_ms():
        raise Unauthorized("Session expired or invalid")
    return Caller(user_id=user.id, email=user.email, org_seat=org_seat)


def find_membership(slug: str, caller: Caller) -> tuple[Org, Member]:
    """The live org of that slug and the caller's active seat in it, or 404 (as read with the
    session when it was for this slug)."""
    if caller.org_seat is not None and caller.org_seat[0] == slug:
        _slug, org, member = caller.org_seat
    else:
        org, member = LIVE_ORG_AND_SEAT.instances(slug=slug, user=caller.user_id) or (None, None)
    if not member or not org:
        raise NotFound("Organization not found")
    return org, member


def scope_to_org(operation, kwargs: dict) -> None:
    if "slug" not in kwargs:
        return  # start-up refused any org-scoped operation without a row (_permissions.findings)
    org, member = find_membership(kwargs["slug"], context.caller())
    if not _permissions.allows(member.role, operation.operation_id):
        minimum = _permissions.MINIMUM_ROLE[operation.operation_id]
        raise Forbidden(f"This action needs the {minimum} role or higher",
                        details={"role": member.role, "required": minimum})
    context.current().extras.update(org=org, member=member)


def current_org() -> Org:
    return context.current().extras["org"]


def current_member() -> Member:
    return context.current().extras["member"]


# buckets the document does not state (requests, window seconds; docs/behaviour.md)
RATE_LIMITS = {
    "invitations": (20, 3600),  # per org
    "invitationsPerUser": (20, 3600),  # per inviting user, across every org they administer
    "orgCreation": (10, 3600),  # per user: orgs are free, and each brings its own invitation budget
    "tokenMinting": (10, 3600),
}

API = ApiDefinition(
    name="backlex",
    mount="/api",
    openapi_path=OPENAPI_PATH,
    operations=BY_ID,
    envelope=envelope,
    schema_error_status=422,
    authorize=authorize,
    before_handler=scope_to_org,
    title="backlex Cloud API",
    models=MODELS,
    migrations=_migrations.MIGRATIONS,
    prepare_store=_jobs.create_queue_tables,
    extra_rate_limits=RATE_LIMITS,
    completeness=_permissions.findings,
    scaffold=_permissions.scaffold,
    seed=_seed.seed,
    demo=_seed.DEMO,
    on_serve=_jobs.on_serve,  # JOBS_IN_PROCESS=0 leaves the jobs to `spec-server worker`
)

check_credentials = security_hook(API)
