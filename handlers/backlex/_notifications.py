"""Per-user notifications in an org (tagged Integrations in the document).

Notifications are produced from audit events (``_events.subscribe``): each action below names
who hears about it. The actor is never notified of their own action. Reading changes only the
caller's own notifications.
"""

from __future__ import annotations

from generated.backlex import models
from handlers.backlex import _events
from handlers.backlex._api import current_org
from handlers.backlex._permissions import ROLE_RANK
from handlers.backlex.store import AuditEvent, Member, Notification
from spec_server import clock, context
from spec_server.db import write_transaction
from spec_server.errors import NotFound, Unprocessable

ADMINS, EVERYONE, TARGET = "admins", "everyone", "target"

# action -> (audience, title); titles are formatted with the event's metadata
RULES: dict[str, tuple[str, str]] = {
    "invitation.accepted": (ADMINS, "{email} joined as {role}"),
    "member.removed": (ADMINS, "{email} was removed from the organization"),
    "member.left": (ADMINS, "{email} left the organization"),
    "member.role_changed": (TARGET, "Your role changed from {from} to {to}"),
    "billing.plan_changed": (ADMINS, "The plan changed from {from} to {to}"),
}
# project and alarm events (recorded by the projects area) go to every member
PREFIX_RULES: dict[str, tuple[str, str]] = {
    "project.": (EVERYONE, "{action} on project {target}"),
    "alarm.": (EVERYONE, "{action}: {target}"),
}


def _rule(action: str) -> tuple[str, str] | None:
    if action in RULES:
        return RULES[action]
    return next((rule for prefix, rule in PREFIX_RULES.items() if action.startswith(prefix)), None)


def _audience(event: AuditEvent, audience: str) -> set[str]:
    if audience == TARGET:
        user_id = (event.metadata or {}).get("userId")
        return {user_id} if user_id else set()
    members = Member.select(Member.user, Member.role).where(
        (Member.org == event.org_id) & (Member.status == "active") & Member.user.is_null(False))
    return {m.user_id for m in members if m.user_id is not None  # (the query's filter: for the checker)
            and (audience == EVERYONE or ROLE_RANK[m.role] >= ROLE_RANK["admin"])}


class _Defaulting(dict):
    def __missing__(self, key):
        return "?"


def notify_on(event: AuditEvent) -> None:
    rule = _rule(event.action)
    if rule is None:
        return
    audience, title = rule
    values = _Defaulting(event.metadata or {})
    values.setdefault("action", event.action)
    values.setdefault("target", values.get("slug") or values.get("name") or event.target_id or "")
    recipients = _audience(event, audience) - {event.actor_id}
    for user_id in sorted(recipients):
        Notification.create(org=event.org_id, user=user_id, kind=event.action,
                            title=title.format_map(values), body=None,
                            data={"eventId": event.id, "targetType": event.target_type,
                                  "targetId": event.target_id},
                            created_at=event.created_at)


_events.subscribe(notify_on)


def notification_view(n: Notification) -> models.Notification:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "data": n.data or {},
            "read": n.read_at is not None, "readAt": clock.iso(n.read_at),
            "createdAt": clock.iso(n.created_at)}


def _mine():
    return (Notification.org == current_org()) & (Notification.user == context.caller().user_id)


def parse_limit(limit, default=50, maximum=100) -> int:
    if limit is None:
        return default
    text = str(limit).strip()
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise Unprocessable("Invalid query", details={
            "formErrors": [], "fieldErrors": {"limit": [f"Expected an integer from 1 to {maximum}"]}})
    return int(text)


def list_notifications(limit):
    rows = (Notification.select().where(_mine())
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(parse_limit(limit)))
    return {"notifications": [notification_view(n) for n in rows]}, 200


def mark_read(notification_id):
    with write_transaction():
        n = Notification.get_or_none(_mine() & (Notification.id == notification_id))
        if n is None:
            raise NotFound("Notification not found")
        if n.read_at is None:
            Notification.update(read_at=clock.now_ms()).where(Notification.id == n.id).execute()
    return {"ok": True}, 200


def mark_all_read():
    Notification.update(read_at=clock.now_ms()).where(_mine() & Notification.read_at.is_null()).execute()
    return {"ok": True}, 200
