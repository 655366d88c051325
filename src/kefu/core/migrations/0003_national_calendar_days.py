"""Pre-fill national holidays and 调休 make-up working days for 2025–2027."""

from django.db import migrations


def fill(apps, schema_editor):
    from kefu.core.calendar import load_national_days

    load_national_days(range(2025, 2028), model=apps.get_model("core", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_businesscalendar_calendarday")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
