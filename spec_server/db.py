"""The one Peewee database, bound late from a URL (SQLite file or PostgreSQL).

Every model of both APIs binds to ``database`` (a proxy); ``open_database`` initialises it
at start-up. Writes that must not interleave across workers go through ``write_transaction``
and ``serialize``: an IMMEDIATE transaction on SQLite (one writer at a time), an advisory
transaction lock on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload
from urllib.parse import unquote, urlparse

import peewee
import psycopg2.extensions
from playhouse.pool import PooledPostgresqlDatabase

from spec_server import checkpoints, jsonio

database = peewee.DatabaseProxy()

DEFAULT_URL = "sqlite:///var/spec-server.sqlite3"


_V = TypeVar("_V")


class JSONField(peewee.TextField, Generic[_V]):
    """JSON stored as text, so SQLite and PostgreSQL behave the same.

    Typed by its declaration, ``tags: JSONField[list[str]] = JSONField(default=list)``: what
    a row's attribute holds (peewee's stubs would say ``str``, a TextField's). Undeclared, Any."""

    def db_value(self, value):
        return None if value is None else jsonio.dumps_text(value)

    def python_value(self, value):
        return None if value is None else jsonio.loads(value)

    if TYPE_CHECKING:  # for mypy only: peewee's own fields declare the same
        def __new__(cls, *args: Any, **kwargs: Any) -> JSONField[Any]: ...

        @overload
        def __get__(self, instance: None, owner: Any) -> JSONField[_V]: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> _V: ...
        def __get__(self, instance: object, owner: Any) -> JSONField[_V] | _V: ...

        def __set__(self, instance: object, value: _V) -> None: ...


class ForeignKeyId(Protocol[_V]):
    """The ``<name>_id`` attribute peewee adds beside a foreign key ``<name>`` (the related
    row's key, read without loading the row), which peewee's stubs cannot know of; declared
    in a model's body as ``org_id: ForeignKeyId[str]``, an annotation without a value."""

    @overload
    def __get__(self, instance: None, owner: Any) -> peewee.ForeignKeyField[Any]: ...
    @overload
    def __get__(self, instance: object, owner: Any) -> _V: ...
    def __set__(self, instance: object, value: _V) -> None: ...


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


def new_id() -> str:
    return str(uuid.uuid4())


def ordered_id() -> str:
    """A UUID in version 7's layout: 48 bits of epoch milliseconds, then 74 random bits. Ids
    made later sort after earlier ones, so a table's primary-key index grows at its right
    edge: a create writes the page the previous one wrote, where a random id lands on any
    leaf (one more page read and written per commit). For tables created at a high rate."""
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = ((milliseconds & (1 << 48) - 1) << 80 | 0x7 << 76 | (random_bits >> 62 & 0xFFF) << 64
             | 0b10 << 62 | random_bits & (1 << 62) - 1)
    return str(uuid.UUID(int=value))


class PostgresDatabase(PooledPostgresqlDatabase):
    """Peewee's pooled PostgreSQL database that sends fewer round trips for the same
    transactions: every statement is a round trip to the server, and a create's transaction
    has only a handful.

    - BEGIN travels with the transaction's first statement; a transaction in which no
      statement ran sends nothing at all.
    - A statement run with ``execute_alone(..., on_failure=...)`` is held back and travels
      with COMMIT (in its own savepoint), unless another statement comes first: then it is
      sent first, alone. Either way every later statement sees it.
    """

    def begin(self, isolation_level=None):
        if isolation_level or self._isolation_level:
            return super().begin(isolation_level)
        self._state.begin_pending_on = self._state.conn

    def _take_pending_begin(self) -> str:
        """``"BEGIN; "`` if this transaction's BEGIN is still to be sent (then it is taken), else ``""``."""
        pending_on = getattr(self._state, "begin_pending_on", None)
        self._state.begin_pending_on = None
        # only for the connection it was meant for (a closed one may have been replaced)
        return "BEGIN; " if pending_on is not None and pending_on is self._state.conn else ""

    def hold_back(self, sql: str, params, on_failure) -> None:
        """Inside a transaction: send ``sql`` later, as ``execute_alone`` would now."""
        self._send_held_back()  # one at a time: each failure is its own
        self._state.held_back = (self._state.conn, sql, params, on_failure)

    def _send_held_back(self, then: str = "") -> bool:
        """Send the held-back statement, if any, in its savepoint, followed by ``then`` (COMMIT)
        in the same query; a failure of the statement undoes it alone and goes to its
        ``on_failure``. False when nothing was held back (and nothing was sent)."""
        held, self._state.held_back = getattr(self._state, "held_back", None), None
        if held is None or held[0] is not self._state.conn:
            return False
        _conn, sql, params, on_failure = held
        begin = self._take_pending_begin()
        try:
            super().execute_sql(f"{begin}{_ALONE_BEGIN} {sql}; {_ALONE_END}{then}", params)
        except peewee.DatabaseError as error:
            if self._state.conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_INERROR:
                raise  # the statement ran; what failed is ``then`` (a COMMIT), which is the caller's
            super().execute_sql(f"{_ALONE_UNDO}{then}")
            on_failure(error)
        return True

    def execute_sql(self, sql, params=None, *args, **kwargs):
        self._send_held_back()
        return super().execute_sql(f"{self._take_pending_begin()}{sql}", params, *args, **kwargs)

    def commit(self):
        if self._send_held_back(then="; COMMIT"):
            return
        if not self._take_pending_begin():
            super().commit()

    def rollback(self):
        self._state.held_back = None  # never sent: nothing to undo
        if not self._take_pending_begin():
            super().rollback()


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_database(url: str) -> peewee.Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(
            path,
            pragmas={"journal_mode": "wal", "busy_timeout": 15000, "foreign_keys": 1,
                     "synchronous": "normal", "wal_autocheckpoint": checkpoints.SAFETY_NET_PAGES},
            timeout=15,
            lock_type="IMMEDIATE",  # take the write lock at BEGIN, so writers queue instead of failing
        )
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username or "") or None,
            password=unquote(parsed.password or "") or None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            max_connections=int(os.environ.get("DB_POOL_SIZE", "16")),
            stale_timeout=300,
            timeout=30,
        )
    raise ValueError(f"unsupported database URL: {url}")


def open_database(url: str | None = None) -> peewee.Database:
    db = make_database(database_url(url))
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def sqlite_file(db: peewee.Database) -> str | None:
    """The file of a SQLite database; None for PostgreSQL or a database in memory."""
    path = str(db.database or "") if isinstance(db, peewee.SqliteDatabase) else ""
    return None if not path or ":memory:" in path else path


_sqlite_writer = threading.Lock()
_writer_files: dict[str, int] = {}


@contextlib.contextmanager
def _sqlite_writer_turn():
    """This process's turn to write: its threads queue on a lock, processes on an flock of
    ``<database>.writer.lock`` (both wake a waiter the moment the writer is done)."""
    path = sqlite_file(database.obj)
    with _sqlite_writer:
        if path is None:
            yield
            return
        if path not in _writer_files:
            _writer_files[path] = os.open(f"{path}.writer.lock", os.O_CREAT | os.O_RDWR, 0o644)
        descriptor = _writer_files[path]
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


@contextlib.contextmanager
def write_transaction():
    """A transaction (a savepoint when nested). On SQLite every BEGIN is IMMEDIATE, so a
    read-then-write transaction waits for the lock instead of failing as 'database is locked'.

    SQLite has one writer, and left to SQLite a waiting writer sleeps in its busy handler
    (1, 2, 5 ... 100 ms) and wakes late: under 32 concurrent creates p99 was about a second,
    and two workers wrote less than one. Writers therefore take their turn first
    (``_sqlite_writer_turn``); SQLite's busy timeout still covers writes made any other way.
    A thread already inside a transaction holds SQLite's lock and takes only a savepoint, so
    it never waits here."""
    with write_turn():
        if database.in_transaction():  # write_turn opened it (PostgreSQL, or a savepoint)
            yield
        else:
            with database.atomic():
                yield


@contextlib.contextmanager
def write_turn():
    """For writes that are each one statement (their own transaction on SQLite): the writers'
    turn without BEGIN and COMMIT around them. On PostgreSQL a transaction, so that a
    ``serialize`` lock is held until the write commits."""
    if is_postgres() or database.in_transaction():
        with database.atomic():
            yield
        return
    with _sqlite_writer_turn():
        yield


_ALONE_BEGIN = "SAVEPOINT spec_server_alone;"
_ALONE_END = "RELEASE SAVEPOINT spec_server_alone"
_ALONE_UNDO = "ROLLBACK TO SAVEPOINT spec_server_alone; RELEASE SAVEPOINT spec_server_alone"


def execute_alone(sql: str, params=(), *, on_failure=None):
    """Run one statement whose failure must undo only itself, inside a transaction that goes
    on. PostgreSQL aborts the whole transaction on a failed statement, so it runs in a
    savepoint, sent with the statement as one query (one round trip, not three); SQLite
    undoes just the failed statement by itself.

    With ``on_failure``, a failure goes to it (the exception) instead of being raised, and
    PostgreSQL holds the statement back to travel with the transaction's COMMIT
    (``PostgresDatabase``): a side record, such as an event about the change, costs no round
    trip of its own."""
    if is_postgres() and database.in_transaction():
        if on_failure is not None:
            database.obj.hold_back(sql, params, on_failure)
            return None
        try:
            return database.execute_sql(f"{_ALONE_BEGIN} {sql}; {_ALONE_END}", params)
        except peewee.DatabaseError:
            database.execute_sql(_ALONE_UNDO)
            raise
    try:
        return database.execute_sql(sql, params)
    except peewee.DatabaseError as error:
        if on_failure is None:
            raise
        on_failure(error)
        return None


def serialize(key: str) -> None:
    """Inside a write transaction: wait for every other transaction holding ``key``.

    SQLite already runs one write transaction at a time; PostgreSQL takes an advisory lock
    that is released at commit, so two workers never interleave (rate windows, quotas,
    unique names)."""
    if is_postgres():
        database.execute_sql(*serializing_statement(key))


def serializing_statement(key: str) -> tuple[str, tuple]:
    """PostgreSQL's statement (and parameters) for ``serialize(key)``."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    return "SELECT pg_advisory_xact_lock(%s)", (digest,)


_thread = threading.local()


def keep_connections_in_this_thread() -> None:
    """Called by the request threads (``offload``): they live as long as the process, so their
    PostgreSQL connection stays checked out between requests, as SQLite's does. Checking it
    out of the pool and back for every unit of work (twice a request) cost a tenth of a list
    request on PostgreSQL."""
    _thread.keeps_connection = True


_ALREADY_OPEN = contextlib.nullcontext()  # shared: it holds no state


def connection():
    """Connect for one unit of work. In a request thread the connection stays open for the
    thread (opening a SQLite one costs more than a request's queries: four pragmas), outside
    any transaction, and closes with the thread. Any other thread (a stream, a page, a job, a
    handler that waits on the network) closes its SQLite connection, or gives its PostgreSQL
    one back to the pool, at the end. A connection already open is used as it is, with no
    generator to enter (twice a request)."""
    db = database.obj
    if not db.is_closed() and not (is_postgres() and getattr(_thread, "keeps_connection", False)
                                   and db.connection().closed):
        return _ALREADY_OPEN
    return _opened(db)


@contextlib.contextmanager
def _opened(db):
    # only the request threads keep theirs: any other thread (anyio's up to 40, job consumers)
    # holding a SQLite connection each kept its page cache, and the process grew with every
    # thread a burst brought into use (README "Hostile input"); a database in memory lives
    # only as long as its connection
    keeps = getattr(_thread, "keeps_connection", False) or (not is_postgres() and sqlite_file(db) is None)
    if not db.is_closed():
        db.close()  # the server closed it (a restart): the pool drops it, the next one is fresh
    db.connect()
    try:
        yield
    finally:
        if not keeps and not db.is_closed() and not db.in_transaction():
            db.close()
