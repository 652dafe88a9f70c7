"""Links between leaders and settings made before claims existed were picked by the leader
on their own profile: nobody established them. Each becomes a claim waiting for the area's
coordinator, and the link is cleared until it is approved, so no self-asserted link keeps
the right to edit a setting's address and closure days. (A fresh database has none.)"""

from django.db import migrations


def links_to_claims(apps, schema_editor):
    LeaderProfile = apps.get_model("directory", "LeaderProfile")
    SettingClaim = apps.get_model("directory", "SettingClaim")
    profiles = LeaderProfile.objects.exclude(setting=None)
    for profile in profiles.iterator():
        if not SettingClaim.objects.filter(user_id=profile.user_id, state="pending").exists():
            SettingClaim.objects.create(
                user_id=profile.user_id, setting_id=profile.setting_id, state="pending"
            )
    profiles.update(setting=None)


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_la_codes_and_setting_claims")]

    operations = [migrations.RunPython(links_to_claims, migrations.RunPython.noop)]
