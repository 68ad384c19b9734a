"""Admins manage users, teams and roles in the app; every change is audited."""

import pytest
from django.urls import reverse

from accord.people.models import AuditLog, Team, User

pytestmark = pytest.mark.django_db


def user_form(**overrides):
    data = {
        "username": "nina",
        "first_name": "Nina",
        "last_name": "Ng",
        "email": "nina@example.com",
        "title": "Account executive",
        "role": "member",
        "is_active": "on",
        "password": "a-long-enough-pass-99",
    }
    data.update(overrides)
    return data


def test_only_admins_reach_people_management(login, cast):
    for name in ("carol", "sam", "alice", "vera"):
        client = login(cast[name])
        assert client.get(reverse("people")).status_code == 403
        assert client.post(reverse("user_new"), user_form()).status_code == 403
    assert not User.objects.filter(username="nina").exists()
    page = login(cast["ada"]).get(reverse("people"))
    assert page.status_code == 200
    assert "alice" in page.content.decode()


def test_the_403_page_explains_itself(login, cast):
    response = login(cast["alice"]).get(reverse("people"))
    assert "You can't do that" in response.content.decode()


def test_an_admin_adds_a_user_with_teams_and_it_is_audited(login, cast, teams):
    client = login(cast["ada"])
    response = client.post(reverse("user_new"), user_form(teams=[teams["sales"].pk]))
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.check_password("a-long-enough-pass-99")
    assert list(nina.teams.all()) == [teams["sales"]]
    entry = AuditLog.objects.get(action="user.created")
    assert entry.actor == cast["ada"] and entry.after["teams"] == ["Sales"]


def test_changing_a_role_is_audited_with_before_and_after(login, cast):
    client = login(cast["ada"])
    alice = cast["alice"]
    data = user_form(username="alice", email="alice@example.com", role="manager", password="")
    client.post(reverse("user_edit", args=[alice.pk]), data)
    alice.refresh_from_db()
    assert alice.role == "manager"
    entry = AuditLog.objects.get(action="user.changed", object_id=str(alice.pk))
    assert (entry.before["role"], entry.after["role"]) == ("member", "manager")
    assert alice.check_password("correct-horse-battery"), "an empty password field keeps it"


def test_bad_user_input_is_explained_and_nothing_is_saved(login, cast):
    client = login(cast["ada"])
    response = client.post(
        reverse("user_new"),
        user_form(username="alice", email="ALICE@example.com", role="overlord", password="123"),
    )
    html = response.content.decode()
    assert "A user with that username already exists." in html
    assert "Another user already has this email address." in html
    assert "Select a valid choice" in html
    assert "This password is too short" in html
    assert User.objects.count() == len(cast)
    assert not AuditLog.objects.exists()


def test_the_last_admin_cannot_demote_themselves(login, cast):
    ada = cast["ada"]
    response = login(ada).post(
        reverse("user_edit", args=[ada.pk]),
        user_form(username="ada", email="ada@example.com", role="member", password=""),
    )
    assert "last active admin" in response.content.decode()
    ada.refresh_from_db()
    assert ada.role == "admin"


def test_a_deactivated_user_can_no_longer_log_in(client, login, cast):
    login(cast["ada"]).post(
        reverse("user_edit", args=[cast["bob"].pk]),
        user_form(username="bob", email="bob@example.com", is_active="", password=""),
    )
    client.logout()
    response = client.post(
        reverse("login"), {"username": "bob", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200


def test_an_admin_creates_a_team_and_an_unknown_time_zone_is_refused(login, cast):
    client = login(cast["ada"])
    bad = client.post(
        reverse("team_new"), {"name": "EMEA sales", "kind": "sales", "time_zone": "Mars/Olympus"}
    )
    assert "is not a known time zone" in bad.content.decode()
    assert not Team.objects.filter(name="EMEA sales").exists()
    client.post(
        reverse("team_new"), {"name": "EMEA sales", "kind": "sales", "time_zone": "Europe/Berlin"}
    )
    team = Team.objects.get(name="EMEA sales")
    assert AuditLog.objects.filter(action="team.created", object_id=str(team.pk)).exists()


def test_audit_entries_cannot_be_rewritten(cast):
    from accord.people import audit

    entry = audit.record(cast["ada"], "user.changed", cast["bob"], summary="x")
    entry.summary = "y"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
