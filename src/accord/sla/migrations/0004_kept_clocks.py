"""Kept clocks per lead (accord.sla.kept), and the triggers that count writes to their
inputs per lead."""

from django.db import migrations, models

from accord.sla import kept


def install(apps, schema_editor):
    kept.install_triggers(schema_editor)


def remove(apps, schema_editor):
    kept.remove_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0003_touch_window"),
        ("crm", "0014_content_touch_kind"),
        ("qualify", "0005_definition_withdrawn"),
    ]

    operations = [
        migrations.CreateModel(
            name="LeadClocks",
            fields=[
                ("lead_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("stamp", models.BigIntegerField()),
                ("shared", models.CharField(max_length=40)),
                ("turns_at", models.DateTimeField(null=True)),
                ("evaluated_at", models.DateTimeField()),
                ("spells", models.BinaryField()),
            ],
        ),
        migrations.CreateModel(
            name="LeadClockStamp",
            fields=[
                ("lead_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("n", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
