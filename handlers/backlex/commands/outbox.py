"""``spec-server outbox``: the emails the server would have sent (invitations), oldest first;
waiting ones are delivered (shown with their tokens) once, then kept redacted."""

from __future__ import annotations

import json
import sys

from spec_server.commands import database_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("outbox", help="show the backlex mail outbox")
    database_option(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list of messages")
    parser.add_argument("--to", help="only messages to this address")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Stands in for the mailer: each waiting message is shown once with its token, then kept
    redacted (README "Secrets at rest")."""
    from handlers.backlex._mail import deliver_pending
    from handlers.backlex.store import MailMessage
    from spec_server.cli import open_store
    from spec_server.db import write_transaction

    database = open_store(args.database)
    with database.connection_context(), write_transaction():
        query = MailMessage.select().order_by(MailMessage.created_at, MailMessage.id)
        if args.to:
            query = query.where(MailMessage.to == args.to.strip().lower())
        messages = deliver_pending(query)
    if args.json:
        json.dump(messages, sys.stdout, indent=2)
        print()
        return 0
    for message in messages:
        print(f"--- {message['createdAt']}  to {message['to']}\nSubject: {message['subject']}\n")
        print(message["body"] + "\n")
    if not messages:
        print("The outbox is empty.")
    return 0
