"""Extra ``spec-server`` subcommands: every module here defines ``register(subparsers)``."""

from __future__ import annotations

import importlib
import pkgutil


def database_option(parser) -> None:
    """``--database``, the same on every command that opens the store."""
    parser.add_argument("--database", help="database URL (default: $DATABASE_URL or sqlite:///var/spec-server.sqlite3)")


def register_all(subparsers) -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}").register(subparsers)
