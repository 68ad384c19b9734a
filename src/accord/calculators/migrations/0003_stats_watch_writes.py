"""Count every write to the calculators' visits and submissions: the scoreboard keeps what
the calculators brought in (`calculators.stats.kept_in_months`), a kept figure
(accord.core.figures) that reads them."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("calculators", "0002_public_page_and_submissions"),
        ("core", "0003_table_generations"),
    ]

    operations = [watch("calculators_visit", "calculators_submission")]
