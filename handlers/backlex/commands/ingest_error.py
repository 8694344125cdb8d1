"""``spec-server ingest-error``: record a runtime error of a backlex project (what a worker reports).

    spec-server ingest-error PROJECT_ID "TypeError: x is undefined" --path /api/cart --stack-file err.txt
"""

from __future__ import annotations

import json
import sys

from spec_server.commands import database_option


def register(subparsers) -> None:
    command = subparsers.add_parser("ingest-error", help="record a runtime error of a backlex project")
    command.add_argument("project_id")
    command.add_argument("message")
    command.add_argument("--level", default="error", choices=["error", "warning", "fatal"])
    command.add_argument("--path", help="the request path that failed")
    command.add_argument("--stack-file", help="a file holding the stack trace ('-' for stdin)")
    database_option(command)
    command.set_defaults(func=run)


def run(args) -> int:
    from handlers.backlex import _projects
    from spec_server.cli import open_store
    from spec_server.errors import NotFound

    database = open_store(args.database)
    stack = None
    if args.stack_file:
        stack = sys.stdin.read() if args.stack_file == "-" else open(args.stack_file).read()
    with database.connection_context():
        try:
            error = _projects.ingest_error(args.project_id, args.message, level=args.level,
                                           path=args.path, stack=stack)
        except NotFound:
            print(f"no live project {args.project_id}", file=sys.stderr)
            return 1
    print(json.dumps({"id": error.id, "projectId": args.project_id}))
    return 0
