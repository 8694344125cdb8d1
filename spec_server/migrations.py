"""Create or migrate every table at start-up."""

from __future__ import annotations

from spec_server import store
from spec_server.db import database


def all_models() -> tuple:
    from handlers.backlex.store import MODELS as BACKLEX
    from handlers.pathmode.store import MODELS as PATHMODE

    return (*store.MODELS, *BACKLEX, *PATHMODE)


def migrate() -> None:
    with database.connection_context():
        database.create_tables(all_models(), safe=True)
