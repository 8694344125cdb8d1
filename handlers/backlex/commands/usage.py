"""``spec-server usage record``: feed the backlex usage ledger, as a data plane would."""

from __future__ import annotations

import json
import sys

from handlers.backlex._plans import METRICS
from spec_server.commands import database_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("usage", help="backlex usage ledger")
    actions = parser.add_subparsers(dest="usage_command", required=True)
    record = actions.add_parser("record", help="record usage of one project")
    record.add_argument("--org", required=True, help="org slug")
    record.add_argument("--project", required=True, help="project slug (a live project)")
    record.add_argument("--metric", required=True, choices=METRICS)
    record.add_argument("--amount", required=True, type=int)
    database_option(record)
    record.set_defaults(func=run_record)


def run_record(args) -> int:
    from handlers.backlex import _jobs, _reactions
    from handlers.backlex._usage import record_usage
    from handlers.backlex.store import Org, Project
    from spec_server.cli import open_store

    database = open_store(args.database)
    _reactions.load()  # notifications, webhooks and alarms react to what this records
    # a fired alarm's deliveries are queued for the server's consumers, never sent from here
    with _jobs.enqueue_only(), database.connection_context():
        org = Org.get_or_none((Org.slug == args.org) & Org.deleted_at.is_null())
        project = None if org is None else Project.get_or_none(
            (Project.org == org) & (Project.slug == args.project) & Project.deleted_at.is_null())
        if org is None or project is None:
            print(f"no live project {args.project!r} in org {args.org!r}", file=sys.stderr)
            return 1
        try:
            record = record_usage(org, project, args.metric, args.amount)
        except ValueError as error:
            print(str(error), file=sys.stderr)
            return 2
    json.dump({"id": record.id, "org": org.slug, "project": project.slug, "metric": record.metric,
               "amount": record.amount, "period": record.period}, sys.stdout)
    print()
    return 0
