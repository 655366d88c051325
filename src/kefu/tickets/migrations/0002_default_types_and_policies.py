"""Start with the order types, SLA policies and calendars of kefu.tickets.defaults."""

from django.db import migrations


def load(apps, schema_editor):
    from kefu.tickets import defaults

    defaults.load(
        apps.get_model("tickets", "OrderType"),
        apps.get_model("tickets", "SlaPolicy"),
        apps.get_model("core", "BusinessCalendar"),
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("core", "0003_national_calendar_days")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
