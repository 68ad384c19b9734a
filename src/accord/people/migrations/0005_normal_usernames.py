"""Usernames stored before login normalised them are rewritten in their normal form.

Two users whose names share a normal form (`Writer` and `ＷＲＩＴＥＲ`) would become one login;
the migration then renames nobody and stops, naming them, so that an admin renames all but
one of each first.
"""

from collections import defaultdict

from django.core.management import CommandError
from django.db import migrations
from django.utils import timezone

from accord.people.models import normal_username


def normalise_usernames(apps, schema_editor):
    User = apps.get_model("people", "User")
    AuditLog = apps.get_model("people", "AuditLog")
    LoginThrottle = apps.get_model("people", "LoginThrottle")

    by_normal = defaultdict(list)
    for pk, username in User.objects.order_by("pk").values_list("pk", "username"):
        by_normal[normal_username(username)].append((pk, username))
    clashes = {name: users for name, users in by_normal.items() if len(users) > 1}
    if clashes:
        lines = [
            f"  {name}: " + ", ".join(f"#{pk} {username!r}" for pk, username in users)
            for name, users in sorted(clashes.items())
        ]
        raise CommandError(
            "Usernames are now compared in one normal form (NFKC, case-folded), and these "
            "users would share a name:\n" + "\n".join(lines) + "\nRename all but one of each "
            "(People page, or `accord shell`), then run `accord migrate` again. "
            "Nothing was renamed."
        )

    now = timezone.now()
    for name, [(pk, username)] in by_normal.items():
        if name == username:
            continue
        User.objects.filter(pk=pk).update(username=name)
        AuditLog.objects.create(
            actor=None,
            action="user.renamed",
            object_type="people.user",
            object_id=str(pk),
            summary=f"Username {username!r} stored in its normal form {name!r}",
            before={"username": username},
            after={"username": name},
            at=now,
        )

    # Failure counts kept under another spelling belong to the normal one, if any is left.
    for throttle in LoginThrottle.objects.filter(kind="account"):
        name = normal_username(throttle.key)
        if name != throttle.key:
            if LoginThrottle.objects.filter(kind="account", key=name).exists():
                throttle.delete()
            else:
                LoginThrottle.objects.filter(pk=throttle.pk).update(key=name)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_login_throttle_by_address"),
    ]

    operations = [
        migrations.RunPython(normalise_usernames, migrations.RunPython.noop),
    ]
