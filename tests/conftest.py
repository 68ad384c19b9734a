"""The shared cast: a small company that most tests act in (built by tests/factories.py).

- Marketing: carol (leader, the CMO), mona (manager), mike (member)
- Sales: victor (leader, VP Sales), sam (manager), alice and bob (members, reps)
- Sales & marketing operations: otto (member), who keeps the CRM in sync (imports)
- vera (viewer), ada (admin)

And the small demo company, built once for the session, for tests that only read it.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from accord.crm.models import Lead
from tests import factories


@pytest.fixture(autouse=True)
def _no_kept_figures():
    """Each test starts with no kept figures (accord.core.figures): a figure kept by an
    earlier test, whose rows were rolled back, must never answer for this one's."""
    from django.core.cache import caches

    caches["figures"].clear()


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
def api(client):
    """A call to /api/v1 through the test client, with a bearer token if given."""

    def call(method, path, token=None, body=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            return getattr(client, method)(
                f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers
            )
        return getattr(client, method)(f"/api/v1{path}", params, headers=headers)

    return call


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


# --- The small demo company, built once for the session -----------------------------------


@pytest.fixture(scope="session")
def session_demo(django_db_setup, django_db_blocker):
    """The small demo company (tests/factories.py: SMALL_DEMO), written by `accord demo` once
    for the session and rolled back at its end; what the command printed.

    Once it is written every database test would see it, so the tests that use it run after
    all the others (pytest_collection_modifyitems below). Each of them still runs in its own
    savepoint, rolled back after it: what one test writes, the next does not see.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("demo", *factories.SMALL_DEMO, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def small_demo_company(session_demo, db):
    """The session's small demo company (`session_demo`), for a test that only reads it."""
    return session_demo


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The tests on the session's demo company run last, in their order (pytest-django has
    already put the database tests first): nothing after them expects an empty database."""
    items.sort(key=lambda item: "session_demo" in getattr(item, "fixturenames", ()))
