"""The triggers that keep `WorkerLoad` (each person's open orders) in step with the orders.

An order counts for its assignee while its status is open. PostgreSQL has one plpgsql trigger,
SQLite four; a decrement is a plain UPDATE (never an insert: the person may be being deleted).
They are installed by migration 0006 and again after every `migrate` (SQLite drops a table's
triggers when a migration rebuilds the table), which also recounts from the orders, under a
lock on PostgreSQL so that orders written meanwhile are not missed.
"""

# ruff: noqa: S608 - every statement here is fixed text: our tables and the constant open statuses
from __future__ import annotations

from typing import Any

OPEN = "('new', 'dispatched', 'accepted', 'in_progress', 'pending', 'returned')"

_POSTGRES = f"""
CREATE OR REPLACE FUNCTION tickets_workerload_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_counted boolean := TG_OP <> 'INSERT' AND OLD.assignee_id IS NOT NULL AND OLD.status IN {OPEN};
    is_counted boolean := TG_OP <> 'DELETE' AND NEW.assignee_id IS NOT NULL AND NEW.status IN {OPEN};
BEGIN
    IF was_counted AND is_counted AND OLD.assignee_id = NEW.assignee_id THEN
        RETURN NULL;
    END IF;
    IF was_counted THEN
        UPDATE tickets_workerload SET open_orders = open_orders - 1 WHERE user_id = OLD.assignee_id;
    END IF;
    IF is_counted THEN
        INSERT INTO tickets_workerload AS load (user_id, open_orders) VALUES (NEW.assignee_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET open_orders = load.open_orders + 1;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tickets_workerload_sync ON tickets_workorder;
CREATE TRIGGER tickets_workerload_sync
AFTER INSERT OR DELETE OR UPDATE OF assignee_id, status ON tickets_workorder
FOR EACH ROW EXECUTE FUNCTION tickets_workerload_sync();
"""

_POSTGRES_REMOVE = """
DROP TRIGGER IF EXISTS tickets_workerload_sync ON tickets_workorder;
DROP FUNCTION IF EXISTS tickets_workerload_sync();
"""

_SQLITE_NAMES = ("insert", "delete", "update_old", "update_new")


def _counted(row: str) -> str:
    return f"({row}.assignee_id IS NOT NULL AND {row}.status IN {OPEN})"


def _add(row: str) -> str:
    return (
        f"INSERT INTO tickets_workerload (user_id, open_orders) VALUES ({row}.assignee_id, 1) "
        "ON CONFLICT (user_id) DO UPDATE SET open_orders = open_orders + 1;"
    )


def _take(row: str) -> str:
    return f"UPDATE tickets_workerload SET open_orders = open_orders - 1 WHERE user_id = {row}.assignee_id;"


_SQLITE = (
    f"""CREATE TRIGGER tickets_workerload_insert AFTER INSERT ON tickets_workorder
    WHEN {_counted("NEW")} BEGIN {_add("NEW")} END""",
    f"""CREATE TRIGGER tickets_workerload_delete AFTER DELETE ON tickets_workorder
    WHEN {_counted("OLD")} BEGIN {_take("OLD")} END""",
    f"""CREATE TRIGGER tickets_workerload_update_old AFTER UPDATE OF assignee_id, status ON tickets_workorder
    WHEN {_counted("OLD")} AND NOT ({_counted("NEW")} AND OLD.assignee_id = NEW.assignee_id)
    BEGIN {_take("OLD")} END""",
    f"""CREATE TRIGGER tickets_workerload_update_new AFTER UPDATE OF assignee_id, status ON tickets_workorder
    WHEN {_counted("NEW")} AND NOT ({_counted("OLD")} AND OLD.assignee_id = NEW.assignee_id)
    BEGIN {_add("NEW")} END""",
)


def install(connection: Any) -> None:
    """(Re)create the triggers and recount every person's open orders, in one transaction."""
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE tickets_workorder IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(_POSTGRES)
        else:
            for name in _SQLITE_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS tickets_workerload_{name}")
            for statement in _SQLITE:
                cursor.execute(statement)
        cursor.execute("DELETE FROM tickets_workerload")
        cursor.execute(
            "INSERT INTO tickets_workerload (user_id, open_orders) SELECT assignee_id, COUNT(*) "
            f"FROM tickets_workorder WHERE assignee_id IS NOT NULL AND status IN {OPEN} GROUP BY assignee_id"
        )


def uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRES_REMOVE)
        else:
            for name in _SQLITE_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS tickets_workerload_{name}")


def reinstall_after_migrate(using: str = "default", **_kwargs: Any) -> None:
    """post_migrate: the triggers again, and a fresh count (only once 0006 has made the table)."""
    from django.db import connections

    connection = connections[using]
    if "tickets_workerload" in connection.introspection.table_names():
        install(connection)
