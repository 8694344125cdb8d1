"""spec_server.checkpoints: the WAL is copied back by a background thread, not by writers."""

from __future__ import annotations

import shutil
import sqlite3
import time

import peewee

from spec_server import checkpoints, db


def rows_in_the_main_file(path, tmp_path) -> int:
    """The rows a reader sees in the database file alone, without its WAL."""
    copy = tmp_path / "main-file-only.sqlite3"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as reader:
        return reader.execute("SELECT COUNT(*) FROM t").fetchone()[0]


def test_committed_pages_reach_the_database_file_without_a_writer_checkpointing(tmp_path):
    path = tmp_path / "db.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # this writer never checkpoints
    writer.execute("CREATE TABLE t (x)")
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the table itself is in the file
    writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    assert rows_in_the_main_file(path, tmp_path) == 0  # still only in the WAL

    checkpointer = checkpoints.Checkpointer(str(path), interval=0.01).start()
    try:
        deadline = time.monotonic() + 10
        while rows_in_the_main_file(path, tmp_path) != 100 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rows_in_the_main_file(path, tmp_path) == 100
    finally:
        checkpointer.stop()
        writer.close()


def test_request_connections_checkpoint_only_as_a_safety_net(tmp_path):
    database = db.make_database(f"sqlite:///{tmp_path}/db.sqlite3")
    database.connect()
    try:
        assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == checkpoints.SAFETY_NET_PAGES
    finally:
        database.close()


def test_only_a_sqlite_file_gets_a_checkpointer(tmp_path):
    assert checkpoints.start(db.sqlite_file(peewee.SqliteDatabase(":memory:"))) is None
    assert checkpoints.start(db.sqlite_file(peewee.PostgresqlDatabase("unused"))) is None
    running = checkpoints.start(db.sqlite_file(peewee.SqliteDatabase(str(tmp_path / "db.sqlite3"))))
    assert running is not None
    running.stop()
