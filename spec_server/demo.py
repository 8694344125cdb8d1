"""The demo dataset ``serve`` seeds into an empty database, and the curl lines it prints."""

from __future__ import annotations

DEMO_SEED = {
    "backlex": {"users": [{"email": "owner@demo.backlex.dev", "name": "Demo Owner"}]},
    "pathmode": {
        "users": [{"email": "owner@demo.pathmode.dev", "name": "Demo Owner"}],
        "workspaces": [{
            "name": "Demo Workspace",
            "urlKey": "demo",
            "plan": "pro",
            "members": [{"email": "owner@demo.pathmode.dev", "role": "owner"}],
            "products": [{"name": "Checkout", "slug": "checkout", "description": "The purchase flow."}],
            "constitutionRules": [
                {"category": "privacy", "text": "Never log raw PII.", "enforcement": "required"},
                {"category": "ux", "text": "Keep forms under five fields.", "enforcement": "advisory"},
            ],
            "apiKeys": [{"name": "demo key", "user": "owner@demo.pathmode.dev", "scopes": ["read", "write"]}],
        }],
    },
}


def curl_lines(base_url: str, created: dict) -> list[str]:
    bx_token = created["backlex"]["users"]["owner@demo.backlex.dev"]["sessionToken"]
    workspace = created["pathmode"]["workspaces"]["demo"]
    key = workspace["apiKeys"]["demo key"]
    product = workspace["products"]["checkout"]
    pm_session = created["pathmode"]["users"]["owner@demo.pathmode.dev"]["sessionToken"]
    return [
        f"curl -s -b 'better-auth.session_token={bx_token}' {base_url}/api/orgs",
        f"curl -s -b 'better-auth.session_token={bx_token}' -H 'Content-Type: application/json' "
        f"-d '{{\"name\":\"Acme Corp\"}}' {base_url}/api/org",
        f"curl -s -H 'Authorization: Bearer {key}' {base_url}/api/v1/workspace",
        f"curl -s -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' "
        f"-d '{{\"title\":\"Speed up onboarding\",\"objective\":\"First value in 10 minutes\","
        f"\"productId\":\"{product}\",\"outcomes\":[\"New user reaches first intent in under 10 min\"]}}' "
        f"{base_url}/api/v1/intents",
        f"curl -s -H 'Authorization: Bearer {key}' {base_url}/api/v1/intents",
        f"curl -s -b 'sb-access-token={pm_session}' {base_url}/api/v1/api-keys",
    ]
