"""Pathmode's part of ``spec-server seed``, and the demo dataset ``serve`` starts with."""

from __future__ import annotations

from handlers.pathmode import store
from spec_server import clock, credentials
from spec_server.apis import Demo
from spec_server.seeding import SESSION_DAYS, session_token


def seed(data: dict) -> dict:
    now = clock.now_ms()
    users = {}
    for entry in data.get("users", []):
        user = store.User.get_or_none(store.User.email == entry["email"]) or store.User.create(
            email=entry["email"], name=entry.get("name"), created_at=now)
        token = session_token("pm_sess_")
        store.Session.create(token_digest=credentials.digest(token), user=user,
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
    ws = store.Workspace.create(
        name=entry["name"], url_key=entry["urlKey"], plan=entry.get("plan", "free"),
        tags=entry.get("tags", []), settings={"strategy": entry.get("strategy")},
        flags=entry.get("flags", {}), repository=entry.get("repository"), created_at=now)
    for member in entry.get("members", []):
        store.Membership.create(workspace=ws, user=user_ids[member["email"]], role=member["role"])
    products = {}
    for index, product in enumerate(entry.get("products", [])):
        row = store.Product.create(
            workspace=ws, name=product["name"], slug=product["slug"],
            description=product.get("description"), is_example=product.get("isExample", False),
            status=product.get("status", "active"), created_at=now + index, updated_at=now + index)
        products[product["slug"]] = row.id
    for index, rule in enumerate(entry.get("constitutionRules", [])):
        store.ConstitutionRule.create(
            workspace=ws, category=rule["category"], text=rule["text"],
            rationale=rule.get("rationale"), scope=rule.get("scope"),
            enforcement=rule.get("enforcement"), examples=rule.get("examples"),
            is_active=rule.get("isActive", True), created_at=now + index)
    keys = {}
    for key in entry.get("apiKeys", []):
        secret = credentials.mint("pm_live_", 32)
        store.ApiKey.create(
            workspace=ws, user=user_ids[key["user"]], name=key["name"],
            key_digest=credentials.digest(secret), key_prefix=secret[:16],
            scopes=key.get("scopes", ["read", "write"]), created_at=now)
        keys[key["name"]] = secret
    seeded = {"id": ws.id, "products": products, "apiKeys": keys,
              # what the conformance suite reads its tenants and roles from (README "Conformance suite")
              "members": {member["email"]: member["role"] for member in entry.get("members", [])},
              "keyScopes": {key["name"]: key.get("scopes", ["read", "write"]) for key in entry.get("apiKeys", [])}}
    if "tenant" in entry:
        seeded["tenant"] = entry["tenant"]
    return seeded


DEMO_OWNER = "owner@demo.pathmode.dev"


def demo_lines(base_url: str, created: dict) -> list[str]:
    workspace = created["workspaces"]["demo"]
    key = workspace["apiKeys"]["demo key"]
    product = workspace["products"]["checkout"]
    session = created["users"][DEMO_OWNER]["sessionToken"]
    return [
        f"curl -s -H 'Authorization: Bearer {key}' {base_url}/api/v1/workspace",
        f"curl -s -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' "
        f"-d '{{\"title\":\"Speed up onboarding\",\"objective\":\"First value in 10 minutes\","
        f"\"productId\":\"{product}\",\"outcomes\":[\"New user reaches first intent in under 10 min\"]}}' "
        f"{base_url}/api/v1/intents",
        f"curl -s -H 'Authorization: Bearer {key}' {base_url}/api/v1/intents",
        f"curl -s -b 'sb-access-token={session}' {base_url}/api/v1/api-keys",
    ]


DEMO = Demo(seed={
    "users": [{"email": DEMO_OWNER, "name": "Demo Owner"}],
    "workspaces": [{
        "name": "Demo Workspace",
        "urlKey": "demo",
        "plan": "pro",
        "members": [{"email": DEMO_OWNER, "role": "owner"}],
        "products": [{"name": "Checkout", "slug": "checkout", "description": "The purchase flow."}],
        "constitutionRules": [
            {"category": "privacy", "text": "Never log raw PII.", "enforcement": "required"},
            {"category": "ux", "text": "Keep forms under five fields.", "enforcement": "advisory"},
        ],
        "apiKeys": [{"name": "demo key", "user": DEMO_OWNER, "scopes": ["read", "write"]}],
    }],
}, lines=demo_lines)
