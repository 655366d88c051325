"""The free agents in the order the ACD offers to them (least loaded, longest idle), for the
PostgreSQL decision statement (`kefu.routing.pg`); SQLite routes through the ORM without it."""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS agent_free_order_idx ON routing_agentstate
    (text_load, idle_since ASC NULLS FIRST, id)
    WHERE status IN ('ready', 'busy') AND NOT voice_busy
"""
DROP = "DROP INDEX IF EXISTS agent_free_order_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
