"""Inserts for the busy paths, and prepared statements on PostgreSQL.

Idempotent inserts in one statement: `INSERT ... ON CONFLICT DO NOTHING RETURNING id`.
Inbound deliveries, channel messages and notifications are stored once under a unique key. The
ORM's way — a savepoint, INSERT, catch IntegrityError, roll back to the savepoint — costs three
round trips and turns every duplicate into an error in the database log. PostgreSQL and SQLite
(3.35+) both say it in one statement.

On PostgreSQL these inserts (a new work order, its events and notices; an inbound message) and
the other statements every request of a busy path runs go through `prepared_cursor`: Django
binds parameters on the client and never prepares, so each execution is parsed and planned
again and its values quoted into the text in Python. A prepared statement is parsed and
planned once per connection and gets its values bound by the server. Behind a pooler in
transaction mode (PgBouncer) prepared statements do not work: set KEFU_ROUTING_PREPARED=0.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction

# psycopg prepares a statement executed this many times on a connection, or one executed with
# prepare=True; Django's connections have None, which turns preparing off altogether.
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


@functools.cache
def _prepared_cursor_class(native_placeholders: bool, logged: bool = False) -> Any:
    import psycopg

    base: Any = psycopg.RawCursor if native_placeholders else psycopg.Cursor

    class PreparedCursor(base):
        """Server-side binding; each statement prepared once per connection (unless turned off;
        never while queries are logged: the log reads the text psycopg sent, and a statement
        run by its prepared name has none)."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None) -> Any:
            if logged:
                prepare = False
            elif prepare is None:
                prepare = settings.KEFU_ROUTING_PREPARED
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparedCursor


def _connections_are_kept(connection: Any) -> bool:
    """Preparing pays only on a connection that outlives the request: a pool or persistent ones."""
    if not settings.KEFU_ROUTING_PREPARED:
        return False
    return bool(connection.settings_dict.get("OPTIONS", {}).get("pool")) or bool(
        connection.settings_dict.get("CONN_MAX_AGE")
    )


M = TypeVar("M", bound=models.Model)


def from_row(model: type[M], row: Sequence[Any]) -> M:
    """A model instance from a row of its concrete fields' columns (in `_meta.concrete_fields`
    order), read by a plain cursor: with the converters Django's own queries apply (on SQLite,
    aware datetimes; JSON decoded)."""
    connection = transaction.get_connection()
    values = [
        functools.reduce(lambda value, convert: convert(value, expression, connection), converters, value)
        for value, (expression, converters) in zip(row, _converters(model, connection.vendor), strict=True)
    ]
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], values)


@functools.cache
def _converters(model: type[models.Model], vendor: str) -> list[tuple[Any, list[Any]]]:
    connection = transaction.get_connection()
    answer = []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        answer.append(
            (expression, connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        )
    return answer


@contextmanager
def prepared_cursor(*, native_placeholders: bool = False) -> Iterator[Any]:
    """A cursor on the current PostgreSQL connection whose statements are prepared, wrapped as
    Django wraps its own (errors, execute wrappers). While queries are logged (DEBUG, a test
    capturing them) it is Django's own cursor: Django's log cannot show a prepared statement.

    `native_placeholders`: the statement says `$1, $2 ...` and psycopg passes it on as it is
    (`psycopg.RawCursor`). psycopg parses a statement with `%s` in Python on every execution
    when it has more than 50 parameters (below that it keeps the parsed form): a new work
    order's one INSERT has about 120, and parsing it was 15 % of the orders API's CPU."""
    connection = transaction.get_connection()
    connection.ensure_connection()
    raw = connection.connection
    if connection.queries_logged:
        if native_placeholders:
            with connection.make_debug_cursor(_prepared_cursor_class(True, logged=True)(raw)) as cursor:
                yield cursor
        else:
            with connection.cursor() as cursor:
                yield cursor
        return
    if raw.prepare_threshold is None and _connections_are_kept(connection):
        raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED  # else psycopg prepares nothing (a new connection each request)
    cursor = _prepared_cursor_class(native_placeholders)(raw)
    with connection.make_cursor(cursor) as wrapped:
        yield wrapped


def insert_unless_exists(instances: Sequence[models.Model], *, conflict: Sequence[str], where: str = "") -> list[int]:
    """Insert the unsaved `instances` (one model) unless a row with the same `conflict` fields
    exists (`where`: the predicate of a partial unique index, in SQL); returns the new ids, in
    order. A single instance that was inserted gets its id and is marked saved.
    """
    return insert_together(Rows(instances, conflict, where))[0]


def insert_rows(instances: Sequence[models.Model]) -> list[int]:
    """Insert the unsaved `instances` (one model) in one statement; each gets its id and is
    marked saved. Like `bulk_create` without its per-call query compilation, for the rows
    a busy path writes every time (a new work order, its events, its notices). No signals."""
    return insert_together(Rows(instances))[0]


@dataclass(frozen=True)
class Rows:
    """Unsaved instances of one model for `insert_together`; with `conflict`, a row whose
    `conflict` fields exist already (`where`: a partial unique index's predicate) is skipped."""

    instances: Sequence[models.Model]
    conflict: Sequence[str] = ()
    where: str = ""


def insert_together(*groups: Rows) -> list[list[int]]:
    """Insert several models' rows at once, all or nothing; returns each group's new ids.

    On PostgreSQL it is one statement (each group an INSERT in a WITH clause), so outside a
    transaction it commits on its own: one round trip where a transaction of three inserts
    took five. Elsewhere the inserts run one after the other in a transaction. Instances whose
    primary key is set (reserved beforehand) are inserted with it. Rows of a group without
    `conflict`, and a group of one row that was inserted, get their ids and are marked saved.
    """
    wanted = [group for group in groups if group.instances]
    connection = transaction.get_connection()
    found: list[list[int]]
    if connection.vendor != "postgresql" or len(wanted) < 2:
        with transaction.atomic() if len(wanted) > 1 else contextlib.nullcontext():
            found = [_insert(g.instances, conflict=g.conflict, where=g.where) for g in wanted]
    else:
        parts: list[str] = []
        selects: list[str] = []
        values: list[Any] = []
        for index, group in enumerate(wanted):
            sql, params = _insert_sql(
                group.instances, conflict=group.conflict, where=group.where, first=len(values) + 1
            )
            parts.append(f"g{index} AS ({sql})")
            pk = connection.ops.quote_name(type(group.instances[0])._meta.pk.column)
            selects.append(f"SELECT {index}, {pk} FROM g{index}")  # noqa: S608 - the models' own names
            values += params
        found = [[] for _group in wanted]
        with prepared_cursor(native_placeholders=True) as cursor:
            cursor.execute(f"WITH {', '.join(parts)} {' UNION ALL '.join(selects)}", values)
            for index, new_id in cursor.fetchall():
                found[index].append(new_id)
    answer = iter(found)
    ids_by_group = []
    for group in groups:
        ids = next(answer) if group.instances else []
        if not group.conflict:
            if len(ids) != len(group.instances):  # pragma: no cover - the database inserted what it was given
                raise RuntimeError(f"inserted {len(ids)} of {len(group.instances)} rows")
            _mark_saved(group.instances, ids)
        elif len(group.instances) == 1 and ids:
            _mark_saved(group.instances, ids)
        ids_by_group.append(ids)
    return ids_by_group


def _mark_saved(instances: Sequence[models.Model], ids: Sequence[int]) -> None:
    alias = transaction.get_connection().alias
    for instance, new_id in zip(instances, ids, strict=True):
        instance.pk = new_id
        instance._state.adding = False
        instance._state.db = alias


def _insert(instances: Sequence[models.Model], *, conflict: Sequence[str] = (), where: str = "") -> list[int]:
    connection = transaction.get_connection()
    native = connection.vendor == "postgresql"
    sql, values = _insert_sql(instances, conflict=conflict, where=where, first=1 if native else None)
    with prepared_cursor(native_placeholders=True) if native else connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [found[0] for found in cursor.fetchall()]


def _insert_sql(
    instances: Sequence[models.Model], *, conflict: Sequence[str] = (), where: str = "", first: int | None = None
) -> tuple[str, list[Any]]:
    """`INSERT ... RETURNING id` of the instances (one model), with the primary key when every
    instance has one already; placeholders `%s`, or `$first, $first+1 ...` when `first` is given
    (PostgreSQL's own, for `prepared_cursor(native_placeholders=True)`)."""
    model = type(instances[0])
    meta = model._meta
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    with_pk = all(instance.pk is not None for instance in instances)
    fields = [field for field in meta.concrete_fields if with_pk or not field.primary_key]
    values = [
        value
        for instance in instances
        for value in (field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields)
    ]
    if first is None:
        rows = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * len(instances))
    else:
        numbers = iter(range(first, first + len(values)))
        rows = ", ".join(f"({', '.join(f'${next(numbers)}' for _field in fields)})" for _instance in instances)
    on_conflict = ""
    if conflict:
        target = ", ".join(quote(meta.get_field(name).column) for name in conflict)  # type: ignore[union-attr]
        on_conflict = f"ON CONFLICT ({target}){f' WHERE {where}' if where else ''} DO NOTHING "
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608 - the model's own names
        f"VALUES {rows} {on_conflict}RETURNING {quote(meta.pk.column)}"
    )
    return sql, values
