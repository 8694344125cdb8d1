"""Everything that happens to an org goes through ``record``: the audit log first.

Other reactions (notifications, webhook and integration deliveries) subscribe with
``subscribe``; each runs inside the same transaction as the change that caused it, so a
change and its consequences commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.backlex.store import AuditEvent, Org
from spec_server import clock, context

Subscriber = Callable[[AuditEvent], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Subscriber:
    _subscribers.append(subscriber)
    return subscriber


def record(org: Org, action: str, *, target_type: str | None = None, target_id: str | None = None,
           metadata: dict | None = None, actor: tuple[str | None, str | None] | None = None) -> AuditEvent:
    """Write the audit event for ``action`` (e.g. ``member.role_changed``) and fan it out."""
    if actor is None:
        try:
            who = context.caller()
            actor = (who.user_id, who.email)
        except RuntimeError:  # outside a request (CLI, jobs)
            actor = (None, None)
    event = AuditEvent.create(
        org=org, actor_id=actor[0], actor_email=actor[1], action=action,
        target_type=target_type, target_id=target_id, metadata=metadata or {},
        created_at=clock.now_ms())
    for subscriber in _subscribers:
        subscriber(event)
    return event
