"""Count every write to the content tables the owners' kept scorecard reads
(accord.core.figures)."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0012_stored_credits"),
        ("core", "0003_table_generations"),
    ]

    operations = [
        watch(
            "content_asset",
            "content_review",
            "content_rating",
            "content_rubric",
            "content_trackedlink",
            "content_linkevent",
            "content_usage",
            "content_suggestion",
            "content_influencerun",
            "content_contentcredit",
            "content_contentreach",
        )
    ]
