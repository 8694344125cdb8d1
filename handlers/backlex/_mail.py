"""The mail outbox: every email the server would send is a row a deployment's mailer delivers
(and ``spec-server outbox`` shows)."""

from __future__ import annotations

from handlers.backlex.store import MailMessage
from spec_server import clock


def send(to: str, subject: str, body: str, *, kind: str, org_id: str | None = None,
         token: str | None = None) -> MailMessage:
    return MailMessage.create(to=to, subject=subject, body=body, kind=kind, org_id=org_id,
                              token=token, created_at=clock.now_ms())


def message_view(message: MailMessage) -> dict:
    view = {"to": message.to, "subject": message.subject, "body": message.body,
            "createdAt": clock.iso(message.created_at), "kind": message.kind}
    if message.token:
        view["token"] = message.token
    return view
