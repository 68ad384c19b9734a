"""Count every write to the content touches: content influence is a kept figure
(accord.core.figures) that reads them."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0010_ratings"),
        ("core", "0003_table_generations"),
    ]

    operations = [watch("content_contenttouch")]
