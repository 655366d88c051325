"""Start with the category tree of kefu.knowledge.defaults."""

from django.db import migrations


def load(apps, schema_editor):
    from kefu.knowledge import defaults

    defaults.load_categories(apps.get_model("knowledge", "Category"))


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_full_text_index")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
