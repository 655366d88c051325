"""Fewer indexes for every contact and message to write.

Every contact and message row is inserted under load (each inbound SMS, mail or chat line), and
each index is one more insert. Gone: the LIKE (varchar_pattern_ops) twins PostgreSQL made for
`db_index` on queue_code, resume_token and external_id (only looked up by equality), and the
foreign-key indexes on agent and customer (contact_agent_status_idx and
contact_customer_time_idx lead with those columns). The equality indexes stay, renamed on
PostgreSQL (no rebuild) and recreated under the new names on SQLite; the foreign-key
constraints are left as they are (no revalidation of the table).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, index made by db_index, its new name, column)
KEPT = [
    ("contacts_contact", "contacts_contact_queue_code_882e5c2a", "contact_queue_code_idx", "queue_code"),
    ("contacts_contact", "contacts_contact_resume_token_010f1071", "contact_resume_token_idx", "resume_token"),
    ("contacts_message", "contacts_message_external_id_7d81e08c", "message_external_id_idx", "external_id"),
]
# (table, foreign-key index, column)
DROPPED = [
    ("contacts_contact", "contacts_contact_agent_id_15d75963", "agent_id"),
    ("contacts_contact", "contacts_contact_customer_id_bc06dcda", "customer_id"),
]


def forwards(apps, schema_editor):
    quote = schema_editor.quote_name
    postgres = schema_editor.connection.vendor == "postgresql"
    for table, old, new, column in KEPT:
        if postgres:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(old + '_like')}")
            schema_editor.execute(f"ALTER INDEX IF EXISTS {quote(old)} RENAME TO {quote(new)}")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(old)}")
            schema_editor.execute(f"CREATE INDEX {quote(new)} ON {quote(table)} ({quote(column)})")
    for _table, index, _column in DROPPED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index)}")


def backwards(apps, schema_editor):
    quote = schema_editor.quote_name
    postgres = schema_editor.connection.vendor == "postgresql"
    for table, old, new, column in KEPT:
        if postgres:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {quote(new)} RENAME TO {quote(old)}")
            schema_editor.execute(
                f"CREATE INDEX {quote(old + '_like')} ON {quote(table)} ({quote(column)} varchar_pattern_ops)"
            )
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(new)}")
            schema_editor.execute(f"CREATE INDEX {quote(old)} ON {quote(table)} ({quote(column)})")
    for table, index, column in DROPPED:
        schema_editor.execute(f"CREATE INDEX {quote(index)} ON {quote(table)} ({quote(column)})")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0007_inbound_discarded"),
        ("customers", "0002_address_trigram_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="handled_contacts",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contacts",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="queue_code",
                    field=models.CharField(blank=True, max_length=32, verbose_name="queue"),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="resume_token",
                    field=models.CharField(blank=True, max_length=64, verbose_name="resume token"),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="external_id",
                    field=models.CharField(
                        blank=True,
                        help_text="The id the channel gave the message, e.g. an email's Message-ID, for threading.",
                        max_length=255,
                        verbose_name="channel message id",
                    ),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(fields=["queue_code"], name="contact_queue_code_idx"),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(fields=["resume_token"], name="contact_resume_token_idx"),
                ),
                migrations.AddIndex(
                    model_name="message",
                    index=models.Index(fields=["external_id"], name="message_external_id_idx"),
                ),
            ],
        )
    ]
