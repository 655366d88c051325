"""WorkerLoad: each member of staff's open orders, kept by triggers on the work order table
(`kefu.tickets.workload`: installed here and again after every migrate, with a recount)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kefu.tickets import workload  # the trigger texts live with the code that reinstalls them

    workload.install(schema_editor.connection)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kefu.tickets import workload

    workload.uninstall(schema_editor.connection)


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
