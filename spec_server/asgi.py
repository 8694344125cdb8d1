"""ASGI entry point for uvicorn workers: ``uvicorn --factory spec_server.asgi:create``."""

from __future__ import annotations

import gc


def create():
    from spec_server import apis, checkpoints, config, db
    from spec_server.app import create_app

    # first: a thread started before it (the checkpointer, the job consumers) has its own arena
    return_large_blocks_to_the_system()
    app = create_app()
    checkpoints.start(db.sqlite_file(db.database.obj))  # WAL checkpoints off the writers' path
    for api in apis.discover(config.settings().apis):
        if api.on_serve is not None:
            api.on_serve()  # e.g. backlex's job consumer
    settle_garbage_collector()
    return app


def return_large_blocks_to_the_system(threshold: int = 128 * 1024, arenas: int = 2) -> None:
    """glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so after
    a burst of 1 MB request bodies they come from the heap and its fragments stay: 16 clients
    posting 900 KB verify bodies left a worker at 1.67 × its idle RSS. A fixed threshold keeps
    every block over 128 KiB in its own mapping, returned when freed: 1.19 × (bench/hostile.py,
    README "Hostile input"). glibc also gives each new thread an arena of its own (8 per
    CPU), whose freed memory stays with it; the threads take the GIL in turn, so two arenas
    cost no waiting. Elsewhere than glibc this does nothing."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-3, threshold)  # M_MMAP_THRESHOLD
            libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except OSError:
        pass


def settle_garbage_collector() -> None:
    """The app's start-up objects (documents, validators, routes) live as long as the process:
    freeze them out of the collector's scans, and collect the young generation less often.
    Each request allocates thousands of short-lived objects; with the default threshold (700)
    the collector ran every few requests and took about 5% of a request's CPU."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
