"""The mail outbox: messages a deployment would send (invitations), shown by ``spec-server outbox``."""

from __future__ import annotations

import peewee

from spec_server.db import BaseModel, new_id

__all__ = ["MailMessage", "MODELS"]


class MailMessage(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org_id = peewee.CharField(null=True)
    to = peewee.CharField()
    subject = peewee.TextField()
    body = peewee.TextField()
    kind = peewee.CharField()  # invitation | ...
    # the invitation token, until the message is delivered or the token dies (``_mail``)
    token = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()
    delivered_at = peewee.BigIntegerField(null=True)  # handed to the mailer (then redacted)

    class Meta:
        table_name = "bx_mail_message"
        indexes = ((("created_at",), False),)


MODELS = (MailMessage,)
