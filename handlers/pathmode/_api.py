"""How Pathmode authenticates, authorizes, limits and answers errors.

The security step (``authorize``) runs before request validation, in this order:
1. credentials: a ``Bearer pm_live_<64 hex>`` key (api-key-or-cookie operations), else the
   ``sb-access-token`` session cookie; none valid → 401. Cookie-only operations never look
   at the Authorization header.
2. workspace: a key carries its own; a cookie session names it with ``?workspace_id=``
   (missing → 400) and must be a member (→ 403). Cookie-only operations find their
   workspace themselves (request body or the intent's row).
3. scope: the operation's ``x-scope`` must be among the key's scopes, or the member's
   role-derived scopes (→ 403).
4. rate limit: the operation's ``x-rateLimit`` bucket, keyed ``user:<id>`` (→ 429); a rule
   the document counts per workspace is applied by its handler, after its own checks.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any, cast

import peewee

from generated.pathmode import OPENAPI_PATH, models
from generated.pathmode.operations import BY_ID
from handlers.pathmode import _common, _migrations, _seed
from handlers.pathmode.store import MODELS, ApiKey, Membership, Session, Workspace
from spec_server import clock, credentials, engine_pool, faults, ratelimit
from spec_server.apis import ApiDefinition
from spec_server.compiled import Prepared, instance_reader, row_reader
from spec_server.errors import ApiError, BadRequest, Forbidden, Unauthorized
from spec_server.pipeline import refuse_nul, security_hook

KEY_PATTERN = re.compile(r"pm_live_[0-9a-f]{64}")
SESSION_COOKIE = "sb-access-token"
LAST_USED_RESOLUTION_MS = 60_000  # lastUsedAt is refreshed at most once a minute per key
ENGINE_OPERATIONS = frozenset({"post_intents_id_verify"})  # they wait on spec_server.engine_pool

ROLE_SCOPES = {
    "owner": frozenset({"read", "write", "admin"}),
    "admin": frozenset({"read", "write", "admin"}),
    "editor": frozenset({"read", "write"}),
    "viewer": frozenset({"read"}),
}


def scopes_for_role(role: str | None) -> frozenset[str]:
    """deriveScopesFromRole: the one place a member's role becomes scopes."""
    return ROLE_SCOPES.get(role or "", frozenset())


@dataclass(frozen=True)
class Caller:
    user_id: str
    via: str  # "key" or "session"
    workspace_id: str | None = None
    scopes: frozenset[str] = frozenset()
    role: str | None = None
    key_id: str | None = None
    # the workspace's row (every column), read with the credential (one query, not two); None
    # when the row is gone, or for a cookie-only operation, which finds its workspace itself
    workspace_row: tuple | None = None
    # query parameters this credential makes irrelevant: a key carries its workspace
    ignored_parameters: frozenset[str] = frozenset()
    engine_slot: object | None = None  # engine_pool.Slot held for this request (verify)

    @functools.cached_property
    def workspace(self) -> Workspace | None:
        """The workspace's model instance, made when a handler first asks (most reads need only its id)."""
        return None if self.workspace_row is None else read_workspace(self.workspace_row)


def envelope(error: ApiError) -> models.ErrorBody:
    body: models.ErrorBody = {"error": error.message}
    undeclared = cast(dict[str, Any], body)  # keys the documented (open) error object leaves free
    if error.details is not None:
        undeclared["details"] = error.details
    undeclared.update(error.extra)
    return body


def _bearer_token(request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    kind, _, token = header.partition(" ")
    return token.strip() if kind.lower() == "bearer" else None


# every authenticated request runs one of these lookups: compiled once (see compiled.Prepared).
# The workspace comes along (an outer join: a key whose row is gone is still a key, and the
# handler answers 404 Workspace not found)
# The key's user's membership comes along too: a key works only while its user is a member,
# and only within the scopes of the member's current role (one statement, as before).
KEY_BY_DIGEST = Prepared(
    lambda digest: ApiKey.select(ApiKey, Workspace, Membership)
    .join(Workspace, peewee.JOIN.LEFT_OUTER).switch(ApiKey)
    .join(Membership, peewee.JOIN.LEFT_OUTER,
          on=(Membership.workspace == ApiKey.workspace) & (Membership.user == ApiKey.user))
    .where(ApiKey.key_digest == digest), "digest", joined=(Workspace, Membership))
MEMBERSHIP = Prepared(
    lambda ws, user: Membership.select(Membership, Workspace).join(Workspace, peewee.JOIN.LEFT_OUTER)
    .where((Membership.workspace == ws) & (Membership.user == user)), "workspace", "user", joined=(Workspace,))


KEY_IGNORES = frozenset({"workspace_id"})  # a key names its own workspace
# the rows come back as raw column values: a light row for the key, the membership's role by
# position, the workspace made an instance only when a handler asks (``Caller.workspace``);
# three model instances a request cost 8 of the lookup's 20 µs (bench/inprocess.py's database)
read_key = row_reader(ApiKey)
read_workspace = instance_reader(Workspace)
ROLE_AT = Membership._meta.sorted_field_names.index("role")


def caller_from_key(token: str) -> Caller:
    if not KEY_PATTERN.fullmatch(token):
        raise Unauthorized("Invalid API key")
    key_row, workspace_row, membership_row = KEY_BY_DIGEST.parts(digest=credentials.digest(token)) or (None, None, None)
    now = clock.now_ms()
    if key_row is None and faults.revoked_key_caller(token):  # planted fault hook
        return faults.revoked_key_caller(token)
    key = read_key(key_row) if key_row is not None else None
    if key is None or not credentials.matches(key.key_digest, token):
        raise Unauthorized("Invalid API key")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("API key has expired")
    if membership_row is None:  # the user left or was removed: the key went with the seat
        raise Unauthorized("API key is no longer valid: its user is not a member of the workspace")
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION_MS:
        ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
    role = membership_row[ROLE_AT]
    scopes = frozenset(key.scopes or ()) & scopes_for_role(role)
    return faults.remember_key(token, Caller(user_id=key.user_id, via="key", workspace_id=key.workspace_id,
                                             scopes=scopes, role=role, key_id=key.id,
                                             workspace_row=workspace_row, ignored_parameters=KEY_IGNORES))


def user_from_session(token: str | None) -> str:
    if not token:
        raise Unauthorized("Authentication required")
    session = Session.get_or_none(Session.token_digest == credentials.digest(token))
    if session is None or session.expires_at <= clock.now_ms():
        raise Unauthorized("Invalid or expired session")
    return session.user_id


def caller_from_session(request, cookie_only: bool) -> Caller:
    user_id = user_from_session(request.cookies.get(SESSION_COOKIE))
    if cookie_only:
        return Caller(user_id=user_id, via="session")
    workspace_id = request.query_params.get("workspace_id")
    if not workspace_id:
        raise BadRequest("workspace_id query parameter is required for session authentication")
    refuse_nul(API, workspace_id)  # read here, before the membership lookup
    membership_row, workspace_row = MEMBERSHIP.parts(workspace=workspace_id, user=user_id) or (None, None)
    if membership_row is None:
        raise Forbidden("Not a member of this workspace")
    role = membership_row[ROLE_AT]
    return Caller(user_id=user_id, via="session", workspace_id=workspace_id,
                  scopes=scopes_for_role(role), role=role, workspace_row=workspace_row)


def authorize(operation, request) -> Caller:
    cookie_only = operation.auth == "cookie-session-only"
    token = None if cookie_only else _bearer_token(request)
    if token is not None and "bearerAuth" in operation.schemes:
        caller = caller_from_key(token)
    else:
        caller = caller_from_session(request, cookie_only)
    scope = operation.scope
    if not cookie_only and scope in ("read", "write", "admin") and scope not in caller.scopes:
        raise Forbidden(f"Insufficient permissions: this operation requires the '{scope}' scope")
    rule = operation.rate_limit  # the document's x-rateLimit, from the generated table
    if rule is not None and rule.per is None:  # one counted per workspace is its handler's
        ratelimit.hit(rule.bucket, f"user:{caller.user_id}")
    if operation.operation_id in ENGINE_OPERATIONS and caller.workspace_id is not None:
        # a busy engine refuses before the body is read (a cookie-only caller has no workspace yet)
        caller = dataclasses.replace(caller, engine_slot=engine_pool.hold_for_request(request.scope, caller.workspace_id))
    return caller


def findings(operations) -> list[str]:
    return public_operation_findings(operations) + _common.plan_limit_findings(operations)


def public_operation_findings(operations) -> list[str]:
    """Every handler reads the caller the security step found, and ``x-auth`` states who may
    call: an operation the document also makes public cannot be served (``--check`` and
    start-up name it; its first request would answer 500)."""
    return [f"handlers/pathmode/_api.py: {op.method} {op.path} ({op.operation_id}) is public in the document "
            f"(no security), but its x-auth is {op.auth!r} and every handler reads the caller: restore its "
            f"security with an action in specs/pathmode.overlay.json, or serve anonymous callers here"
            for op in operations if op.anonymous_allowed]


API = ApiDefinition(
    name="pathmode",
    mount="/api/v1",
    openapi_path=OPENAPI_PATH,
    operations=BY_ID,
    envelope=envelope,
    schema_error_status=400,
    authorize=authorize,
    completeness=findings,
    title="Pathmode API",
    models=MODELS,
    migrations=_migrations.MIGRATIONS,
    seed=_seed.seed,
    demo=_seed.DEMO,
)

check_credentials = security_hook(API)
