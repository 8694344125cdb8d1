"""``spec-server seed``: create principals and tenants from a JSON description.

Input and output shapes are documented in the README; secrets (session tokens, API keys)
appear only in the output, the store keeps their digests.
"""

from __future__ import annotations

from handlers.backlex import store as bx
from handlers.pathmode import store as pm
from spec_server import clock, credentials
from spec_server.db import write_transaction

SESSION_DAYS = 30


def _session_token(prefix: str) -> str:
    return credentials.mint(prefix, 24)


def seed_backlex(data: dict) -> dict:
    now = clock.now_ms()
    users = {}
    for entry in data.get("users", []):
        user = bx.User.get_or_none(bx.User.email == entry["email"]) or bx.User.create(
            email=entry["email"], name=entry.get("name"), email_verified=True, created_at=now)
        token = _session_token("bx_sess_")
        bx.Session.create(token_digest=credentials.digest(token), user=user,
                          expires_at=now + SESSION_DAYS * 86_400_000)
        users[entry["email"]] = {"id": user.id, "sessionToken": token}
    return {"users": users}


def seed_pathmode(data: dict) -> dict:
    now = clock.now_ms()
    users = {}
    for entry in data.get("users", []):
        user = pm.User.get_or_none(pm.User.email == entry["email"]) or pm.User.create(
            email=entry["email"], name=entry.get("name"), created_at=now)
        token = _session_token("pm_sess_")
        pm.Session.create(token_digest=credentials.digest(token), user=user,
                          expires_at=now + SESSION_DAYS * 86_400_000)
        users[entry["email"]] = {"id": user.id, "sessionToken": token}
    user_ids = {email: info["id"] for email, info in users.items()}
    workspaces = {}
    for offset, entry in enumerate(data.get("workspaces", [])):
        workspaces[entry["urlKey"]] = _seed_workspace(entry, user_ids, now + offset)
    return {"users": users, "workspaces": workspaces}


def _seed_workspace(entry: dict, user_ids: dict, now: int) -> dict:
    from handlers.pathmode.engines.analysis import refusal

    refused = entry.get("repository") and refusal(entry["repository"])
    if refused:
        raise ValueError(f"workspace {entry.get('urlKey')}: repository {entry['repository']!r}: {refused}")
    ws = pm.Workspace.create(
        name=entry["name"], url_key=entry["urlKey"], plan=entry.get("plan", "free"),
        tags=entry.get("tags", []), settings={"strategy": entry.get("strategy")},
        flags=entry.get("flags", {}), repository=entry.get("repository"), created_at=now)
    for member in entry.get("members", []):
        pm.Membership.create(workspace=ws, user=user_ids[member["email"]], role=member["role"])
    products = {}
    for index, product in enumerate(entry.get("products", [])):
        row = pm.Product.create(
            workspace=ws, name=product["name"], slug=product["slug"],
            description=product.get("description"), is_example=product.get("isExample", False),
            status=product.get("status", "active"), created_at=now + index, updated_at=now + index)
        products[product["slug"]] = row.id
    for index, rule in enumerate(entry.get("constitutionRules", [])):
        pm.ConstitutionRule.create(
            workspace=ws, category=rule["category"], text=rule["text"],
            rationale=rule.get("rationale"), scope=rule.get("scope"),
            enforcement=rule.get("enforcement"), examples=rule.get("examples"),
            is_active=rule.get("isActive", True), created_at=now + index)
    keys = {}
    for key in entry.get("apiKeys", []):
        secret = credentials.mint("pm_live_", 32)
        pm.ApiKey.create(
            workspace=ws, user=user_ids[key["user"]], name=key["name"],
            key_digest=credentials.digest(secret), key_prefix=secret[:16],
            scopes=key.get("scopes", ["read", "write"]), created_at=now)
        keys[key["name"]] = secret
    return {"id": ws.id, "products": products, "apiKeys": keys}


def seed(data: dict) -> dict:
    with write_transaction():
        return {
            "backlex": seed_backlex(data.get("backlex", {})),
            "pathmode": seed_pathmode(data.get("pathmode", {})),
        }
