"""Automatic dispatch (S1 §4.2.5, S3 §2): by service area and type to a team, then to the
least-loaded member on duty."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.models import Group
from django.db import connection

from kefu.accounts import directory
from kefu.accounts.choices import Role, TeamKind
from kefu.accounts.models import ServiceArea, Team, User
from kefu.core.db import from_row, prepared_cursor
from kefu.tickets.models import OrderType, WorkerLoad, WorkOrder

WORKER_ROLES = {
    OrderType.TeamKind.FIELD: (Role.FIELD_ENGINEER,),
    OrderType.TeamKind.BACK_OFFICE: (Role.BACK_OFFICE,),
}


def choose_team(order_type: OrderType, area: ServiceArea | None) -> Team | None:
    """The team of the right kind serving the order's area most closely; else a catch-all team."""
    kind = TeamKind.FIELD if order_type.handled_by == OrderType.TeamKind.FIELD else TeamKind.BACK_OFFICE
    return directory.team_serving(kind, area.path if area is not None else None)


def choose_worker(team: Team, order_type: OrderType, area: ServiceArea | None) -> User | None:
    """The member on duty with the fewest open orders; those covering the area come first,
    ties to the lowest id.

    One statement, written out because it runs for every new order: the members on duty in
    the right role, of those the ones whose areas include the order's area (else all), each
    with the open orders they hold (`WorkerLoad`, kept by triggers). On PostgreSQL it is
    prepared once per connection (planning it cost more than running it)."""
    roles = WORKER_ROLES[OrderType.TeamKind(order_type.handled_by)]
    paths = directory.ancestor_paths(area.path) if area is not None else [""]
    sql = _worker_sql(len(roles), len(paths))
    params = [*paths, team.pk, *roles]
    if connection.vendor != "postgresql":
        return next(iter(User.objects.raw(sql, params)), None)
    with prepared_cursor() as cursor:  # prepared once per connection (core.db)
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return from_row(User, row) if row is not None else None  # the SQL selects the columns in field order


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


@functools.cache
def _worker_sql(roles: int, paths: int) -> str:
    def marks(count: int) -> str:
        return ", ".join(["%s"] * count)

    user, member, group = _table(User), _table(User.groups.through), _table(Group)
    covers, area, load = _table(User.areas.through), _table(ServiceArea), _table(WorkerLoad)
    columns = ", ".join(f"u.{connection.ops.quote_name(field.column)}" for field in User._meta.concrete_fields)
    return f"""
        WITH members AS (
            SELECT u.id, EXISTS (SELECT 1 FROM {covers} c JOIN {area} a ON a.id = c.servicearea_id
                                 WHERE c.user_id = u.id AND a.path IN ({marks(paths)})) AS covers
            FROM {user} u
            WHERE u.team_id = %s AND u.is_active AND u.is_on_duty
              AND EXISTS (SELECT 1 FROM {member} m JOIN {group} g ON g.id = m.group_id
                          WHERE m.user_id = u.id AND g.name IN ({marks(roles)}))
        ), candidates AS (
            SELECT id FROM members WHERE covers OR NOT EXISTS (SELECT 1 FROM members WHERE covers)
        )
        SELECT {columns} FROM {user} u JOIN candidates k ON k.id = u.id
        LEFT JOIN {load} l ON l.user_id = u.id
        ORDER BY COALESCE(l.open_orders, 0), u.id
        LIMIT 1"""  # noqa: S608 - the models' own table names


def auto_route(order: WorkOrder) -> tuple[Team | None, User | None]:
    team = choose_team(order.order_type, order.service_area)
    if team is None:
        return None, None
    return team, choose_worker(team, order.order_type, order.service_area)
