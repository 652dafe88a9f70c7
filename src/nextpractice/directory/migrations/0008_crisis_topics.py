"""The common crises (an Ofsted inspection first) become topics and kinds of experience."""

from django.db import migrations

from nextpractice.directory.taxonomy import load_crises


def load(apps, schema_editor):
    load_crises(apps.get_model("directory", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_postcodes_and_approximate_locations")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
