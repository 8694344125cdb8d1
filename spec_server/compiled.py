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


def _selects_every_column(model, query, *joined) -> bool:
    """The query selects every column of ``model``, then every column of each ``joined`` model."""
    fields = [field for each in (model, *joined) for field in each._meta.sorted_fields]
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


def _joined_reader(models):
    """Raw row of every column of each model → one instance per model; a model whose primary
    key is null (no row on the outer side of a join) → None."""
    spans, start = [], 0
    for model in models:
        width = len(model._meta.sorted_fields)
        key_offset = model._meta.sorted_fields.index(model._meta.primary_key)
        spans.append((start, start + width, key_offset, _readers(model)[1]))
        start += width

    def read(raw) -> tuple:
        return tuple(None if raw[begin + key] is None else read_instance(raw[begin:end])
                     for begin, end, key, read_instance in spans)

    return read


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
    can answer ``execute`` (the cursor) and ``scalar``. A select of every column of its model
    and then of each ``joined`` model, in that order, answers ``instances`` (one per model).
    """

    def __init__(self, build, *names: str, joined: tuple = ()):
        self.build, self.names, self.joined = build, names, joined
        self._compiled: dict[type, tuple] = {}
        self._constants: list[bool] | None = None  # PostgreSQL's (one kind of database per process)

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
            joined_reader = None
            if self.joined:
                if model is None or not _selects_every_column(model, query, *self.joined):
                    raise ValueError(f"a joined query must select every column of each model in order: {sql}")
                joined_reader = _joined_reader((model, *self.joined))
            self._compiled[kind] = (sql, params, slots, *readers, joined_reader)
        return self._compiled[kind]

    def _bound(self, values: dict) -> tuple[str, list]:
        sql, params, slots, *_ = self._compile()
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
        """PostgreSQL: EXECUTE this query's prepared statement (``execute_prepared``).

        The query's own integers (``LIMIT 1``, ``+ 1``) are written into the prepared text, only
        the values bound per call are parameters: PostgreSQL keeps a prepared statement's
        generic plan only when it costs about what a plan for the actual values costs, and a
        generic plan that does not know ``LIMIT 1`` sorted a whole key's rate window (then
        every call was planned afresh, and the admission ran four times slower)."""
        written = self._written_constants()

        def text() -> str:
            pieces = sql.split("%s")
            numbered, parts = 0, [pieces[0]]
            for position, piece in enumerate(pieces[1:]):
                if written[position]:
                    parts.append(str(bound[position]))
                else:
                    numbered += 1
                    parts.append(f"${numbered}")
                parts.append(piece)
            return "".join(parts)

        per_call = [value for value, constant in zip(bound, written, strict=True) if not constant]
        return execute_prepared(f"spec_server_{id(self):x}", text, per_call, before=before)

    def _written_constants(self) -> list[bool]:
        """Per parameter: is it one of the query's own integers (see ``_execute_prepared``)."""
        if self._constants is None:
            _sql, params, slots, *_ = self._compile()
            self._constants = [slot is None and type(param) is int for slot, param in zip(slots, params, strict=True)]
        return self._constants

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

    def instances(self, **values) -> tuple | None:
        """The first row of a ``joined`` query as one model instance per model (None when there
        is no row; None in place of a model the outer join found nothing of)."""
        raw = self.execute(**values).fetchone()
        return None if raw is None else self._compile()[5](raw)


# the statements PREPAREd on each PostgreSQL connection (a closed connection drops out)
_PG_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def execute_prepared(name: str, text, params: list, *, before: tuple[str, tuple] | None = None, execute=None):
    """PostgreSQL parses and plans every statement it is sent; a statement PREPAREd once per
    connection is only executed (PREPARE outlives the transaction it ran in). On the list,
    that was most of the server's CPU per query.

    ``text()`` gives the statement with ``$1``, ``$2``... for ``params``; it is PREPAREd as
    ``name`` the first time this connection runs it. ``before`` (a statement and its
    parameters) is sent in front of the EXECUTE, as one query. ``execute(sql, params)`` sends
    the EXECUTE (default ``database.execute_sql``)."""
    prepared = _PG_PREPARED.setdefault(database.connection(), set())
    if name not in prepared:
        database.execute_sql(f"PREPARE {name} AS {text()}")
        prepared.add(name)
    statement = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if before is not None:
        statement, params = f"{before[0]}; {statement}", [*before[1], *params]
    return (execute or database.execute_sql)(statement, params)

_INSERTS: dict[tuple, tuple] = {}


def _insert_plan(model, rows: int = 1, guard: tuple = ()):
    """``INSERT ... VALUES (...)`` for ``rows`` rows of every column but an auto id, built once.
    With ``guard`` (a model, then field names), one row ``INSERT ... SELECT ... FROM`` that
    model's table ``WHERE`` each field equals a parameter (after the row's values)."""
    kind = type(database.obj)
    key = (model, kind, rows, guard)
    if key not in _INSERTS:
        fields = [field for field in model._meta.sorted_fields if not isinstance(field, peewee.AutoField)]
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        marks = ", ".join([database.obj.param] * len(fields))
        if guard:
            table, *names = guard
            where = " AND ".join(f'"{getattr(table, name).column_name}" = {database.obj.param}' for name in names)
            source = f'SELECT {marks} FROM "{table._meta.table_name}" WHERE {where}'
        else:
            source = "VALUES " + ", ".join([f"({marks})"] * rows)
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) {source}'
        _INSERTS[key] = (sql, fields, frozenset(field.name for field in fields))
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


def _run_insert(model, rows: int, guard: tuple, params: list, execute):
    sql, _fields, _names = _insert_plan(model, rows, guard)
    if not is_postgres():
        return (execute or database.execute_sql)(sql, params)
    # an insert sent as text is parsed and planned afresh each time
    numbered = iter(range(1, len(params) + 1))
    name = f"spec_server_insert_{model._meta.table_name}_{rows}_{'_'.join(map(str, guard[1:]))}"
    return execute_prepared(name, lambda: re.sub(r"%s", lambda _: f"${next(numbered)}", sql), params,
                            execute=execute)


def insert(model, *, only_if_row: tuple | None = None, **values):
    """``model.create(**values)`` with SQL built once per model: every column is written
    (defaults as peewee applies them), and the row comes back as a model instance.

    ``only_if_row=(Other, {"field": value, ...})`` inserts only if ``Other`` holds a row with
    those values (checked by the insert itself, in the same statement); None when it does not."""
    guard, guard_params = (), []
    if only_if_row is not None:
        table, wanted = only_if_row
        guard, guard_params = (table, *wanted), [getattr(table, name).db_value(value) for name, value in wanted.items()]
    _sql, fields, names = _insert_plan(model, 1, guard)
    data, params = _stored_row(model, fields, names, values)
    cursor = _run_insert(model, 1, guard, params + guard_params, None)
    if guard and cursor.rowcount == 0:
        return None
    return _instance(model, data)


def insert_many(model, rows: list[dict], *, execute=None) -> list:
    """``insert`` of several rows in one statement (model instances back, in order).
    ``execute(sql, params)`` runs it (default ``database.execute_sql``)."""
    if not rows:
        return []
    _sql, fields, names = _insert_plan(model, len(rows))
    stored = [_stored_row(model, fields, names, values) for values in rows]
    _run_insert(model, len(rows), (), [param for _data, params in stored for param in params], execute)
    return [_instance(model, data) for data, _params in stored]
