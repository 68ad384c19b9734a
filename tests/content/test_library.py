"""The library: who may change an asset (through every door), the list's filters, stale and
expired marks, review reminders on a frozen clock, and the API."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accord.content import actions, tasks
from accord.content.models import Asset
from accord.people import tokens
from accord.people.models import AuditLog, Notification

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# Who may change an asset.


def test_the_owner_their_manager_leaders_and_admins_may_edit_but_other_members_and_viewers_not(
    cast, content_team, make_asset
):
    asset = make_asset(owner="mike")  # mike is in marketing
    may = {name for name, user in cast.items() if actions.permissions.can_edit_asset(user, asset)}
    # mona manages marketing (a content manager too); nora manages content.
    assert may == {"ada", "carol", "victor", "mona", "mike", "nora"}


def test_a_member_editing_another_owners_asset_through_the_page_is_refused(
    client, cast, make_asset
):
    asset = make_asset(owner="mike")
    client.force_login(cast["alice"])

    response = client.post(f"/content/{asset.pk}/edit/", {"title": "Mine now", "kind": "deck"})
    published = client.post(f"/content/{asset.pk}/publish/")

    assert response.status_code == 403 and published.status_code == 403
    asset.refresh_from_db()
    assert (asset.title, asset.status) == ("Acme case study", Asset.Status.DRAFT)


def test_a_viewer_reads_the_library_but_changes_nothing(client, cast, make_asset):
    asset = make_asset(owner="mike")
    client.force_login(cast["vera"])
    before = AuditLog.objects.count()

    assert client.get("/content/").status_code == 200
    page = client.get(f"/content/{asset.pk}/")
    assert page.status_code == 200 and "Add a version" not in page.text
    assert client.get("/content/new/").status_code == 403
    for verb in ("edit", "publish", "expire", "archive", "review", "versions"):
        assert client.post(f"/content/{asset.pk}/{verb}/").status_code == 403, verb
    assert AuditLog.objects.count() == before


def test_the_verbs_refuse_the_same_people_whoever_calls_them(cast, make_asset):
    asset = make_asset(owner="mike")
    for name in ("alice", "vera"):
        with pytest.raises(PermissionDenied):
            actions.change_asset(cast[name], asset, title="Taken")
        with pytest.raises(PermissionDenied):
            actions.add_version(cast[name], asset, url="https://evil.example/x.pdf")
    with pytest.raises(PermissionDenied):
        actions.create_asset(cast["alice"], title="A rep's deck", kind="deck")


def test_when_the_owner_leaves_the_managers_of_the_owner_team_answer_for_the_asset(
    cast, content_team, make_asset
):
    asset = make_asset(owner="cole", owner_team=content_team)
    cast["cole"].is_active = False
    cast["cole"].save()
    asset.refresh_from_db()

    assert actions.responsible_people(asset) == [cast["nora"]]


def test_an_owner_edits_the_details_and_the_change_is_in_the_history(client, cast, make_asset):
    asset = make_asset(owner="mike")
    client.force_login(cast["mike"])

    response = client.post(
        f"/content/{asset.pk}/edit/",
        {"title": "Acme case study (2026)", "kind": "case_study", "owner": cast["mike"].pk,
         "stages": ["sql"], "personas": ["economic_buyer", "champion"], "tags": "Robotics, EMEA"},
    )  # fmt: skip

    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.title == "Acme case study (2026)"
    assert asset.tags == ["robotics", "emea"]
    page = client.get(f"/content/{asset.pk}/?tab=history")
    assert "Changed Acme case study (2026)" in page.text


def test_an_unknown_stage_is_refused_with_the_stages_there_are(cast, make_asset):
    asset = make_asset()
    with pytest.raises(actions.ValidationError) as refused:
        actions.change_asset(cast["mike"], asset, stages=["closing"])
    assert "Unknown: closing" in refused.value.message_dict["stages"][0]
    asset.refresh_from_db()
    assert asset.stages == ["mql", "sql"]


# Publishing, reviews, stale and expired.


def test_publishing_sets_the_review_90_days_on_and_marking_reviewed_moves_it_again(
    cast, make_asset
):
    asset = make_asset(status=Asset.Status.PUBLISHED, published_on=date(2026, 3, 2))
    assert asset.review_by == date(2026, 5, 31)

    asset = actions.mark_reviewed(cast["mike"], asset, today=date(2026, 6, 10))

    assert asset.review_by == date(2026, 9, 8)
    assert AuditLog.objects.filter(
        action="content.asset_reviewed", object_id=str(asset.pk)
    ).exists()


def test_an_asset_without_a_file_or_link_cannot_be_published(cast):
    asset = actions.create_asset(cast["mike"], title="Empty", kind="deck")
    with pytest.raises(actions.ValidationError, match="Add a file or a link before publishing"):
        actions.publish(cast["mike"], asset)
    asset.refresh_from_db()
    assert asset.status == Asset.Status.DRAFT


def test_an_asset_not_reviewed_14_days_after_its_date_shows_as_stale_in_the_list_and_on_its_page(
    client, cast, make_asset
):
    asset = make_asset(status=Asset.Status.PUBLISHED, published_on=date(2026, 3, 2))  # due May 31
    client.force_login(cast["alice"])

    with time_machine.travel(noon(date(2026, 6, 14)), tick=False):
        assert "Stale" not in client.get(f"/content/{asset.pk}/").text
        assert "Review overdue" in client.get("/content/").text
    with time_machine.travel(noon(date(2026, 6, 15)), tick=False):
        page = client.get(f"/content/{asset.pk}/").text
        listed = client.get("/content/").text

    assert "Stale:" in page and "its review was due May 31, 2026" in page
    assert '<span class="status status-stale"' in listed


def test_an_expired_asset_is_marked_for_everybody(client, cast, make_asset):
    asset = make_asset(status=Asset.Status.PUBLISHED)
    actions.expire(cast["mike"], asset)
    client.force_login(cast["bob"])

    page = client.get(f"/content/{asset.pk}/").text

    assert "Expired:</strong> this asset is out of date" in page


def test_owners_hear_a_week_before_and_on_the_review_date_once_each(cast, make_asset):
    asset = make_asset(status=Asset.Status.PUBLISHED, published_on=date(2026, 3, 2))  # due May 31

    def reminders():
        return list(Notification.objects.filter(user=cast["mike"]).values_list("kind", flat=True))

    with time_machine.travel(noon(date(2026, 5, 23)), tick=False):
        tasks.remind_reviews.call()
    assert reminders() == []
    with time_machine.travel(noon(date(2026, 5, 24)), tick=False):
        tasks.remind_reviews.call()
        tasks.remind_reviews.call()  # the hourly check again: nothing twice
    assert reminders() == ["content.review_soon"]
    with time_machine.travel(noon(date(2026, 5, 31)), tick=False):
        tasks.remind_reviews.call()
        tasks.remind_reviews.call()
    assert sorted(reminders()) == ["content.review_due", "content.review_soon"]
    due = Notification.objects.get(user=cast["mike"], kind="content.review_due")
    assert due.title == "Acme case study is due for review"
    assert due.url == f"/content/{asset.pk}/"

    # Reviewed: the next reminders are for the new date.
    with time_machine.travel(noon(date(2026, 6, 1)), tick=False):
        actions.mark_reviewed(cast["mike"], asset)
        tasks.remind_reviews.call()
    assert len(reminders()) == 2


# The list.


def test_the_list_filters_by_kind_stage_persona_owner_status_and_overdue_review(
    client, cast, make_asset
):
    deck = make_asset(owner="mona", title="Platform deck", kind="deck", stages=["new"],
                      personas=["executive"])  # fmt: skip
    story = make_asset(owner="mike", title="Acme story", stages=["sql"], personas=["champion"],
                       status=Asset.Status.PUBLISHED, published_on=date(2026, 1, 5))  # fmt: skip
    client.force_login(cast["bob"])

    def titles(**query):
        with time_machine.travel(noon(date(2026, 6, 1)), tick=False):
            response = client.get("/content/", query)
        return [a.title for a in response.context["page"].object_list]

    assert titles(kind="deck") == [deck.title]
    assert titles(stage="sql") == [story.title]
    assert titles(persona="executive") == [deck.title]
    assert titles(owner=cast["mike"].pk) == [story.title]
    assert titles(status="published") == [story.title]
    assert titles(review="overdue") == [story.title]
    assert titles(q="platform") == [deck.title]
    assert titles(sort="title") == ["Acme story", "Platform deck"]
    assert titles(sort="updated") == ["Acme story", "Platform deck"]


def test_an_empty_library_says_what_it_is_for(client, cast):
    client.force_login(cast["mike"])
    page = client.get("/content/").text
    assert "The library is empty." in page and "Add the first asset" in page


def test_the_main_menu_has_the_library(client, cast):
    client.force_login(cast["alice"])
    page = client.get("/notifications/").text
    assert '<a href="/content/" >Content</a>' in page


# The API.


def test_the_api_lists_assets_with_the_pages_filters_and_shows_one_with_its_versions(
    api, cast, make_asset
):
    make_asset(owner="mona", title="Platform deck", kind="deck")
    story = make_asset(owner="mike", title="Acme story")
    actions.add_version(cast["mike"], story, url="https://files.example/v2.pdf", note="new logo")
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]

    listed = api("get", "/assets", token, kind="case_study")
    one = api("get", f"/assets/{story.pk}", token)

    assert listed.status_code == 200
    assert [a["title"] for a in listed.json()["items"]] == ["Acme story"]
    body = one.json()
    assert body["owner_id"] == cast["mike"].pk and body["stale"] is False
    assert [(v["number"], v["url"], v["note"]) for v in body["versions"]] == [
        (2, "https://files.example/v2.pdf", "new logo"),
        (1, "https://files.example/case-study.pdf", "first"),
    ]


def test_the_api_refuses_a_bad_filter_in_json(api, cast, make_asset):
    token = tokens.issue_token(cast["alice"], name="read", scope="read")[1]
    response = api("get", "/assets", token, kind="brochure")
    assert response.status_code == 400
    assert "kind" in response.json()["detail"]
    assert api("get", "/assets/999999", token).status_code == 404


def test_the_api_has_no_door_to_change_an_asset(api, cast, make_asset):
    asset = make_asset(owner="mike")
    token = tokens.issue_token(cast["alice"], name="write", scope="write")[1]

    response = api("patch", f"/assets/{asset.pk}", token, body={"title": "Mine now"})

    assert response.status_code == 405
    asset.refresh_from_db()
    assert asset.title == "Acme case study"


def test_a_content_writer_adds_an_asset_with_its_first_file_from_the_form(
    client, cast, content_team
):
    from .conftest import PDF_BYTES, upload

    client.force_login(cast["cole"])
    assert client.get("/content/new/").status_code == 200

    response = client.post(
        "/content/new/",
        {"title": "ROI one-pager", "kind": "one_pager", "owner": cast["cole"].pk,
         "stages": ["mql"], "personas": ["economic_buyer"], "file": upload("roi.pdf", PDF_BYTES),
         "note": "launch"},
    )  # fmt: skip

    asset = Asset.objects.get(title="ROI one-pager")
    assert response.status_code == 302 and response["Location"] == f"/content/{asset.pk}/"
    assert (asset.status, asset.owner) == (Asset.Status.DRAFT, cast["cole"])
    assert asset.versions.get().file_name == "roi.pdf"
    assert client.get(f"/content/{asset.pk}/edit/").status_code == 200
