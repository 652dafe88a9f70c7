"""The shared lists leaders choose from. Data, not code: admins edit them afterwards."""

from django.db import migrations

from nextpractice.directory.taxonomy import load_taxonomy


def load(apps, schema_editor):
    load_taxonomy(apps.get_model("directory", "Value"), apps.get_model("directory", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
