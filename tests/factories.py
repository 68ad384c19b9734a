"""What tests build their data from: the cast's password, the moment most stories start, and
plain functions that write the shared cast, channels, account and leads.

The fixtures in tests/conftest.py call these; a test module imports from here (never from a
conftest or another test module).
"""

from datetime import UTC, date, datetime
from pathlib import Path

import accord
from accord.crm.models import Account, Channel, Lead
from accord.people.models import Team, User

PASSWORD = "correct-horse-battery"

# For tests that start Accord in a subprocess with the production settings: a key of the
# kind the README asks for (`openssl rand -hex 32`; a weak one is refused), and where the
# subprocess imports accord from: the code under test, wherever this process found it.
PRODUCTION_SECRET_KEY = "3f1c9a7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"
ACCORD_SOURCE = str(Path(accord.__file__).resolve().parent.parent)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The small demo company: `accord demo` with these arguments (and its default seed, 7), as
# `build_demo_company(seed=7, scale=0.03, months=12, until=SMALL_DEMO_UNTIL)` writes it.
SMALL_DEMO_UNTIL = date(2026, 3, 2)
SMALL_DEMO = ("--scale", "0.03", "--months", "12", "--until", SMALL_DEMO_UNTIL.isoformat())


def create_teams() -> dict[str, Team]:
    return {
        "marketing": Team.objects.create(name="Marketing", kind=Team.Kind.MARKETING),
        "sales": Team.objects.create(name="Sales", kind=Team.Kind.SALES),
        "ops": Team.objects.create(name="Sales & marketing operations", kind=Team.Kind.SALES_OPS),
    }


def create_person(username: str, role: str, team: Team | None = None, **extra) -> User:
    """A user of the cast's kind: the cast's password, an example.com address, a first name."""
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.com",
        first_name=username.title(),
        role=role,
        **extra,
    )
    if team:
        user.teams.add(team)
    return user


def create_cast(teams: dict[str, Team]) -> dict[str, User]:
    """The shared cast (see tests/conftest.py), by username."""

    def person(username, role, team=None):
        return create_person(username, role, teams[team] if team else None)

    R = User.Role
    return {
        "ada": person("ada", R.ADMIN),
        "carol": person("carol", R.LEADER, "marketing"),
        "mona": person("mona", R.MANAGER, "marketing"),
        "mike": person("mike", R.MEMBER, "marketing"),
        "victor": person("victor", R.LEADER, "sales"),
        "sam": person("sam", R.MANAGER, "sales"),
        "alice": person("alice", R.MEMBER, "sales"),
        "bob": person("bob", R.MEMBER, "sales"),
        "vera": person("vera", R.VIEWER),
        "otto": person("otto", R.MEMBER, "ops"),
    }


def create_channels() -> dict[str, Channel]:
    return {
        key: Channel.objects.create(key=key, name=name, group=group)
        for key, name, group in [
            ("webinar", "Webinar", Channel.Group.MARKETING),
            ("paid_search", "Paid search", Channel.Group.MARKETING),
            ("outbound_sdr", "Outbound SDR", Channel.Group.SALES),
        ]
    }


def create_acme() -> Account:
    return Account.objects.create(
        name="Acme Robotics",
        domain="acme.example",
        industry="Manufacturing",
        employees=800,
        country="DE",
        created_at=T0,
    )


def create_lead(
    email: str,
    *,
    cast: dict[str, User],
    channels: dict[str, Channel],
    account: Account | None,
    owner: str | None = "alice",
    status: str = Lead.Status.NEW,
    source: str | None = "webinar",
    **extra,
) -> Lead:
    """A lead created at T0 (its status changed at `created_at`, else T0), owned by a member
    of the cast and sourced from one of the channels, both named by key."""
    return Lead.objects.create(
        email=email,
        first_name=extra.pop("first_name", email.split("@")[0].title()),
        last_name=extra.pop("last_name", "Tester"),
        account=account,
        owner=cast[owner] if owner else None,
        source=channels[source] if source else None,
        status=status,
        status_changed_at=extra.pop("created_at", T0),
        created_at=T0,
        **extra,
    )
