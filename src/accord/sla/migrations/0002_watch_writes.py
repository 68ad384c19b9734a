"""Count every write to the tables the kept figures of the pages read (accord.core.figures)."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
        ("core", "0003_table_generations"),
    ]

    operations = [watch("sla_businesscalendar", "sla_dayoff", "sla_followuppolicy")]
