# Failed logins are counted per account (the rows so far) and now per client address too.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_notifications"),
    ]

    operations = [
        migrations.RenameField(model_name="loginthrottle", old_name="username", new_name="key"),
        migrations.AlterField(
            model_name="loginthrottle",
            name="key",
            field=models.CharField(
                help_text="The username in normal form, or the client's address.", max_length=150
            ),
        ),
        migrations.AddField(
            model_name="loginthrottle",
            name="kind",
            field=models.CharField(
                choices=[("account", "Account"), ("address", "Client address")],
                default="account",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="loginthrottle",
            name="window_started_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddConstraint(
            model_name="loginthrottle",
            constraint=models.UniqueConstraint(
                fields=("kind", "key"), name="login_throttle_once_per_key"
            ),
        ),
    ]
