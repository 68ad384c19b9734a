"""Count every write to the tables the kept figures of the pages read (accord.core.figures)."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("qualify", "0003_pending_score"),
        ("core", "0003_table_generations"),
    ]

    operations = [
        watch(
            "qualify_leaddefinition",
            "qualify_qualification",
            "qualify_leadreview",
            "qualify_rejectionreason",
        )
    ]
