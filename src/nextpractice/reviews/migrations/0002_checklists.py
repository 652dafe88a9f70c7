from django.db import migrations


def load(apps, schema_editor):
    from nextpractice.reviews.checklists import load as load_checklists

    load_checklists(
        apps.get_model("reviews", "Checklist"), apps.get_model("reviews", "ChecklistItem")
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
