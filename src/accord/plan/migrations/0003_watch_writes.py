"""Count every write to the tables the kept figures of the pages read (accord.core.figures)."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("plan", "0002_rolling_plan_growth_and_coverage"),
        ("core", "0003_table_generations"),
    ]

    operations = [watch("plan_plan", "plan_planrevision", "plan_planapproval", "plan_plangoal")]
