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
    target = ", ".join(quote(meta.get_field(name).column) for name in conflict)  # type: ignore[union-attr]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608 - the model's own names
        f"VALUES {', '.join([row] * len(instances))} "
        f"ON CONFLICT ({target}){f' WHERE {where}' if where else ''} DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        ids = [found[0] for found in cursor.fetchall()]
    if len(instances) == 1 and ids:
        instances[0].pk = ids[0]
        instances[0]._state.adding = False
        instances[0]._state.db = connection.alias
    return ids
