"""Idempotent inserts in one statement: `INSERT ... ON CONFLICT DO NOTHING RETURNING id`.

Inbound deliveries, channel messages and notifications are stored once under a unique key. The
ORM's way — a savepoint, INSERT, catch IntegrityError, roll back to the savepoint — costs three
round trips and turns every duplicate into an error in the database log. PostgreSQL and SQLite
(3.35+) both say it in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models, transaction


def insert_unless_exists(instances: Sequence[models.Model], *, conflict: Sequence[str], where: str = "") -> list[int]:
    """Insert the unsaved `instances` (one model) unless a row with the same `conflict` fields
    exists (`where`: the predicate of a partial unique index, in SQL); returns the new ids, in
    order. A single instance that was inserted gets its id and is marked saved.
    """
    ids = _insert(instances, conflict=conflict, where=where)
    if len(instances) == 1 and ids:
        _mark_saved(instances, ids)
    return ids


def insert_rows(instances: Sequence[models.Model]) -> list[int]:
    """Insert the unsaved `instances` (one model) in one statement; each gets its id and is
    marked saved. Like `bulk_create` without its per-call query compilation, for the rows
    a busy path writes every time (a new work order, its events, its notices). No signals."""
    ids = _insert(instances)
    if len(ids) != len(instances):  # pragma: no cover - the database inserted what it was given
        raise RuntimeError(f"inserted {len(ids)} of {len(instances)} rows")
    _mark_saved(instances, ids)
    return ids


def _mark_saved(instances: Sequence[models.Model], ids: Sequence[int]) -> None:
    alias = transaction.get_connection().alias
    for instance, new_id in zip(instances, ids, strict=True):
        instance.pk = new_id
        instance._state.adding = False
        instance._state.db = alias


def _insert(instances: Sequence[models.Model], *, conflict: Sequence[str] = (), where: str = "") -> list[int]:
    if not instances:
        return []
    model = type(instances[0])
    meta = model._meta
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        value
        for instance in instances
        for value in (field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields)
    ]
    row = f"({', '.join(['%s'] * len(fields))})"
    on_conflict = ""
    if conflict:
        target = ", ".join(quote(meta.get_field(name).column) for name in conflict)  # type: ignore[union-attr]
        on_conflict = f"ON CONFLICT ({target}){f' WHERE {where}' if where else ''} DO NOTHING "
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608 - the model's own names
        f"VALUES {', '.join([row] * len(instances))} {on_conflict}RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [found[0] for found in cursor.fetchall()]
