from django.db import migrations, models

from accord.core.figures import install_triggers


def watch_users_again(apps, schema_editor):
    # SQLite adds the column by rebuilding the table, which drops its generation triggers
    # (core 0003): put them back, or kept figures would not notice writes to users.
    install_triggers(schema_editor, ["people_user"])


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_weekly_digest"),
        ("core", "0003_table_generations"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True, help_text="An IANA time zone such as America/New_York", max_length=64
            ),
        ),
        migrations.RunPython(watch_users_again, migrations.RunPython.noop, elidable=False),
    ]
