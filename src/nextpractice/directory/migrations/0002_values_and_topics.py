"""The shared lists leaders choose from. Data, not code: admins edit them afterwards."""

from django.db import migrations

VALUES = [
    ("Children first", "Every decision starts from what is best for the children."),
    ("Inclusion", "Every child belongs and takes part, whatever their needs or background."),
    ("Play-based learning", "Children learn through play, led by their interests."),
    ("Outdoor learning", "Time outdoors, in all weathers, is part of every day."),
    ("Community and families", "Families and the community are partners in learning."),
    ("Staff wellbeing", "Staff who are looked after can look after children."),
    ("Research-informed practice", "We try what the evidence suggests and look at what works."),
    ("Early language", "Talk, stories and vocabulary come before everything else."),
]

TOPICS = [
    ("Inspection areas", ["Curriculum", "Early reading", "Maths", "SEND", "EAL", "Safeguarding",
                          "Behaviour", "Outdoor provision", "Environment",
                          "Parent partnership", "Transitions"]),
    ("Everyday leadership", ["Staff management and HR", "Finance and budget", "Governance",
                             "Self-evaluation and SEF", "Website and statutory information",
                             "Funding bids", "Wellbeing", "Data"]),
]


def load(apps, schema_editor):
    Value = apps.get_model("directory", "Value")
    Topic = apps.get_model("directory", "Topic")
    for position, (name, description) in enumerate(VALUES):
        Value.objects.update_or_create(
            name=name, defaults={"description": description, "position": position}
        )
    position = 0
    for group, names in TOPICS:
        for name in names:
            Topic.objects.update_or_create(name=name, defaults={"group": group, "position": position})
            position += 1


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
