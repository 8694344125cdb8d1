"""ASGI entry point for uvicorn workers: ``uvicorn --factory spec_server.asgi:create``."""

from __future__ import annotations

import gc


def create():
    from spec_server import apis, checkpoints, config, db
    from spec_server.app import create_app

    app = create_app()
    checkpoints.start(db.sqlite_file(db.database.obj))  # WAL checkpoints off the writers' path
    for api in apis.discover(config.settings().apis):
        if api.on_serve is not None:
            api.on_serve()  # e.g. backlex's job consumer
    settle_garbage_collector()
    return app


def settle_garbage_collector() -> None:
    """The app's start-up objects (documents, validators, routes) live as long as the process:
    freeze them out of the collector's scans, and collect the young generation less often.
    Each request allocates thousands of short-lived objects; with the default threshold (700)
    the collector ran every few requests and took about 5% of a request's CPU."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
