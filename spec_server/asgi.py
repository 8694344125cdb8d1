"""ASGI entry point for uvicorn workers: ``uvicorn --factory spec_server.asgi:create``."""

from __future__ import annotations


def create():
    from handlers.backlex import _jobs
    from spec_server.app import create_app

    app = create_app()
    _jobs.start_in_process()  # the backlex job consumer; JOBS_IN_PROCESS=0 leaves it to `spec-server worker`
    return app
