"""One spelling per username: NFKC, case-folded, whichever door creates or renames the user."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accord.people import actions
from accord.people.models import AuditLog, User, normal_username
from tests.factories import create_person


def test_the_normal_form_folds_width_style_and_case():
    for spelling in ("ｗｒｉｔｅｒ", "𝐰𝐫𝐢𝐭𝐞𝐫", "ⓦⓡⓘⓣⓔⓡ", "WRITER", "Writer", "ＷＲＩＴＥＲ"):
        assert normal_username(spelling) == "writer"
    assert normal_username("Straße") == "strasse"


@given(st.text())
def test_the_normal_form_is_stable(value):
    assert normal_username(normal_username(value)) == normal_username(value)


def user_form(**overrides):
    return {
        "username": "nina",
        "first_name": "Nina",
        "email": "nina@example.com",
        "role": "member",
        "is_active": "on",
        "password": "a-long-enough-pass-99",
        **overrides,
    }


@pytest.mark.django_db
def test_the_people_page_stores_the_normal_spelling(login, cast):
    client = login(cast["ada"])
    assert client.post(reverse("user_new"), user_form(username="Ｎｉｎａ")).status_code == 302
    assert User.objects.filter(username="nina").exists()


@pytest.mark.django_db
def test_the_people_page_refuses_another_spelling_of_an_existing_name(login, cast):
    client = login(cast["ada"])
    response = client.post(reverse("user_new"), user_form(username="ⒶⓁⒾⒸⒺ"))
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.count() == len(cast)


@pytest.mark.django_db
def test_renaming_on_the_people_page_stores_the_normal_spelling(login, cast):
    bob = cast["bob"]
    data = user_form(username="Bobby", email="bob@example.com", password="")
    assert login(cast["ada"]).post(reverse("user_edit", args=[bob.pk]), data).status_code == 302
    bob.refresh_from_db()
    assert bob.username == "bobby"


@pytest.mark.django_db
def test_the_create_verb_refuses_a_clash_by_field(cast):
    with pytest.raises(ValidationError) as refused:
        actions.create_user(cast["ada"], password="x", username="ＡＤＡ", email="a2@example.com")
    assert "username" in refused.value.message_dict
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_the_update_verb_refuses_a_rename_onto_another_spelling(cast):
    bob = User.objects.get(username="bob")
    with pytest.raises(ValidationError) as refused:
        actions.update_user(cast["ada"], bob, username="Alice")
    assert "username" in refused.value.message_dict
    assert User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_the_update_verb_stores_the_normal_spelling(cast):
    bob = User.objects.get(username="bob")
    actions.update_user(cast["ada"], bob, username="ＲＯＢＥＲＴ")
    assert User.objects.get(pk=bob.pk).username == "robert"


@pytest.mark.django_db
def test_accord_createuser_stores_the_normal_spelling(teams, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a-long-enough-pass-99")
    out = StringIO()
    call_command(
        "createuser", "ＷＲＩＴＥＲ", email="w@example.com", password_env="NEW_PASSWORD", stdout=out
    )
    assert "Created writer" in out.getvalue()
    assert User.objects.filter(username="writer").exists()


@pytest.mark.django_db
def test_accord_createuser_refuses_another_spelling_of_an_existing_name(cast, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "a-long-enough-pass-99")
    with pytest.raises(CommandError, match="A user named 'alice' already exists"):
        call_command("createuser", "𝐀𝐥𝐢𝐜𝐞", email="a2@example.com", password_env="NEW_PASSWORD")


@pytest.mark.django_db
def test_a_user_created_by_any_other_code_is_stored_in_normal_form(db):
    assert User.objects.create(username="Ｍａｒｋｅｔｅｒ").username == "marketer"


def test_the_demo_company_users_are_written_in_normal_form():
    from accord.demo.company import PEOPLE

    assert all(normal_username(person.username) == person.username for person in PEOPLE)


# Users stored before usernames were normalised

normalise_migration = importlib.import_module("accord.people.migrations.0005_normal_usernames")


def store_as_is(username):
    """A user as an earlier Accord stored them: the spelling typed, not the normal form."""
    user = create_person("placeholder", User.Role.MEMBER)
    User.objects.filter(pk=user.pk).update(username=username, email=f"{user.pk}@example.com")
    return user


@pytest.mark.django_db
def test_the_migration_normalises_existing_usernames_and_audits_it(db):
    old = store_as_is("Ｗｒｉｔｅｒ")
    normalise_migration.normalise_usernames(apps, None)
    assert User.objects.get(pk=old.pk).username == "writer"
    entry = AuditLog.objects.get(action="user.renamed")
    assert (entry.before, entry.after) == ({"username": "Ｗｒｉｔｅｒ"}, {"username": "writer"})


@pytest.mark.django_db
def test_the_migration_refuses_clashes_and_names_them(db):
    first = store_as_is("Writer")
    second = store_as_is("ＷＲＩＴＥＲ")
    with pytest.raises(CommandError) as refused:
        normalise_migration.normalise_usernames(apps, None)
    message = str(refused.value)
    assert "'Writer'" in message and "'ＷＲＩＴＥＲ'" in message and "writer" in message
    assert f"#{first.pk}" in message and f"#{second.pk}" in message
    assert User.objects.get(pk=first.pk).username == "Writer", "nothing renamed"
