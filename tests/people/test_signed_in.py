"""The signed-in user is loaded in one statement with what every page's header asks of them:
the kinds of their teams (which links the navigation offers) and their unread count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.people import permissions, zones
from accord.people.models import Notification, Team, User

pytestmark = pytest.mark.django_db


def _user(username, role="member", kinds=()):
    user = User.objects.create_user(username=username, password="x", role=role)
    for kind in kinds:
        team, _ = Team.objects.get_or_create(name=f"The {kind} team", defaults={"kind": kind})
        user.teams.add(team)
    return user


def test_a_page_asks_no_query_of_its_own_for_the_readers_teams_or_unread_count(client):
    ops = _user("olga", kinds=["sales_ops", "marketing"])
    Notification.objects.create(user=ops, kind="x", title="Look", created_at="2026-01-05T09:00Z")
    client.force_login(ops)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/plans/").content.decode()
    asking = [
        q["sql"]
        for q in queries.captured_queries
        if "people_notification" in q["sql"] or "people_team" in q["sql"]
    ]
    assert len(asking) == 1 and 'FROM "people_user"' in asking[0]
    assert 'Notifications <span class="badge">1</span>' in html
    assert ">Webhooks</a>" in html and ">Imports</a>" in html  # sales & marketing operations


@pytest.mark.parametrize(
    "kinds",
    [(), ("sales",), ("sdr", "marketing"), ("sales_ops",), ("content", "marketing", "sales")],
)
@pytest.mark.parametrize("role", ["admin", "leader", "manager", "member", "viewer"])
def test_the_permissions_answer_the_same_for_the_signed_in_user_as_read_afresh(kinds, role):
    user = _user("pat", role=role, kinds=kinds)
    signed_in = zones.ZoneAwareBackend().get_user(user.pk)
    plain = User.objects.get(pk=user.pk)
    for rule in (
        permissions.is_operations,
        permissions.can_import,
        permissions.can_manage_webhooks,
        permissions.works_a_follow_up_queue,
        permissions.can_edit_service_levels,
        permissions.can_edit_spend,
        permissions.is_content_manager,
        permissions.can_create_asset,
        permissions.can_build_calculator,
    ):
        assert rule(signed_in) == rule(plain), rule.__name__
    for kind in Team.Kind.values:
        assert permissions.in_team_of_kind(signed_in, kind) == (kind in kinds)


def test_joining_a_team_shows_on_the_next_page_and_reading_clears_the_count(client):
    user = _user("nina", role="member")
    Notification.objects.create(user=user, kind="x", title="Look", created_at="2026-01-05T09:00Z")
    client.force_login(user)
    html = client.get("/plans/").content.decode()
    assert ">Webhooks</a>" not in html and 'class="badge">1<' in html
    user.teams.add(Team.objects.create(name="Ops", kind="sales_ops"))
    client.post("/notifications/read/")
    html = client.get("/plans/").content.decode()
    assert ">Webhooks</a>" in html and 'class="badge"' not in html


def test_a_session_naming_nobody_an_inactive_user_or_garbage_signs_nobody_in(client):
    backend = zones.ZoneAwareBackend()
    gone = _user("gone")
    gone.is_active = False
    gone.save()
    assert backend.get_user(gone.pk) is None
    assert backend.get_user(987_654) is None
    assert backend.get_user("not a number") is None
    assert backend.get_user(_user("here").pk).username == "here"
