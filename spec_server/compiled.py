"""Hot statements compiled once, then only bound.

Peewee builds the SQL text of every query from its expression tree on every call; for the
statements every request runs (the API-key lookup, the workspace, a create's insert, the rate
window), building the text cost several times running it — on ``POST /api/v1/intents``,
62% of the handler's time. ``Prepared`` compiles a query once per kind of database and binds
values by position; ``insert`` writes one row of every column with SQL built once per model.
Rows come back light (``row.title``, ``row.workspace_id``) or as model instances, without
peewee's per-field construction.

PostgreSQL statements are PREPAREd by hand (``execute_prepared``) rather than left to psycopg
3's ``prepare_threshold``, measured (``bench/drivers.py``, bench/results/2026-12-01-drivers.txt):
per query the two cost about the same (the key lookup 47 µs of client CPU and 70 µs of
PostgreSQL's by hand, 45 and 40 with psycopg 3; the 20-intent list 49 and 77 by hand, 66 and
80), but psycopg 3 prepares only statements bound server-side, and those cannot hold more
than one command: it refuses the rate window's lock and admission in one query ("cannot
insert multiple commands into a prepared statement"), and so BEGIN with the first statement
and events with the COMMIT. A create would go back from 4 round trips to about 8.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import SimpleNamespace
from typing import NamedTuple

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


def row_reader(model):
    """Raw row of every column of ``model``, in field order → a light row (``row.title``): for
    queries that select more than one model's columns and slice them apart."""
    return _readers(model)[0]


def instance_reader(model):
    """Raw row of every column of ``model``, in field order → a model instance."""
    return _readers(model)[1]


def _joined_readers(models):
    """Raw row of every column of each model → one instance per model, and → one raw slice
    per model; a model whose primary key is null (no row on the outer side of a join) → None."""
    spans, start = [], 0
    for model in models:
        width = len(model._meta.sorted_fields)
        key_offset = model._meta.sorted_field_names.index(model._meta.primary_key.name)
        spans.append((start, start + width, key_offset, _readers(model)[1]))
        start += width

    def split(raw) -> tuple:
        return tuple(None if raw[begin + key] is None else raw[begin:end] for begin, end, key, _read in spans)

    def read(raw) -> tuple:
        return tuple(None if part is None else span[3](part) for part, span in zip(split(raw), spans, strict=True))

    return read, split


def _decoder(field: peewee.Field):
    """The conversion a raw column value needs (None: the driver's value is already right)."""
    if isinstance(field, JSONField):
        return jsonio.loads
    if isinstance(field, peewee.ForeignKeyField):
        return _decoder(field.rel_field)
    if isinstance(field, (peewee.CharField, peewee.TextField, peewee.IntegerField)):
        return None  # str / int as stored (BigIntegerField is an IntegerField)
    return field.python_value


def _numbered(sql: str, written: dict[int, int] | None = None) -> str:
    """``sql`` for PostgreSQL's PREPARE: psycopg2's ``%s`` numbered ``$1``, ``$2``..., except
    the parameters at the positions of ``written``, which are written in as their value."""
    pieces = sql.split("%s")
    parts, numbered = [pieces[0]], 0
    for position, piece in enumerate(pieces[1:]):
        if written and position in written:
            parts.append(str(written[position]))
        else:
            numbered += 1
            parts.append(f"${numbered}")
        parts.append(piece)
    return "".join(parts)


def _unreadable(raw):
    raise TypeError("this query does not select every column of its model (or of each joined one)")


class _Compiled(NamedTuple):
    sql: str
    params: list  # the query's own values, a placeholder's marker where a name is bound
    slots: list  # per parameter, the name bound there (None: the query's own value)
    read_row: Callable  # a select of every column of its model: raw row → light row
    read_instance: Callable  # ... → model instance
    read_joined: Callable  # a joined select: raw row → one instance per model
    split_joined: Callable  # ... → one raw slice per model
    # PostgreSQL's PREPARE text, and per parameter: is it one of the query's own integers
    # (``LIMIT 1``, ``+ 1``), written into that text instead of bound (see ``_execute_prepared``)
    prepared_text: str
    written: list[bool]


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
        self._compiled: dict[type, _Compiled] = {}

    def _compile(self) -> _Compiled:
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
            read_row, read_instance = _readers(model) if full else (_unreadable, _unreadable)
            read_joined = split_joined = _unreadable
            if self.joined:
                if model is None or not _selects_every_column(model, query, *self.joined):
                    raise ValueError(f"a joined query must select every column of each model in order: {sql}")
                read_joined, split_joined = _joined_readers((model, *self.joined))
            written = [slot is None and type(param) is int for slot, param in zip(slots, params, strict=True)]
            prepared_text = _numbered(sql, {position: params[position]
                                            for position, constant in enumerate(written) if constant})
            self._compiled[kind] = _Compiled(sql, params, slots, read_row, read_instance, read_joined,
                                             split_joined, prepared_text, written)
        return self._compiled[kind]

    def _bound(self, values: dict) -> tuple[_Compiled, list]:
        compiled = self._compile()
        return compiled, [values[slot] if slot else param
                          for slot, param in zip(compiled.slots, compiled.params, strict=True)]

    def execute(self, **values):
        compiled, bound = self._bound(values)
        if is_postgres():
            return self._execute_prepared(compiled, bound)
        return database.execute_sql(compiled.sql, bound)

    def execute_after(self, statement: str, params: tuple, **values):
        """PostgreSQL only: ``statement`` then this query, sent as one (one round trip; the
        cursor answers for this query). Outside a transaction block PostgreSQL runs them as
        one implicit transaction, and this query's snapshot is taken after ``statement``
        returned (READ COMMITTED): after a lock it waited for, it sees what the holder wrote."""
        return self._execute_prepared(*self._bound(values), before=(statement, params))

    def _execute_prepared(self, compiled: _Compiled, bound: list, before: tuple[str, tuple] | None = None):
        """PostgreSQL: EXECUTE this query's prepared statement (``execute_prepared``).

        The query's own integers (``LIMIT 1``, ``+ 1``) are written into the prepared text, only
        the values bound per call are parameters: PostgreSQL keeps a prepared statement's
        generic plan only when it costs about what a plan for the actual values costs, and a
        generic plan that does not know ``LIMIT 1`` sorted a whole key's rate window (then
        every call was planned afresh, and the admission ran four times slower)."""
        per_call = [value for value, constant in zip(bound, compiled.written, strict=True) if not constant]
        return execute_prepared(f"spec_server_{id(self):x}", compiled.prepared_text, per_call, before=before)

    def raw_rows(self, **values) -> list[tuple]:
        """The rows as the driver returns them (column values in model field order)."""
        return self.execute(**values).fetchall()

    def scalar(self, **values):
        row = self.execute(**values).fetchone()
        return row[0] if row else None

    def read(self, raw: tuple) -> SimpleNamespace:
        """One of ``raw_rows`` as a light row (``row.title``, ``row.workspace_id``)."""
        return self._compile().read_row(raw)

    def rows(self, **values) -> list[SimpleNamespace]:
        reader = self._compile().read_row
        return [reader(raw) for raw in self.raw_rows(**values)]

    def first(self, **values) -> SimpleNamespace | None:
        found = self.rows(**values)
        return found[0] if found else None

    def instance(self, **values):
        """The first row as a model instance (None when there is none)."""
        raw = self.execute(**values).fetchone()
        return None if raw is None else self._compile().read_instance(raw)

    def instances(self, **values) -> tuple | None:
        """The first row of a ``joined`` query as one model instance per model (None when there
        is no row; None in place of a model the outer join found nothing of)."""
        raw = self.execute(**values).fetchone()
        return None if raw is None else self._compile().read_joined(raw)

    def parts(self, **values) -> tuple | None:
        """The first row of a ``joined`` query as one raw slice per model (every column, in
        field order; None in place of a model the outer join found nothing of), for a caller
        that reads a few columns and makes instances only of what it uses."""
        raw = self.execute(**values).fetchone()
        return None if raw is None else self._compile().split_joined(raw)


# the statements PREPAREd on each PostgreSQL connection (a closed connection drops out)
_PG_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def execute_prepared(name: str, text: str, params: list, *, before: tuple[str, tuple] | None = None,
                     execute=None):
    """PostgreSQL parses and plans every statement it is sent; a statement PREPAREd once per
    connection is only executed (PREPARE outlives the transaction it ran in). On the list,
    that was most of the server's CPU per query.

    ``text`` is the statement with ``$1``, ``$2``... for ``params``; it is PREPAREd as
    ``name`` the first time this connection runs it. ``before`` (a statement and its
    parameters) is sent in front of the EXECUTE, as one query. ``execute(sql, params)`` sends
    the EXECUTE (default ``database.execute_sql``)."""
    prepared = _PG_PREPARED.setdefault(database.connection(), set())
    if name not in prepared:
        database.execute_sql(f"PREPARE {name} AS {text}")
        prepared.add(name)
    statement = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if before is not None:
        statement, params = f"{before[0]}; {statement}", [*before[1], *params]
    return (execute or database.execute_sql)(statement, params)

class _InsertPlan(NamedTuple):
    sql: str
    fields: list  # every column but an auto id, in the statement's order
    names: frozenset  # their field names
    prepared_name: str  # PostgreSQL: an insert sent as text is parsed and planned afresh each time
    prepared_text: str


_INSERTS: dict[tuple, _InsertPlan] = {}


def _insert_plan(model, rows: int = 1, guard: tuple = ()) -> _InsertPlan:
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
        name = f"spec_server_insert_{model._meta.table_name}_{rows}_{'_'.join(map(str, guard[1:]))}"
        _INSERTS[key] = _InsertPlan(sql, fields, frozenset(field.name for field in fields), name, _numbered(sql))
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


def _run_insert(plan: _InsertPlan, params: list, execute):
    if is_postgres():
        return execute_prepared(plan.prepared_name, plan.prepared_text, params, execute=execute)
    return (execute or database.execute_sql)(plan.sql, params)


def insert(model, *, only_if_row: tuple | None = None, **values):
    """``model.create(**values)`` with SQL built once per model: every column is written
    (defaults as peewee applies them), and the row comes back as a model instance.

    ``only_if_row=(Other, {"field": value, ...})`` inserts only if ``Other`` holds a row with
    those values (checked by the insert itself, in the same statement); None when it does not."""
    guard, guard_params = (), []
    if only_if_row is not None:
        table, wanted = only_if_row
        guard, guard_params = (table, *wanted), [getattr(table, name).db_value(value) for name, value in wanted.items()]
    plan = _insert_plan(model, 1, guard)
    data, params = _stored_row(model, plan.fields, plan.names, values)
    cursor = _run_insert(plan, params + guard_params, None)
    if guard and cursor.rowcount == 0:
        return None
    return _instance(model, data)


def insert_many(model, rows: list[dict], *, execute=None) -> list:
    """``insert`` of several rows in one statement (model instances back, in order).
    ``execute(sql, params)`` runs it (default ``database.execute_sql``)."""
    if not rows:
        return []
    plan = _insert_plan(model, len(rows))
    stored = [_stored_row(model, plan.fields, plan.names, values) for values in rows]
    _run_insert(plan, [param for _data, params in stored for param in params], execute)
    return [_instance(model, data) for data, _params in stored]
