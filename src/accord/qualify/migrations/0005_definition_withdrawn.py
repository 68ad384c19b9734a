"""A proposed version is withdrawn, with a note, when another version goes live."""

from django.db import migrations, models

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("qualify", "0004_watch_writes"),
    ]

    operations = [
        migrations.AddField(
            model_name="leaddefinition",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="leaddefinition",
            name="withdrawn_note",
            field=models.CharField(
                blank=True, help_text="Why it was withdrawn, for its proposer.", max_length=300
            ),
        ),
        migrations.AlterField(
            model_name="leaddefinition",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("proposed", "Proposed"),
                    ("approved", "Approved"),
                    ("active", "Active"),
                    ("retired", "Retired"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="draft",
                max_length=10,
            ),
        ),
        # SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers.
        watch("qualify_leaddefinition"),
    ]
