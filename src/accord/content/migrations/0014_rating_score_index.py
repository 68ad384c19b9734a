"""The ratings index holds the score: the library reads each asset's rating from it alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0013_watch_writes"),
        ("crm", "0015_account_industry_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rating",
            index=models.Index(
                fields=["asset", "rubric", "score"], name="content_rating_asset_score"
            ),
        ),
        migrations.RemoveIndex(
            model_name="rating",
            name="content_rat_asset_i_cb3fc3_idx",
        ),
    ]
