"""backlex's part of ``spec-server seed``, and the demo dataset ``serve`` starts with."""

from __future__ import annotations

from handlers.backlex import store as bx
from spec_server import clock, credentials
from spec_server.apis import Demo
from spec_server.seeding import SESSION_DAYS, session_token


def seed(data: dict) -> dict:
    now = clock.now_ms()
    users = {}
    for entry in data.get("users", []):
        user = bx.User.get_or_none(bx.User.email == entry["email"]) or bx.User.create(
            email=entry["email"], name=entry.get("name"), email_verified=True, created_at=now)
        token = session_token("bx_sess_")
        bx.Session.create(token_digest=credentials.digest(token), user=user,
                          expires_at=now + SESSION_DAYS * 86_400_000)
        users[entry["email"]] = {"id": user.id, "sessionToken": token}
        # labels the conformance suite reads its tenants and roles from (README "Conformance suite")
        users[entry["email"]].update({key: entry[key] for key in ("tenant", "role") if key in entry})
    return {"users": users}


DEMO_OWNER = "owner@demo.backlex.dev"


def demo_lines(base_url: str, created: dict) -> list[str]:
    token = created["users"][DEMO_OWNER]["sessionToken"]
    return [
        f"curl -s -b 'better-auth.session_token={token}' {base_url}/api/orgs",
        f"curl -s -b 'better-auth.session_token={token}' -H 'Content-Type: application/json' "
        f"-d '{{\"name\":\"Acme Corp\"}}' {base_url}/api/org",
    ]


DEMO = Demo(seed={"users": [{"email": DEMO_OWNER, "name": "Demo Owner"}]}, lines=demo_lines)
