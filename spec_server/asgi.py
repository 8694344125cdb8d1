"""ASGI entry point for uvicorn workers: ``uvicorn --factory spec_server.asgi:create``."""

from __future__ import annotations


def create():
    from spec_server.app import create_app

    return create_app()
