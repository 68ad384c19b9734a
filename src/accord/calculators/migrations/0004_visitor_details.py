"""What a visitor typed beside the email, kept on the submission for the lead the worker
makes of it. SQLite adds these columns by rebuilding the table, which drops its write-count
triggers: the submissions are watched again (the scoreboard keeps a figure that reads them)."""

from django.db import migrations, models

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("calculators", "0003_stats_watch_writes"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="visitor_company",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="submission",
            name="visitor_name",
            field=models.CharField(blank=True, max_length=160),
        ),
        watch("calculators_submission"),
    ]
