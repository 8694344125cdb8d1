"""The mail outbox: every email the server would send is a row a deployment's mailer delivers
(and ``spec-server outbox`` shows, standing in for that mailer).

An invitation email carries its token, a credential. The seat keeps only the token's digest;
the message must keep the token readable for as long as it waits to be sent (a digest cannot
be emailed), and not a moment longer:

- ``deliver_pending`` hands each waiting message to the mailer once (``spec-server outbox``
  prints it) and then redacts it: the token column is cleared and the token in the body
  becomes ``inv_…<last 4>``;
- ``redact_invitations`` redacts a seat's waiting messages as soon as their token dies
  (accepted, resent, revoked), so a dead token is never kept either.
"""

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
    if message.delivered_at is not None:
        view["deliveredAt"] = clock.iso(message.delivered_at)
    return view


def redacted(token: str) -> str:
    return f"{token[:4]}…{token[-4:]}"


def _redact(message: MailMessage, *, delivered: bool) -> None:
    body = message.body.replace(message.token, redacted(message.token)) if message.token else message.body
    changes: dict[str, object] = {"token": None, "body": body}
    if delivered:
        changes["delivered_at"] = clock.now_ms()
    MailMessage.update(**changes).where(MailMessage.id == message.id).execute()


def deliver_pending(query) -> list[dict]:
    """The waiting messages of ``query`` as the mailer gets them (tokens in full), each then
    marked delivered and redacted; already delivered ones as they are kept (redacted)."""
    shown = []
    for message in query:
        shown.append(message_view(message))
        if message.delivered_at is None:
            _redact(message, delivered=True)
    return shown


def redact_invitations(org_id: str, email: str) -> None:
    """The seat's token died: no message keeps it."""
    waiting = MailMessage.select().where((MailMessage.org_id == org_id) & (MailMessage.to == email)
                                         & (MailMessage.kind == "invitation") & MailMessage.token.is_null(False))
    for message in waiting:
        _redact(message, delivered=False)
