"""The one Peewee database, bound late from a URL (SQLite file or PostgreSQL).

Every model of both APIs binds to ``database`` (a proxy); ``open_database`` initialises it
at start-up. Writes that must not interleave across workers go through ``write_transaction``
and ``serialize``: an IMMEDIATE transaction on SQLite (one writer at a time), an advisory
transaction lock on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase

from spec_server import jsonio

database = peewee.DatabaseProxy()

DEFAULT_URL = "sqlite:///var/spec-server.sqlite3"


class JSONField(peewee.TextField):
    """JSON stored as text, so SQLite and PostgreSQL behave the same."""

    def db_value(self, value):
        return None if value is None else jsonio.dumps_text(value)

    def python_value(self, value):
        return None if value is None else jsonio.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


def plain_rows(query: peewee.ModelSelect) -> list[SimpleNamespace]:
    """Run a ``Model.select()`` (all columns) and return light rows that read like model
    instances (``row.title``, ``row.workspace_id``), for hot list endpoints: building model
    instances field by field costs several times the SQL itself."""
    reader = _row_reader(query)
    return [reader(raw) for raw in database.execute(query).fetchall()]


def _row_reader(query: peewee.ModelSelect):
    fields = query.model._meta.sorted_fields
    if len(query._returning) != len(fields) or any(a is not b for a, b in zip(query._returning, fields, strict=True)):
        raise ValueError("plain rows need a select of every column")
    names = [field.object_id_name if isinstance(field, peewee.ForeignKeyField) else field.name for field in fields]
    decoders = [_decoder(field) for field in fields]

    def read(raw) -> SimpleNamespace:
        return SimpleNamespace(**{name: value if value is None or decode is None else decode(value)
                                  for name, decode, value in zip(names, decoders, raw, strict=True)})

    return read


class Prepared:
    """A hot query whose SQL is compiled once per kind of database, then only bound.

    ``build`` receives one placeholder per name and returns a ``Model.select()`` of every
    column; the placeholders may stand wherever a string parameter goes (ids, digests,
    statuses). Peewee otherwise regenerates the SQL text on every call, which for a wide
    table costs more than running it. Rows come back as ``plain_rows`` rows.
    """

    def __init__(self, build, *names: str):
        self.build, self.names = build, names
        self._compiled: dict[type, tuple] = {}

    def _compile(self):
        kind = type(database.obj)
        if kind not in self._compiled:
            markers = {f"\x00{name}\x00": name for name in self.names}
            query = self.build(*markers)
            sql, params = query.sql()
            slots = [markers.get(param) if isinstance(param, str) else None for param in params]
            if sorted(filter(None, slots)) != sorted(self.names):
                raise ValueError(f"placeholders not bound as parameters: {sql}")
            self._compiled[kind] = (sql, params, slots, _row_reader(query))
        return self._compiled[kind]

    def raw_rows(self, **values) -> list[tuple]:
        """The rows as the driver returns them (column values in model field order)."""
        sql, params, slots, _reader = self._compile()
        bound = [values[slot] if slot else param for slot, param in zip(slots, params, strict=True)]
        return database.execute_sql(sql, bound).fetchall()

    def read(self, raw: tuple) -> SimpleNamespace:
        """One of ``raw_rows`` as a ``plain_rows`` row."""
        return self._compile()[3](raw)

    def rows(self, **values) -> list[SimpleNamespace]:
        reader = self._compile()[3]
        return [reader(raw) for raw in self.raw_rows(**values)]

    def first(self, **values) -> SimpleNamespace | None:
        found = self.rows(**values)
        return found[0] if found else None


def _decoder(field: peewee.Field):
    """The conversion a raw column value needs (None: the driver's value is already right)."""
    if isinstance(field, JSONField):
        return jsonio.loads
    if isinstance(field, (peewee.CharField, peewee.TextField, peewee.IntegerField)):
        return None  # str / int as stored (BigIntegerField is an IntegerField)
    return field.python_value


def new_id() -> str:
    return str(uuid.uuid4())


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
                     "synchronous": "normal"},
            timeout=15,
            lock_type="IMMEDIATE",  # take the write lock at BEGIN, so writers queue instead of failing
        )
    if parsed.scheme in ("postgres", "postgresql"):
        return PooledPostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username or "") or None,
            password=unquote(parsed.password or "") or None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            max_connections=int(os.environ.get("DB_POOL_SIZE", "48")),
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


def write_transaction():
    """A transaction (a savepoint when nested). On SQLite every BEGIN is IMMEDIATE, so a
    read-then-write transaction waits for the lock instead of failing as 'database is locked'."""
    return database.atomic()


def serialize(key: str) -> None:
    """Inside a write transaction: wait for every other transaction holding ``key``.

    SQLite already runs one write transaction at a time; PostgreSQL takes an advisory lock
    that is released at commit, so two workers never interleave (rate windows, quotas,
    unique names)."""
    if is_postgres():
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (digest,))


@contextlib.contextmanager
def connection():
    """Connect for one unit of work. A PostgreSQL connection goes back to its pool at the end;
    a SQLite one stays open for its thread (opening one costs more than a request's queries:
    four pragmas), outside any transaction, and closes with the thread."""
    db = database.obj
    if db.is_closed():
        db.connect()
        try:
            yield
        finally:
            if is_postgres() and not db.is_closed() and not db.in_transaction():
                db.close()
    else:
        yield
