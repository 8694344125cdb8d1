"""``spec-server billing``: the local payment engine's side of checkout, and operator top-ups.

``billing complete SESSION_ID`` is what a payment provider's webhook would do once the customer
paid: the org moves to the plan (or gets the pack) and a paid invoice is written. The session id
is the last segment of the checkout URL.
"""

from __future__ import annotations

import json
import sys

from handlers.backlex._plans import METRICS
from spec_server.commands import database_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("billing", help="backlex billing: complete checkouts, top-ups")
    actions = parser.add_subparsers(dest="billing_command", required=True)
    complete = actions.add_parser("complete", help="complete a checkout session (payment received)")
    complete.add_argument("session", help="checkout session id or checkout URL")
    database_option(complete)
    complete.set_defaults(func=run_complete)
    topup = actions.add_parser("topup", help="grant extra units of a metric for this month")
    topup.add_argument("--org", required=True, help="org slug")
    topup.add_argument("--type", required=True, choices=METRICS)
    topup.add_argument("--units", required=True, type=int)
    database_option(topup)
    topup.set_defaults(func=run_topup)


def run_complete(args) -> int:
    from handlers.backlex import _jobs, _reactions
    from handlers.backlex._billing import complete_checkout
    from spec_server.cli import open_store

    database = open_store(args.database)
    _reactions.load()  # notifications, webhooks and alarms react to what this records
    session_id = args.session.rstrip("/").rsplit("/", 1)[-1]
    with _jobs.enqueue_only(), database.connection_context():  # deliveries go to the server's consumers
        try:
            session = complete_checkout(session_id)
        except (LookupError, ValueError) as error:
            print(str(error).strip("'\""), file=sys.stderr)
            return 1
    json.dump({"session": session.id, "kind": session.kind, "item": session.item,
               "status": session.status}, sys.stdout)
    print()
    return 0


def run_topup(args) -> int:
    from handlers.backlex import _events, _jobs, _reactions
    from handlers.backlex.store import Org, Topup
    from spec_server import clock
    from spec_server.cli import open_store
    from spec_server.db import write_transaction

    if args.units <= 0:
        print("--units must be positive", file=sys.stderr)
        return 2
    database = open_store(args.database)
    _reactions.load()  # notifications, webhooks and alarms react to what this records
    with _jobs.enqueue_only(), database.connection_context():  # deliveries go to the server's consumers
        org = Org.get_or_none((Org.slug == args.org) & Org.deleted_at.is_null())
        if org is None:
            print(f"no org {args.org!r}", file=sys.stderr)
            return 1
        with write_transaction():
            topup = Topup.create(org=org, type=args.type, units=args.units, created_at=clock.now_ms())
            _events.record(org, "billing.topup_granted", target_type="topup", target_id=topup.id,
                           metadata={"type": args.type, "units": args.units})
    json.dump({"org": org.slug, "type": args.type, "units": args.units}, sys.stdout)
    print()
    return 0
