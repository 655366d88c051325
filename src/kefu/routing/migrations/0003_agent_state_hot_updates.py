"""Routing decisions update an agent's state with HOT updates (no new index entries).

A decision changes the agent's status, load and state time. With an index on any of these
columns every decision wrote a new entry into each of the table's four indexes and left the
old ones behind, so the lookups by agent id that choose the agent read more and more dead
entries. `agent_ready_idle_idx` (status, idle_since) served no query (a floor's states are a
few dozen pages), and `agent_free_order_idx` (migration 0002) was not used by the decision's
generic plan, which reads the agents of one skill level by id (`routing.pg`). Without them an
update changes no indexed column; half of each page is left free so the new row version fits
on the same page.
"""

from django.db import migrations

FILLFACTOR = "ALTER TABLE routing_agentstate SET (fillfactor = 50)"
FILLFACTOR_RESET = "ALTER TABLE routing_agentstate RESET (fillfactor)"
DROP_FREE_ORDER = "DROP INDEX IF EXISTS agent_free_order_idx"
CREATE_FREE_ORDER = """
CREATE INDEX IF NOT EXISTS agent_free_order_idx ON routing_agentstate
    (text_load, idle_since ASC NULLS FIRST, id)
    WHERE status IN ('ready', 'busy') AND NOT voice_busy
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FREE_ORDER)
        schema_editor.execute(FILLFACTOR)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILLFACTOR_RESET)
        schema_editor.execute(CREATE_FREE_ORDER)


class Migration(migrations.Migration):
    dependencies = [("routing", "0002_agent_free_order_index")]

    operations = [
        migrations.RemoveIndex(model_name="agentstate", name="agent_ready_idle_idx"),
        migrations.RunPython(forward, backward, elidable=False),
    ]
