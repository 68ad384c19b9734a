"""Count every write to the tables the kept figures of the pages read (accord.core.figures)."""

from django.db import migrations

from accord.core.figures import watch


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_import_jobs_resume"),
        ("core", "0003_table_generations"),
    ]

    operations = [
        watch(
            "crm_channel",
            "crm_account",
            "crm_campaign",
            "crm_campaigncost",
            "crm_lead",
            "crm_leadstatuschange",
            "crm_leadownerchange",
            "crm_touchpoint",
            "crm_activity",
            "crm_opportunity",
            "crm_opportunitystagechange",
        )
    ]
