from django.db import migrations

from accord.core.figures import install_triggers


def watch_users_again(apps, schema_editor):
    # The counting trigger on people_user now leaves out updates of last_login alone
    # (core.figures.QUIET_COLUMNS): a sign-in is no change to what figures and clocks read.
    install_triggers(schema_editor, ["people_user"])


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_user_time_zone"),
        ("core", "0003_table_generations"),
    ]

    operations = [
        migrations.RunPython(watch_users_again, watch_users_again, elidable=False),
    ]
