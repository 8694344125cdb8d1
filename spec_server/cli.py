"""The ``spec-server`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys

from spec_server.commands import database_option


def open_store(database: str | None):
    """Bind and migrate the database named on the command line (or by $DATABASE_URL)."""
    from spec_server import db, migrations

    if database:
        os.environ["DATABASE_URL"] = database
    db.open_database(database)
    migrations.migrate()
    return db.database


def cmd_codegen(args) -> int:
    from codegen.cli import run

    return run(args.check, report_only=args.report, scaffold=args.scaffold)


def cmd_seed(args) -> int:
    from spec_server import seeding

    database = open_store(args.database)
    with open(args.file) as handle:
        data = json.load(handle)
    with database.connection_context():
        created = seeding.seed(data)
    json.dump(created, sys.stdout, indent=2)
    print()
    return 0


def _seed_demo_if_empty(database, served) -> dict | None:
    """Each served API's demo dataset, the first time the server starts on an empty store."""
    from spec_server import seeding

    with database.connection_context():
        if any(model.select().exists() for api in served for model in api.models):
            return None
        return seeding.seed({api.name: api.demo.seed for api in served if api.demo is not None})


def cmd_serve(args) -> int:
    from spec_server import apis, workers
    from spec_server.app import StartupRefused, refuse_misfits

    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ["SPEC_SERVER_APIS"] = args.api
    database = open_store(args.database)
    served = apis.discover(args.api)
    try:  # before the demo is seeded and curl lines are printed for a server that would not start
        refuse_misfits(list(served))
    except StartupRefused as refused:
        print(f"spec-server: not started: {refused}", file=sys.stderr)
        return 1
    created = _seed_demo_if_empty(database, served)
    base_url = f"http://{args.host}:{args.port}"
    os.environ.setdefault("PUBLIC_BASE_URL", base_url)
    print(f"spec-server on {base_url}  ({', '.join(f'{api.name} at {api.mount}' for api in served)})")
    print("Swagger UI: " + "  ".join(f"{base_url}{api.mount}/ui/ ({api.name})" for api in served))
    if created:
        print("Seeded a demo dataset. Try:")
        for api in served:
            if api.demo is not None and api.name in created:
                for line in api.demo.lines(base_url, created[api.name]):
                    print("  " + line)
    else:
        print("The database already holds data; `spec-server seed FILE` prints fresh credentials.")
    sys.stdout.flush()
    workers.serve(args.host, args.port, args.workers, args.log_level)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec-server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    from spec_server import apis

    serve.add_argument("--api", choices=["all", *apis.served_names()], default="all")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="warning")
    database_option(serve)
    serve.set_defaults(func=cmd_serve)

    seed = sub.add_parser("seed", help="create principals and tenants from a JSON file")
    seed.add_argument("file")
    database_option(seed)
    seed.set_defaults(func=cmd_seed)

    codegen = sub.add_parser("codegen", help="regenerate generated/ from specs/")
    codegen.add_argument("--check", action="store_true",
                         help="write nothing; fail and name every stale file and every handler that does not fit")
    codegen.add_argument("--report", action="store_true",
                         help="write nothing; print the change report against what generated/ was built from")
    codegen.add_argument("--scaffold", action="store_true",
                         help="also write a 501 stub for every operation without a handler (never overwrites)")
    codegen.set_defaults(func=cmd_codegen)

    from spec_server import commands

    commands.register_all(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
