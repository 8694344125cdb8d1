"""Hot statements compiled once, then only bound.

Peewee builds the SQL text of every query from its expression tree on every call; for the
statements every request runs (the API-key lookup, the workspace, a create's insert, the rate
window), building the text cost several times running it — on ``POST /api/v1/intents``,
62% of the handler's time. ``Prepared`` compiles a query once per kind of database and binds
values by position; ``insert`` writes one row of every column with SQL built once per model.
Rows come back light (``row.title``, ``row.workspace_id``) or as model instances, without
peewee's per-field construction.
"""

from __future__ import annotations

import re
import weakref
from types import SimpleNamespace

import peewee

from spec_server import jsonio
from spec_server.db import JSONField, database, is_postgres


def _selects_every_column(model, query) -> bool:
    fields = model._meta.sorted_fields
    returning = getattr(query, "_returning", None) or ()
    return len(returning) == len(fields) and all(a is b for a, b in zip(returning, fields, strict=True))


def _readers(model):
    """Raw row (every column, in field order) → a light row (``row.workspace_id``), and → a
    model instance filled the way peewee's own cursor wrapper fills ``__data__``."""
    fields = model._meta.sorted_fields
    decoders = [_decoder(field) for field in fields]
    row_names = [field.object_id_name if isinstance(field, peewee.ForeignKeyField) else field.name
                 for field in fields]
    data_names = [field.name for field in fields]

    def decoded(names, raw) -> dict:
        return {name: value if value is None or decode is None else decode(value)
                for name, decode, value in zip(names, decoders, raw, strict=True)}

    def read_row(raw) -> SimpleNamespace:
        return SimpleNamespace(**decoded(row_names, raw))

    def read_instance(raw):
        instance = model(__no_default__=1)
        instance.__data__ = decoded(data_names, raw)
        return instance

    return read_row, read_instance


def _decoder(field: peewee.Field):
    """The conversion a raw column value needs (None: the driver's value is already right)."""
    if isinstance(field, JSONField):
        return jsonio.loads
    if isinstance(field, peewee.ForeignKeyField):
        return _decoder(field.rel_field)
    if isinstance(field, (peewee.CharField, peewee.TextField, peewee.IntegerField)):
        return None  # str / int as stored (BigIntegerField is an IntegerField)
    return field.python_value


class Prepared:
    """A hot query whose SQL is compiled once per kind of database, then only bound.

    ``build`` receives one placeholder per name (an unconverted ``peewee.Value``, so it may
    stand for a string or a number) and returns a query. A select of every column of its model
    can answer ``rows``/``first`` (plain rows) and ``instance`` (a model instance); any query
    can answer ``execute`` (the cursor) and ``scalar``.
    """

    def __init__(self, build, *names: str):
        self.build, self.names = build, names
        self._compiled: dict[type, tuple] = {}

    def _compile(self):
        kind = type(database.obj)
        if kind not in self._compiled:
            markers = {f"\x00{name}\x00": name for name in self.names}
            query = self.build(*(peewee.Value(marker, converter=False) for marker in markers))
            sql, params = query.sql()
            slots = [markers.get(param) if isinstance(param, str) else None for param in params]
            if set(filter(None, slots)) != set(self.names):  # a placeholder may appear twice
                raise ValueError(f"placeholders not bound as parameters: {sql}")
            model = getattr(query, "model", None)
            full = model is not None and _selects_every_column(model, query)
            readers = _readers(model) if full else (None, None)
            self._compiled[kind] = (sql, params, slots, *readers)
        return self._compiled[kind]

    def _bound(self, values: dict) -> tuple[str, list]:
        sql, params, slots, _rows, _instances = self._compile()
        return sql, [values[slot] if slot else param for slot, param in zip(slots, params, strict=True)]

    def execute(self, **values):
        sql, bound = self._bound(values)
        if is_postgres():
            return self._execute_prepared(sql, bound)
        return database.execute_sql(sql, bound)

    def execute_after(self, statement: str, params: tuple, **values):
        """PostgreSQL only: ``statement`` then this query, sent as one (one round trip; the
        cursor answers for this query). Outside a transaction block PostgreSQL runs them as
        one implicit transaction, and this query's snapshot is taken after ``statement``
        returned (READ COMMITTED): after a lock it waited for, it sees what the holder wrote."""
        return self._execute_prepared(*self._bound(values), before=(statement, params))

    def _execute_prepared(self, sql: str, bound: list, before: tuple[str, tuple] | None = None):
        """PostgreSQL parses and plans every statement it is sent; a statement PREPAREd once per
        connection is only executed (PREPARE outlives the transaction it ran in). On the list,
        that was most of the server's CPU per query."""
        connection = database.connection()
        prepared = _PG_PREPARED.setdefault(connection, set())
        name = f"spec_server_{id(self):x}"
        if name not in prepared:
            numbered = iter(range(1, len(bound) + 1))
            database.execute_sql(f"PREPARE {name} AS " + re.sub(r"%s", lambda _: f"${next(numbered)}", sql))
            prepared.add(name)
        arguments = f" ({', '.join(['%s'] * len(bound))})" if bound else ""
        if before is None:
            return database.execute_sql(f"EXECUTE {name}{arguments}", bound)
        statement, params = before
        return database.execute_sql(f"{statement}; EXECUTE {name}{arguments}", [*params, *bound])

    def raw_rows(self, **values) -> list[tuple]:
        """The rows as the driver returns them (column values in model field order)."""
        return self.execute(**values).fetchall()

    def scalar(self, **values):
        row = self.execute(**values).fetchone()
        return row[0] if row else None

    def read(self, raw: tuple) -> SimpleNamespace:
        """One of ``raw_rows`` as a light row (``row.title``, ``row.workspace_id``)."""
        return self._compile()[3](raw)

    def rows(self, **values) -> list[SimpleNamespace]:
        reader = self._compile()[3]
        return [reader(raw) for raw in self.raw_rows(**values)]

    def first(self, **values) -> SimpleNamespace | None:
        found = self.rows(**values)
        return found[0] if found else None

    def instance(self, **values):
        """The first row as a model instance (None when there is none)."""
        raw = self.execute(**values).fetchone()
        return None if raw is None else self._compile()[4](raw)


# the statements PREPAREd on each PostgreSQL connection (a closed connection drops out)
_PG_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_INSERTS: dict[tuple, tuple] = {}


def _insert_plan(model, rows: int = 1):
    """``INSERT ... VALUES (...)`` for ``rows`` rows of every column but an auto id, built once."""
    kind = type(database.obj)
    key = (model, kind, rows)
    if key not in _INSERTS:
        fields = [field for field in model._meta.sorted_fields if not isinstance(field, peewee.AutoField)]
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        marks = "(" + ", ".join([database.obj.param] * len(fields)) + ")"
        values = ", ".join([marks] * rows)
        names = frozenset(field.name for field in fields)
        _INSERTS[key] = (f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES {values}', fields, names)
    return _INSERTS[key]


def _stored_row(model, fields, names, values: dict):
    """(the instance's data, the row's parameters) for ``values``, defaults as peewee applies them."""
    unknown = values.keys() - names
    if unknown:
        raise TypeError(f"{model.__name__} has no field {sorted(unknown)}")
    data, params = {}, []
    for field in fields:
        if field.name in values:
            value = values[field.name]
        else:
            value = field.default() if callable(field.default) else field.default
        stored = field.db_value(value)
        data[field.name] = stored if isinstance(field, peewee.ForeignKeyField) else value
        params.append(stored)
    return data, params


def _instance(model, data: dict):
    instance = model(__no_default__=1)
    instance.__data__ = data
    return instance


def insert(model, **values):
    """``model.create(**values)`` with SQL built once per model: every column is written
    (defaults as peewee applies them), and the row comes back as a model instance."""
    sql, fields, names = _insert_plan(model)
    data, params = _stored_row(model, fields, names, values)
    database.execute_sql(sql, params)
    return _instance(model, data)


def insert_many(model, rows: list[dict], *, execute=None) -> list:
    """``insert`` of several rows in one statement (model instances back, in order).
    ``execute(sql, params)`` runs it (default ``database.execute_sql``)."""
    if not rows:
        return []
    sql, fields, names = _insert_plan(model, len(rows))
    stored = [_stored_row(model, fields, names, values) for values in rows]
    (execute or database.execute_sql)(sql, [param for _data, params in stored for param in params])
    return [_instance(model, data) for data, _params in stored]
