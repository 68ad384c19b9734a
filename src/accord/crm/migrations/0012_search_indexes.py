"""Indexes for searching leads and accounts by any part of their text (accord.crm.search)."""

from django.db import migrations

from accord.crm import search


def forwards(apps, schema_editor):
    search.install(schema_editor)


def backwards(apps, schema_editor):
    search.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("crm", "0011_lead_list_sort_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
