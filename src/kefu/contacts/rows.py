"""Whole model rows read by a hand-written statement, loaded as the ORM would load them.

For the few lookups every inbound message makes (the sender's open conversation, the caller's
customer): the ORM spends more CPU compiling such a query than the database spends answering
it. The statement is built once per process from the model's own columns; the row comes back as
a normal instance (`Model.from_db`), with the backend's converters applied where it has any
(none on PostgreSQL for these models; dates and flags on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class RowQuery(Generic[M]):
    """`SELECT <every column of model> FROM <its table> <rest>`; `rest` uses %s parameters."""

    model: type[M]
    rest: str

    def sql(self) -> tuple[str, tuple[tuple[int, Col], ...]]:
        """The statement for the current connection's backend, and the columns it converts."""
        key = (connection.vendor, self.model, self.rest)
        built = _built.get(key)
        if built is None:
            built = _built[key] = _build(self.model, self.rest)
        return built

    def first(self, params: Sequence[Any]) -> M | None:
        return next(iter(self.all(params)), None)

    def all(self, params: Sequence[Any]) -> list[M]:
        sql, converted = self.sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        meta = self.model._meta
        names = [field.attname for field in meta.concrete_fields]
        found = []
        for row in rows:
            values = list(row)
            for index, column in converted:
                for convert in (*connection.ops.get_db_converters(column), *column.get_db_converters(connection)):
                    values[index] = convert(values[index], column, connection)
            found.append(self.model.from_db(connection.alias, names, values))
        return found


_built: dict[tuple[str, type[Model], str], tuple[str, tuple[tuple[int, Col], ...]]] = {}


def _build(model: type[Model], rest: str) -> tuple[str, tuple[tuple[int, Col], ...]]:
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [field.get_col(meta.db_table) for field in meta.concrete_fields]
    names = ", ".join(quote(column.target.column) for column in columns)
    sql = f"SELECT {names} FROM {quote(meta.db_table)} {rest}"  # noqa: S608 - the model's own names
    converted = tuple(
        (index, column)
        for index, column in enumerate(columns)
        if connection.ops.get_db_converters(column) or column.get_db_converters(connection)
    )
    return sql, converted
