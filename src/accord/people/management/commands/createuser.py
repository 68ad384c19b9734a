"""`accord createuser`: add a user from the command line (the first admin, typically)."""

import getpass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accord.people import actions
from accord.people.models import Team, User


class Command(BaseCommand):
    help = "Create a user. Asks for the password unless --password-env names a variable."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", choices=User.Role.values, default=User.Role.MEMBER)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--team", action="append", default=[], help="Team name (repeatable).")
        parser.add_argument(
            "--time-zone",
            default="",
            help="An IANA zone such as America/Chicago; default: their team's calendar's.",
        )
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="Read the password from this environment variable (for scripts).",
        )

    def handle(self, *args, username, email, role, first_name, last_name, team, password_env, **o):
        import os

        time_zone = o["time_zone"]

        username = User.normalize_username(username)  # the one spelling login looks up
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        teams = []
        for name in team:
            found = Team.objects.filter(name=name).first()
            if found is None:
                known = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"No team named {name!r} (teams: {known}).")
            teams.append(found)
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"${password_env} is empty or not set.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("Password rejected: " + " ".join(error.messages)) from None
        try:
            user = actions.create_user(
                None,
                password=password,
                teams=teams,
                username=username,
                email=email.lower(),
                first_name=first_name,
                last_name=last_name,
                role=role,
                time_zone=time_zone,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}).")
