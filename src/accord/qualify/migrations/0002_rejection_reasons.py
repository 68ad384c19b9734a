from django.db import migrations

# The reasons sales may give when turning a lead down; admins can add and retire reasons.
REASONS = [
    ("not-a-fit", "Not a fit"),
    ("no-budget", "No budget"),
    ("no-authority", "No authority"),
    ("student-or-job-seeker", "Student or job seeker"),
    ("competitor", "Competitor"),
    ("duplicate", "Duplicate"),
    ("unreachable", "Unreachable"),
    ("bad-data", "Bad data"),
]


def add_reasons(apps, schema_editor):
    RejectionReason = apps.get_model("qualify", "RejectionReason")
    for position, (key, label) in enumerate(REASONS):
        RejectionReason.objects.get_or_create(
            key=key, defaults={"label": label, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("qualify", "0001_initial")]
    operations = [migrations.RunPython(add_reasons, migrations.RunPython.noop)]
