"""Extra ``spec-server`` subcommands: every module here, and every module of a served API's
``handlers/<api>/commands/`` package, defines ``register(subparsers)``."""

from __future__ import annotations

import importlib
import logging
import pkgutil

log = logging.getLogger(__name__)


def database_option(parser) -> None:
    """``--database``, the same on every command that opens the store."""
    parser.add_argument("--database", help="database URL (default: $DATABASE_URL or sqlite:///var/spec-server.sqlite3)")


def _modules(package_name: str) -> list[str]:
    package = importlib.import_module(package_name)
    return [f"{package_name}.{m.name}" for m in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)]


def register_all(subparsers) -> None:
    from spec_server import apis

    for module in _modules(__name__):
        importlib.import_module(module).register(subparsers)
    for api in apis.served_names():
        try:
            modules = _modules(f"handlers.{api}.commands")
        except ModuleNotFoundError:
            continue  # an API without commands of its own
        for module in modules:
            try:
                importlib.import_module(module).register(subparsers)
            except Exception as error:  # noqa: BLE001 - one broken API must not take `codegen` down
                log.warning("%s: its commands are unavailable: %s", module, error)
