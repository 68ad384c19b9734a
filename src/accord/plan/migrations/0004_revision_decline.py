"""A draft revision can be declined with a comment (plan.actions.decline)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("plan", "0003_watch_writes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="planrevision",
            name="decline_comment",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="planrevision",
            name="declined_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="planrevision",
            name="declined_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="planrevision",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("approved", "Approved"),
                    ("superseded", "Superseded"),
                    ("declined", "Declined"),
                ],
                default="draft",
                max_length=12,
            ),
        ),
        # SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers.
        watch("plan_planrevision"),
    ]
