"""The shared cast: a small company that most tests act in (built by tests/factories.py).

- Marketing: carol (leader, the CMO), mona (manager), mike (member)
- Sales: victor (leader, VP Sales), sam (manager), alice and bob (members, reps)
- vera (viewer), ada (admin)
"""

import pytest

from accord.crm.models import Lead
from tests import factories


@pytest.fixture
def teams(db):
    return factories.create_teams()


@pytest.fixture
def cast(teams):
    return factories.create_cast(teams)


@pytest.fixture
def channels(db):
    return factories.create_channels()


@pytest.fixture
def acme(db):
    return factories.create_acme()


@pytest.fixture
def make_lead(cast, channels, acme):
    def make(email, owner="alice", status=Lead.Status.NEW, source="webinar", **extra):
        account = extra.pop("account", acme)
        return factories.create_lead(
            email,
            cast=cast,
            channels=channels,
            account=account,
            owner=owner,
            status=status,
            source=source,
            **extra,
        )

    return make


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
