"""The shared cast: a small company that most tests act in.

- Marketing: carol (leader, the CMO), mona (manager), mike (member)
- Sales: victor (leader, VP Sales), sam (manager), alice and bob (members, reps)
- vera (viewer), ada (admin)
"""

from datetime import UTC, datetime

import pytest

from accord.crm.models import Account, Channel, Lead
from accord.people.models import Team, User

PASSWORD = "correct-horse-battery"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def teams(db):
    return {
        "marketing": Team.objects.create(name="Marketing", kind=Team.Kind.MARKETING),
        "sales": Team.objects.create(name="Sales", kind=Team.Kind.SALES),
    }


@pytest.fixture
def cast(teams):
    def person(username, role, team=None, **extra):
        user = User.objects.create_user(
            username=username,
            password=PASSWORD,
            email=f"{username}@example.com",
            first_name=username.title(),
            role=role,
            **extra,
        )
        if team:
            user.teams.add(teams[team])
        return user

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
    }


@pytest.fixture
def channels(db):
    return {
        key: Channel.objects.create(key=key, name=name, group=group)
        for key, name, group in [
            ("webinar", "Webinar", Channel.Group.MARKETING),
            ("paid_search", "Paid search", Channel.Group.MARKETING),
            ("outbound_sdr", "Outbound SDR", Channel.Group.SALES),
        ]
    }


@pytest.fixture
def acme(db):
    return Account.objects.create(
        name="Acme Robotics",
        domain="acme.example",
        industry="Manufacturing",
        employees=800,
        country="DE",
        created_at=T0,
    )


@pytest.fixture
def make_lead(cast, channels, acme):
    def make(email, owner="alice", status=Lead.Status.NEW, source="webinar", **extra):
        return Lead.objects.create(
            email=email,
            first_name=extra.pop("first_name", email.split("@")[0].title()),
            last_name=extra.pop("last_name", "Tester"),
            account=extra.pop("account", acme),
            owner=cast[owner] if owner else None,
            source=channels[source] if source else None,
            status=status,
            status_changed_at=extra.pop("created_at", T0),
            created_at=T0,
            **extra,
        )

    return make


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
