"""ASGI entry point for uvicorn workers: ``uvicorn --factory spec_server.asgi:create``."""

from __future__ import annotations

import gc


def create():
    from handlers.backlex import _jobs
    from spec_server import checkpoints, db
    from spec_server.app import create_app

    app = create_app()
    checkpoints.start(db.sqlite_file(db.database.obj))  # WAL checkpoints off the writers' path
    _jobs.start_in_process()  # the backlex job consumer; JOBS_IN_PROCESS=0 leaves it to `spec-server worker`
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
