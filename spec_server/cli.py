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

    return run(args.check)


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


def _seed_demo_if_empty(database) -> dict | None:
    from handlers.backlex.store import User as BxUser
    from handlers.pathmode.store import User as PmUser
    from spec_server import demo, seeding

    with database.connection_context():
        if BxUser.select().exists() or PmUser.select().exists():
            return None
        return seeding.seed(demo.DEMO_SEED)


def cmd_serve(args) -> int:
    from spec_server import demo, workers

    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ["SPEC_SERVER_APIS"] = args.api
    database = open_store(args.database)
    created = _seed_demo_if_empty(database)
    base_url = f"http://{args.host}:{args.port}"
    os.environ.setdefault("PUBLIC_BASE_URL", base_url)
    print(f"spec-server on {base_url}  (backlex at /api, Pathmode at /api/v1)")
    print(f"Swagger UI: {base_url}/api/ui/ (backlex)  {base_url}/api/v1/ui/ (Pathmode)")
    if created:
        print("Seeded a demo dataset. Try:")
        for line in demo.curl_lines(base_url, created):
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
    serve.add_argument("--api", choices=["all", "backlex", "pathmode"], default="all")
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
    codegen.add_argument("--check", action="store_true", help="fail and name every stale file")
    codegen.set_defaults(func=cmd_codegen)

    from spec_server import commands

    commands.register_all(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
