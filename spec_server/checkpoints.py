"""SQLite WAL checkpoints in a background thread, not inside a writer's commit.

Left to SQLite, the commit that takes the WAL past 1,000 pages copies them back into the
database file and fsyncs it, while that writer still holds the write lock: every other
writer waits for the disk. That cost a create about 130 µs on average (a third of its
handler). Server processes therefore run ``start()``: a thread with its own connection
runs a PASSIVE checkpoint every ``interval`` seconds. A PASSIVE checkpoint takes no write
lock, so writers go on appending while it copies and fsyncs; the GIL is released
meanwhile. Request connections keep an automatic checkpoint only as a safety net
(``SAFETY_NET_PAGES``), for processes that run no checkpointer (CLI commands, tests).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

# request connections checkpoint by themselves only past this many WAL pages (~64 MB)
SAFETY_NET_PAGES = 16_384
INTERVAL_S = float(os.environ.get("SQLITE_CHECKPOINT_INTERVAL", "0.05"))


class Checkpointer:
    """Checkpoints ``path``'s WAL every ``interval`` seconds until ``stop()``."""

    def __init__(self, path: str, interval: float = INTERVAL_S):
        self.path = path
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def checkpoint(self, connection: sqlite3.Connection) -> tuple[int, int, int]:
        """``(busy, WAL pages, pages copied)``; busy when another process's checkpoint runs."""
        return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping.wait(self.interval):
                try:
                    self.checkpoint(connection)
                except sqlite3.Error:  # the safety net still bounds the WAL; try again later
                    log.warning("WAL checkpoint of %s failed", self.path, exc_info=True)
        finally:
            connection.close()


def start(path: str | None) -> Checkpointer | None:
    """A running checkpointer for the SQLite file ``path`` (``db.sqlite_file``); None without one."""
    return Checkpointer(path).start() if path else None
