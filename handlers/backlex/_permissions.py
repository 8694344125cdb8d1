"""Who may do what in an org: the one permission table of the backlex API.

Roles rank owner > admin > developer > viewer; each org-scoped operation names the lowest
role allowed. A caller who is not an active member gets 404 for the org (its existence is
not leaked); a member below the role gets 403. Operations outside an org (account, org
creation, accepting an invitation) need only a session.
"""

from spec_server.choices import Keyed

ROLE_RANK = {"viewer": 0, "developer": 1, "admin": 2, "owner": 3}
# the roles a member can be given: each needs its rank
KEYED = (Keyed(__name__, "ROLE_RANK", ROLE_RANK, "patch_org_member", "role"),
         Keyed(__name__, "ROLE_RANK", ROLE_RANK, "post_org_invitations", "role"))

V, D, A, OWNER = "viewer", "developer", "admin", "owner"

MINIMUM_ROLE: dict[str, str] = {
    # Account
    "get_org_overview": V,
    # Organization
    "patch_org": A,
    "delete_org": OWNER,
    "post_org_export": A,
    "get_org_members": V,
    "patch_org_member": A,
    "delete_org_member": V,  # anyone may leave; removing someone else needs admin (in the handler)
    "post_org_member_resend": A,
    "post_org_invitations": A,
    "get_org_audit": A,
    "get_org_usage": V,
    "get_org_usage_history": V,
    "get_org_scim": A,
    "post_org_scim_token": OWNER,
    "delete_org_scim_token": OWNER,
    # Enterprise SSO
    "get_org_sso": A,
    "put_org_sso": OWNER,
    "delete_org_sso": OWNER,
    # Billing
    "get_org_billing": A,
    "post_org_billing_checkout": OWNER,
    "post_org_billing_packs_checkout": OWNER,
    "post_org_billing_subscription_cancel": OWNER,
    "post_org_billing_subscription_resume": OWNER,
    # Projects
    "get_org_projects": V,
    "post_org_projects": D,
    "get_org_project": V,
    "patch_org_project": D,
    "delete_org_project": A,
    "post_org_project_pause": D,
    "post_org_project_resume": D,
    "post_org_project_provision_retry": D,
    "post_org_project_reprovision_admin": A,
    "post_org_project_upgrade": D,
    "get_org_project_backups": V,
    "post_org_project_backups": D,
    "post_org_project_backup_restore": D,
    "post_org_project_restore": D,
    "get_org_project_domains": V,
    "post_org_project_domains": D,
    "post_org_project_domain_verify": D,
    "delete_org_project_domain": D,
    "get_org_project_branches": V,
    "post_org_project_branches": D,
    "delete_org_project_branch": D,
    "get_org_project_deploys": V,
    "get_org_project_errors": V,
    "get_org_project_alarms": V,
    "post_org_project_alarms": D,
    "delete_org_project_alarm": D,
    # Integrations
    "get_org_api_keys": A,
    "post_org_api_keys": A,
    "delete_org_api_key": A,
    "get_org_integrations": V,
    "post_org_integrations": A,
    "delete_org_integration": A,
    "get_org_webhooks": V,
    "post_org_webhooks": A,
    "delete_org_webhook": A,
    "post_org_webhook_test": A,
    "get_org_webhook_deliveries": V,
    "get_org_notifications": V,
    "post_org_notification_read": V,
    "post_org_notifications_read_all": V,
}


def allows(role: str, operation_id: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[MINIMUM_ROLE[operation_id]]


def findings(operations) -> list[str]:
    """The table against the operations: every org-scoped operation (a ``{slug}`` path) needs
    a row, and every row an operation; a row is decided by the caller's role, so an org-scoped
    operation the document makes public cannot be served (the role check would meet no
    caller). ``codegen --check`` and start-up stop on any."""
    scoped = {op.operation_id: op for op in operations if "{slug}" in op.path}
    lines = [f"handlers/backlex/_permissions.py: {op.method} {op.path} ({op.operation_id}) has no "
             f"MINIMUM_ROLE row: add '{op.operation_id}': <viewer|developer|admin|owner>"
             for op_id, op in sorted(scoped.items()) if op_id not in MINIMUM_ROLE]
    lines += [f"handlers/backlex/_permissions.py: MINIMUM_ROLE row {op_id!r} names no org-scoped operation: remove it"
              for op_id in sorted(set(MINIMUM_ROLE) - set(scoped))]
    lines += [f"handlers/backlex/_permissions.py: MINIMUM_ROLE[{op_id!r}] = {role!r} is not a role"
              for op_id, role in sorted(MINIMUM_ROLE.items()) if role not in ROLE_RANK]
    lines += [f"handlers/backlex/_permissions.py: {op.method} {op.path} ({op_id}) is public in the document "
              f"(no security), but org-scoped operations are decided by the caller's role: restore its "
              f"security with an action in specs/backlex.overlay.json, or serve anonymous callers in _api.py"
              for op_id, op in sorted(scoped.items()) if op.anonymous_allowed]
    return lines


def scaffold(operations) -> list[str]:
    """``codegen --scaffold``: a row for every org-scoped operation without one, at the most
    restrictive role (owner) until someone decides; the server starts with it."""
    from pathlib import Path

    missing = [op for op in operations if "{slug}" in op.path and op.operation_id not in MINIMUM_ROLE]
    if not missing:
        return []
    path = Path(__file__)
    text = path.read_text()
    end = text.index("\n}\n", text.index("MINIMUM_ROLE: dict[str, str] = {"))
    rows = "".join(f'\n    "{op.operation_id}": OWNER,  # scaffolded ({op.method} {op.path}): set the lowest role allowed'
                   for op in missing)
    path.write_text(text[:end] + rows + text[end:])
    for op in missing:
        MINIMUM_ROLE[op.operation_id] = OWNER
    return [f"handlers/backlex/_permissions.py: MINIMUM_ROLE['{op.operation_id}'] = owner (scaffolded; "
            f"set the lowest role allowed)" for op in missing]
