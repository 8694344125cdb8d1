"""Role and scope rules decided inside Pathmode's handlers, beyond the operations' x-scope."""

from __future__ import annotations

API = "/api/v1"


def _own_keys(probe, tenant: str, role: str) -> list[str]:
    listed = probe.call("GET", f"{API}/api-keys", probe.cookie(tenant, role))
    return [key["id"] for key in probe.json(listed).get("keys", [])]


def check_only_owners_and_admins_create_keys(probe):
    """PM-KEYS-CREATE-7: "Caller must be admin or owner of workspaceId"; an editor, a viewer and a non-member get 403 and no key."""
    workspace = probe.workspace_id()
    for role in ("editor", "viewer"):
        before = _own_keys(probe, "a", role)
        refused = probe.call("POST", f"{API}/api-keys", probe.cookie("a", role),
                             {"name": f"{role} key", "workspaceId": workspace})
        probe.expect_status(refused, 403, f"an {role} creates a key")
        probe.expect(_own_keys(probe, "a", role) == before, f"the {role}'s refused request created a key", refused)
    outsider = probe.call("POST", f"{API}/api-keys", probe.cookie("b"), {"name": "outsider key", "workspaceId": workspace})
    probe.expect_status(outsider, 403, "tenant B's owner creates a key in A's workspace")
    made = probe.new_key("a", "admin")
    probe.delete_key(made["id"], "a", "admin")


def check_keys_are_revoked_only_by_their_user(probe):
    """PM-KEYS-REVOKE-3: "a user can only revoke their own keys", even the workspace's owner: the viewer's key survives the owner's DELETE."""
    viewer_keys = _own_keys(probe, "a", "viewer")  # viewers cannot create keys: the seeded one
    if not viewer_keys:
        probe.stop("tenant A's viewer lists no key (the seed gives it a read-only key)")
    for key_id in viewer_keys:
        answer = probe.call("DELETE", f"{API}/api-keys", probe.cookie("a", "owner"), {"keyId": key_id})
        probe.expect_status(answer, 200, "the owner revokes the viewer's key (answered alike, changing nothing)")
    probe.expect(_own_keys(probe, "a", "viewer") == viewer_keys, "the owner deleted the viewer's key", probe.last)
    secret = probe.plugin.key(probe.target, "a", frozenset({"read"}))
    if secret:
        still = probe.call("GET", f"{API}/workspace", probe.bearer(secret))
        probe.expect_status(still, 200, "the viewer's read-only key after the owner's DELETE")


def check_key_scopes_bound_what_it_may_do(probe):
    """PM-AUTH-13, PM-AUTH-15, PM-EVIDENCE-CREATE-15, PM-BILLING-5: a key without 'read' is refused reads; a scope refusal is 403 "Insufficient permissions", no plan_limit_reached keys."""
    write_only = probe.new_key(scopes=["write"])
    try:
        key = probe.bearer(write_only["key"])
        for path in ("/intents", "/workspace", "/evidence", "/workspace/constitution"):
            refused = probe.call("GET", f"{API}{path}", key)
            body = probe.json(refused)
            probe.expect(refused.status_code == 403 and str(body.get("error", "")).startswith("Insufficient permissions"),
                         f"a write-only key reads GET {path}: {refused.status_code}", refused)
        read_only = probe.plugin.key(probe.target, "a", frozenset({"read"}))
        if read_only:
            refused = probe.call("POST", f"{API}/evidence", probe.bearer(read_only),
                                 {"content": "Read-only write", "type": "quote", "productId": probe.product()})
            body = probe.json(refused)
            probe.expect(refused.status_code == 403 and str(body.get("error", "")).startswith("Insufficient permissions")
                         and not {"metric", "current", "limit", "plan"} & set(body),
                         "a read-only key's write is not the scope 403 (Insufficient permissions, no quota keys)", refused)
    finally:
        probe.delete_key(write_only["id"])


def check_codebase_analysis_needs_an_editor(probe):
    """PM-ANALYZE-3: "Role gate requires owner|admin|editor membership": a viewer gets 403 before any stream, an editor gets past the gate."""
    intent = probe.new_intent()["id"]
    path = f"{API}/intents/{intent}/analyze-codebase"
    viewer = probe.call("POST", path, probe.cookie("a", "viewer"))
    probe.expect(viewer.status_code == 403 and "json" in viewer.headers.get("content-type", ""),
                 f"a viewer starts an analysis: {viewer.status_code}", viewer)
    editor = probe.call("POST", path, probe.cookie("a", "editor"))
    probe.expect(editor.status_code in (200, 400), f"an editor is refused at the role gate: {editor.status_code}",
                 editor)
