"""Count every write to the journey tables the scoreboard's kept late deliverables read
(accord.core.figures)."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("journey", "0002_goals_measures"),
        ("core", "0003_table_generations"),
    ]

    operations = [
        watch(
            "journey_journey",
            "journey_journeyrevision",
            "journey_journeyrole",
            "journey_stage",
            "journey_deliverable",
        )
    ]
