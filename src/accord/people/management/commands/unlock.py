"""`accord unlock`: let a locked-out person (the last admin, typically) try again."""

from django.core.management.base import BaseCommand, CommandError

from accord.people import logins
from accord.people.models import normal_username


class Command(BaseCommand):
    help = (
        "Forget the failed logins that lock an account (any spelling of its username) "
        "or a client address."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--address", default="", help="A client address to unlock too.")

    def handle(self, *args, username, address, **options):
        if not username and not address:
            raise CommandError("Name a username, an --address, or both.")
        key = logins.normal_address(address) if address else None
        if address and key is None:
            raise CommandError(f"{address!r} is not an IP address.")
        cleared = logins.unlock(username=username, address=address)
        if username:
            name = normal_username(username)
            if name not in cleared:
                raise CommandError(f"No user named {name!r} and no failed logins under it.")
            self.stdout.write(f"Unlocked {name}: failed logins forgotten.")
        if key:
            if key in cleared:
                self.stdout.write(f"Unlocked the address {key}.")
            else:
                self.stdout.write(f"No failed logins recorded from {key}.")
