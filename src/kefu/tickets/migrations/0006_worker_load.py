"""WorkerLoad: each member of staff's open orders, kept by triggers on the work order table.

An order counts for its assignee while its status is open. The triggers move the count when an
order is inserted, deleted, reassigned or changes between open and not open; the backfill counts
what is there when the migration runs. PostgreSQL and SQLite each get their own trigger text.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OPEN = "('new', 'dispatched', 'accepted', 'in_progress', 'pending', 'returned')"

BACKFILL = f"""
INSERT INTO tickets_workerload (user_id, open_orders)
SELECT assignee_id, COUNT(*) FROM tickets_workorder
WHERE assignee_id IS NOT NULL AND status IN {OPEN} GROUP BY assignee_id
"""

POSTGRES = f"""
CREATE FUNCTION tickets_workerload_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER tickets_workerload_sync
AFTER INSERT OR DELETE OR UPDATE OF assignee_id, status ON tickets_workorder
FOR EACH ROW EXECUTE FUNCTION tickets_workerload_sync();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS tickets_workerload_sync ON tickets_workorder;
DROP FUNCTION IF EXISTS tickets_workerload_sync();
"""


def _sqlite_count(row: str, step: str) -> str:
    """One statement adding `step` to the count of `row`'s assignee (`row` is NEW or OLD)."""
    return (
        f"INSERT INTO tickets_workerload (user_id, open_orders) VALUES ({row}.assignee_id, {step}) "
        f"ON CONFLICT (user_id) DO UPDATE SET open_orders = open_orders + ({step});"
    )


def _counted(row: str) -> str:
    return f"({row}.assignee_id IS NOT NULL AND {row}.status IN {OPEN})"


SQLITE = [
    f"""CREATE TRIGGER tickets_workerload_insert AFTER INSERT ON tickets_workorder
    WHEN {_counted("NEW")} BEGIN {_sqlite_count("NEW", "1")} END""",
    f"""CREATE TRIGGER tickets_workerload_delete AFTER DELETE ON tickets_workorder
    WHEN {_counted("OLD")} BEGIN {_sqlite_count("OLD", "-1")} END""",
    f"""CREATE TRIGGER tickets_workerload_update_old AFTER UPDATE OF assignee_id, status ON tickets_workorder
    WHEN {_counted("OLD")} AND NOT ({_counted("NEW")} AND OLD.assignee_id = NEW.assignee_id)
    BEGIN {_sqlite_count("OLD", "-1")} END""",
    f"""CREATE TRIGGER tickets_workerload_update_new AFTER UPDATE OF assignee_id, status ON tickets_workorder
    WHEN {_counted("NEW")} AND NOT ({_counted("OLD")} AND OLD.assignee_id = NEW.assignee_id)
    BEGIN {_sqlite_count("NEW", "1")} END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS tickets_workerload_{name}" for name in ("insert", "delete", "update_old", "update_new")
]


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_workerload")
        cursor.execute(BACKFILL)
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
        else:
            for statement in SQLITE:
                cursor.execute(statement)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES_REVERSE)
        else:
            for statement in SQLITE_REVERSE:
                cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_agent_skill_level_index'),
        ('tickets', '0005_open_orders_by_assignee'),
    ]

    operations = [
        migrations.CreateModel(
            name='WorkerLoad',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='work_load', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('open_orders', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': 'open orders held',
                'verbose_name_plural': 'open orders held',
            },
        ),
        migrations.RemoveIndex(
            model_name='workorder',
            name='order_open_assignee_idx',
        ),
        migrations.RunPython(install, uninstall),
    ]
