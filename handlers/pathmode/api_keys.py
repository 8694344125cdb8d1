"""Pathmode — api-keys: a user's API keys (cookie session only).

A key is ``pm_live_`` + 64 hex, shown once in the 201; the store keeps its SHA-256 digest and
its first 16 characters (``keyPrefix``). The planted fault ``api_key_store`` stands in for the
original's missing service-role client: the list answers an empty 200 with a message, the
writes a 503.
"""

from __future__ import annotations

from peewee import fn

from generated.pathmode import models
from handlers.pathmode._api import scopes_for_role
from handlers.pathmode._common import caller, next_timestamp, reserve_quota
from handlers.pathmode.store import ApiKey, Membership, Workspace
from spec_server import clock, credentials
from spec_server.config import settings
from spec_server.db import write_transaction
from spec_server.errors import BadRequest, Forbidden, Unavailable

KEY_PREFIX = "pm_live_"
SHOWN_PREFIX_LENGTH = 16  # "pm_live_" + 8 hex
DEFAULT_SCOPES = ("read", "write")
KEY_MANAGER_ROLES = ("owner", "admin")
STORE_FAULT = "api_key_store"


def store_available() -> bool:
    return STORE_FAULT not in settings().faults


def require_store() -> None:
    if not store_available():
        raise Unavailable("API key management is not configured")


def key_view(key: ApiKey) -> dict:
    return {
        "id": key.id,
        "workspaceId": key.workspace_id,
        "name": key.name,
        "keyPrefix": key.key_prefix,
        "scopes": list(key.scopes or []),
        "lastUsedAt": clock.iso(key.last_used_at),
        "expiresAt": clock.iso(key.expires_at),
        "createdAt": clock.iso(key.created_at),
    }


def get_api_keys() -> tuple[models.GetApiKeysResponse200, int]:
    if not store_available():
        return {"keys": [], "count": 0, "message": "API key management is not configured"}, 200
    keys = (ApiKey.select().where(ApiKey.user == caller().user_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    shown = [key_view(key) for key in keys]
    return {"keys": shown, "count": len(shown)}, 200


def requested_scopes(body: dict) -> list[str]:
    scopes = body.get("scopes", list(DEFAULT_SCOPES))
    if not isinstance(scopes, list) or not scopes:
        raise BadRequest("scopes must be a non-empty array")
    unknown = [scope for scope in scopes if scope not in ("read", "write", "admin")]
    if unknown:
        raise BadRequest(f"Unrecognized scopes: {', '.join(map(str, unknown))}")
    return list(dict.fromkeys(scopes))


def post_api_keys(body) -> tuple[models.PostApiKeysResponse201, int]:
    require_store()
    name, workspace_id = body.get("name"), body.get("workspaceId")
    if not name or not workspace_id:  # the original's !name / !workspaceId (empty is missing)
        raise BadRequest("name and workspaceId are required")
    scopes = requested_scopes(body)
    user_id = caller().user_id
    membership = Membership.get_or_none((Membership.workspace == workspace_id) & (Membership.user == user_id))
    if membership is None or membership.role not in KEY_MANAGER_ROLES:
        raise Forbidden("Only workspace owners and admins can create API keys")
    allowed = scopes_for_role(membership.role)
    if not set(scopes) <= allowed:
        raise Forbidden(f"Requested scopes exceed what your role ({membership.role}) allows")
    secret = credentials.mint(KEY_PREFIX, 32)
    with write_transaction():
        ws = Workspace.get_by_id(workspace_id)
        reserve_quota(ws, "api_keys", ApiKey)
        latest = ApiKey.select(fn.MAX(ApiKey.created_at)).where(ApiKey.user == user_id).scalar()
        key = ApiKey.create(workspace=ws.id, user=user_id, name=name, key_digest=credentials.digest(secret),
                            key_prefix=secret[:SHOWN_PREFIX_LENGTH], scopes=scopes,
                            created_at=next_timestamp(latest))  # newest first, even within one ms
    return {"id": key.id, "key": secret, "name": key.name, "keyPrefix": key.key_prefix, "scopes": scopes,
            "createdAt": clock.iso(key.created_at),
            "message": "Save this key now. It cannot be retrieved again."}, 201


def delete_api_keys(body) -> tuple[models.DeleteApiKeysResponse200, int]:
    require_store()
    if not body.get("keyId"):
        raise BadRequest("keyId is required")
    # scoped to the caller's own keys; the same answer whether or not a row matched
    ApiKey.delete().where((ApiKey.id == body["keyId"]) & (ApiKey.user == caller().user_id)).execute()
    return {"success": True, "message": "API key revoked"}, 200
