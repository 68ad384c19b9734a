"""Service-level settings: follow-up policies and business hours, read by all, kept by few."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accord.people.models import ApiToken, AuditLog, Team
from accord.people.tokens import issue_token
from accord.sla.models import BusinessCalendar, DayOff, FollowUpPolicy

pytestmark = pytest.mark.django_db

NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def every_mql(db):
    return FollowUpPolicy.objects.create(
        name="Every MQL",
        priority=20,
        first_response_hours=Decimal("8"),
        attempts=5,
        attempt_days=10,
        attempt_kinds=["call", "email"],
    )


@pytest.fixture
def sales_hours(teams):
    return BusinessCalendar.objects.create(
        team=teams["sales"], time_zone="America/New_York", week=NINE_TO_FIVE, country="US"
    )


def policy_data(**changes) -> dict:
    """A valid policy as the form posts it; a value of None leaves the field out."""
    data = {
        "name": "Demo requests",
        "priority": "10",
        "active": "on",
        "touch_kind": "demo_request",
        "first_response_hours": "2",
        "attempts": "5",
        "attempt_days": "5",
        "attempt_kinds": ["call", "email"],
        "at_risk_share": "80",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def calendar_data(**changes) -> dict:
    data = {
        "form": "calendar",
        "time_zone": "America/New_York",
        "country": "US",
        "subdivision": "",
        **{day: "09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": "",
        "sun": "",
    }
    data.update(changes)
    return data


def field_error(page: str, name: str) -> str:
    """The error shown next to the field (or group of checkboxes) posted as `name`."""
    for _, block in re.findall(r'<(div|fieldset) class="field[^"]*has-error[^"]*">(.*?)</\1>',
                               page, re.S):  # fmt: skip
        if f'name="{name}"' in block:
            return " ".join(html.unescape(e) for e in re.findall(r'class="error">(.*?)<', block))
    return ""


def form_errors(page: str) -> str:
    return " ".join(html.unescape(e) for e in re.findall(r'class="error form-error">(.*?)<', page))


def post_policy(client, data, policy=None):
    url = reverse("sla:policy_edit", args=[policy.pk]) if policy else reverse("sla:policy_new")
    return client.post(url, data, follow=True)


# --- Who may --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, every_mql, sales_hours):
    day_off = DayOff.objects.create(calendar=sales_hours, date=date(2026, 8, 14), name="Offsite")
    urls = [
        reverse("sla:policies"),
        reverse("sla:policy_new"),
        reverse("sla:policy_edit", args=[every_mql.pk]),
        reverse("sla:calendars"),
        reverse("sla:calendar_edit", args=[sales_hours.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    removed = client.post(reverse("sla:day_off_remove", args=[day_off.pk]))

    assert removed.status_code == 302 and removed.url.startswith(reverse("login"))
    assert DayOff.objects.filter(pk=day_off.pk).exists()


@pytest.mark.parametrize("who", ["alice", "vera", "mona"])
def test_members_viewers_and_other_managers_may_not_change_service_levels(
    login, cast, who, every_mql, sales_hours
):
    day_off = DayOff.objects.create(calendar=sales_hours, date=date(2026, 8, 14), name="Offsite")
    client = login(cast[who])
    new, edit = reverse("sla:policy_new"), reverse("sla:policy_edit", args=[every_mql.pk])
    calendar = reverse("sla:calendar_edit", args=[sales_hours.pk])

    responses = [
        client.get(new),
        client.post(new, policy_data()),
        client.get(edit),
        client.post(edit, policy_data(name="Mine now", priority="20")),
        client.get(calendar),
        client.post(calendar, calendar_data(time_zone="Europe/London")),
        client.post(
            calendar, {"form": "day_off", "day_off-date": "2026-09-01", "day_off-name": "Mine"}
        ),  # fmt: skip
        client.post(reverse("sla:day_off_remove", args=[day_off.pk])),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert "Only admins, leaders and sales ops managers" in responses[0].content.decode()
    assert list(FollowUpPolicy.objects.values_list("name", flat=True)) == ["Every MQL"]
    sales_hours.refresh_from_db()
    assert sales_hours.time_zone == "America/New_York"
    assert list(sales_hours.days_off.values_list("name", flat=True)) == ["Offsite"]
    assert not AuditLog.objects.exists()


def test_a_sales_ops_manager_keeps_the_service_levels(login, cast):
    ops = Team.objects.create(name="Revenue operations", kind=Team.Kind.SALES_OPS)
    cast["mona"].teams.add(ops)

    response = post_policy(login(cast["mona"]), policy_data())

    assert response.status_code == 200
    assert FollowUpPolicy.objects.get().name == "Demo requests"


# --- The list of policies -------------------------------------------------------------------


def test_everybody_reads_the_policies_in_priority_order_and_in_words(
    login, cast, channels, every_mql
):
    FollowUpPolicy.objects.create(
        name="Webinar A and B leads",
        priority=5,
        active=False,
        grades=["A", "B"],
        sources=["webinar", "paid_search"],
        touch_kind="demo_request",
        first_response_hours=Decimal("1.5"),
        attempts=3,
        attempt_days=1,
        attempt_kinds=["call", "linkedin"],
        at_risk_share=Decimal("0.5"),
    )

    page = login(cast["vera"]).get(reverse("sla:policies")).content.decode()

    assert page.index("Webinar A and B leads") < page.index("Every MQL")
    assert (
        "Grades A, B · sources Webinar, Paid search · leads with a Demo request in the 30 days "
        "before MQL"
    ) in page
    assert "1.5 business hours" in page and "3 within 1 business day" in page
    assert "Call, LinkedIn message" in page and "50%" in page and "Paused" in page
    assert "8 business hours" in page and "5 within 10 business days" in page
    assert "Call, Email" in page and "75%" in page and "Active" in page
    assert "the lowest priority number wins" in page and "becomes an MQL" in page
    assert "New policy" not in page
    assert reverse("sla:policy_edit", args=[every_mql.pk]) not in page


def test_an_editor_gets_the_new_policy_button_and_edit_links(login, cast, every_mql):
    page = login(cast["victor"]).get(reverse("sla:policies")).content.decode()

    assert "New policy" in page
    assert reverse("sla:policy_edit", args=[every_mql.pk]) in page


def test_with_no_policies_the_list_says_so(login, cast):
    page = login(cast["ada"]).get(reverse("sla:policies")).content.decode()

    assert "No follow-up policies yet." in page and "Create the first policy" in page


def test_a_policy_name_is_shown_as_text_not_markup(login, cast, every_mql):
    every_mql.name = "<script>alert(1)</script>"
    every_mql.save()

    page = login(cast["vera"]).get(reverse("sla:policies")).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Creating and changing a policy -----------------------------------------------------------


def test_an_admin_creates_a_policy_with_the_share_typed_as_a_percentage(login, cast, channels):
    client = login(cast["ada"])
    assert client.get(reverse("sla:policy_new")).status_code == 200

    response = post_policy(
        client, policy_data(grades=["B", "A"], sources=["webinar"], at_risk_share="80")
    )

    assert response.redirect_chain[-1][0] == reverse("sla:policies")
    assert "Created “Demo requests” (priority 10)." in response.content.decode()
    policy = FollowUpPolicy.objects.get()
    assert (policy.priority, policy.active, policy.grades, policy.sources) == (
        10,
        True,
        ["A", "B"],
        ["webinar"],
    )
    assert (policy.touch_kind, policy.first_response_hours, policy.attempts) == (
        "demo_request",
        Decimal("2"),
        5,
    )
    assert (policy.attempt_days, policy.attempt_kinds) == (5, ["call", "email"])
    assert policy.at_risk_share == Decimal("0.8")
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == (
        "sla.policy.created",
        cast["ada"],
        str(policy.pk),
    )
    assert entry.before is None and entry.after["at_risk_share"] == "0.800"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_response_hours": "0"}, "first_response_hours", "more than 0 business hours"),
        ({"first_response_hours": "-4"}, "first_response_hours", "more than 0 business hours"),
        ({"first_response_hours": "soon"}, "first_response_hours", "Enter a number."),
        ({"attempts": "0"}, "attempts", "At least 1 attempt."),
        ({"attempt_days": "0"}, "attempt_days", "at least 1 business day"),
        ({"at_risk_share": "0"}, "at_risk_share", "between 5% and 99%"),
        ({"at_risk_share": "100"}, "at_risk_share", "between 5% and 99%"),
        ({"attempt_kinds": None}, "attempt_kinds", "Choose at least one kind of follow-up"),
        ({"attempt_kinds": ["call", "note"]}, "attempt_kinds", "'note' does not count"),
        ({"sources": ["webinar", "carrier_pigeon"]}, "sources", "Unknown source 'carrier_pigeon'"),
        ({"grades": ["E"]}, "grades", "Unknown grade 'E'"),
        ({"touch_kind": "smoke_signal"}, "touch_kind", "Unknown touchpoint kind"),
        ({"touch_window_days": "0"}, "touch_window_days", "Look back at least 1 day"),
        ({"touch_window_days": "400"}, "touch_window_days", "Look back at most 365 days"),
        ({"touch_window_days": "a month"}, "touch_window_days", "Enter a whole number."),
        ({"priority": "0"}, "priority", "whole number of 1 or more"),
        ({"priority": "99999999999"}, "priority", "at most 1,000,000"),
        ({"name": "  "}, "name", "This field is required."),
    ],
)
def test_a_policy_that_cannot_work_is_refused_with_the_error_by_its_field(
    login, cast, channels, changes, field, message
):
    response = post_policy(login(cast["ada"]), policy_data(**changes))

    assert response.status_code == 400
    assert message in field_error(response.content.decode(), field)
    assert not FollowUpPolicy.objects.exists()
    assert not AuditLog.objects.exists()


def test_a_taken_priority_names_the_policy_that_has_it(login, cast, every_mql):
    response = post_policy(login(cast["ada"]), policy_data(priority="20"))

    assert response.status_code == 400
    error = field_error(response.content.decode(), "priority")
    assert "Priority 20 is taken by “Every MQL”" in error
    assert FollowUpPolicy.objects.count() == 1


def test_the_form_shows_back_what_was_typed_after_an_error(login, cast, channels):
    response = post_policy(
        login(cast["ada"]), policy_data(attempts="0", sources=["webinar"], at_risk_share="60")
    )

    page = response.content.decode()
    assert 'name="at_risk_share" value="60"' in page
    assert re.search(r'name="sources" value="webinar"[^>]*checked', page)


def test_saving_an_overlapping_policy_warns_who_wins(login, cast, every_mql):
    response = post_policy(login(cast["ada"]), policy_data(name="Demo requests", priority="10"))

    assert (
        "Overlaps with “Every MQL” (priority 20): leads matching both follow "
        "“Demo requests” (priority 10)."
    ) in response.content.decode()


def test_the_winner_of_an_overlap_may_be_the_other_policy(login, cast, every_mql):
    response = post_policy(login(cast["ada"]), policy_data(name="Late catch-all", priority="30"))

    assert (
        "Overlaps with “Every MQL” (priority 20): leads matching both follow "
        "“Every MQL” (priority 20)."
    ) in response.content.decode()


def test_policies_for_different_touchpoints_overlap_because_a_lead_can_have_both(
    login, cast, every_mql
):
    every_mql.touch_kind = "webinar"
    every_mql.save()

    response = post_policy(login(cast["ada"]), policy_data(touch_kind="demo_request"))

    assert "Overlaps with “Every MQL”" in response.content.decode()


def test_policies_for_different_grades_or_a_paused_one_do_not_overlap(login, cast, every_mql):
    every_mql.grades = ["C", "D"]
    every_mql.save()
    client = login(cast["ada"])

    apart = post_policy(client, policy_data(grades=["A", "B"]))
    paused = post_policy(client, policy_data(name="Paused", priority="30", active=None))

    assert "Overlaps" not in apart.content.decode()
    assert "Overlaps" not in paused.content.decode()
    assert FollowUpPolicy.objects.get(name="Paused").active is False


def test_changing_a_policy_records_before_and_after(login, cast, every_mql):
    client = login(cast["victor"])
    form = client.get(reverse("sla:policy_edit", args=[every_mql.pk])).content.decode()
    assert 'name="at_risk_share" value="75"' in form
    assert 'name="first_response_hours" value="8"' in form

    response = post_policy(
        client,
        policy_data(
            name="Every MQL",
            priority="20",
            touch_kind="",
            first_response_hours="4",
            at_risk_share="90",
        ),  # fmt: skip
        every_mql,
    )

    assert "Saved “Every MQL” (priority 20)." in response.content.decode()
    every_mql.refresh_from_db()
    assert (every_mql.first_response_hours, every_mql.at_risk_share) == (
        Decimal("4"),
        Decimal("0.9"),
    )
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor) == ("sla.policy.changed", cast["victor"])
    assert (entry.before["first_response_hours"], entry.after["first_response_hours"]) == (
        "8.00",
        "4.00",
    )
    assert (entry.before["at_risk_share"], entry.after["at_risk_share"]) == ("0.750", "0.900")


def test_an_unknown_policy_is_not_found(login, cast):
    assert login(cast["ada"]).get(reverse("sla:policy_edit", args=[999])).status_code == 404


# --- Business hours -------------------------------------------------------------------------


def post_calendar(client, calendar, data):
    return client.post(reverse("sla:calendar_edit", args=[calendar.pk]), data, follow=True)


def assert_calendar_unchanged(calendar):
    calendar.refresh_from_db()
    assert (calendar.time_zone, calendar.country, calendar.week) == (
        "America/New_York",
        "US",
        NINE_TO_FIVE,
    )
    assert not AuditLog.objects.exists()


def test_the_calendar_form_shows_the_week_as_text(login, cast, sales_hours):
    sales_hours.week = {**NINE_TO_FIVE, "fri": [["09:00", "12:00"], ["13:00", "16:00"]]}
    sales_hours.save()

    page = login(cast["ada"]).get(reverse("sla:calendar_edit", args=[sales_hours.pk]))

    text = page.content.decode()
    assert 'name="mon" value="09:00-17:00"' in text
    assert 'name="fri" value="09:00-12:00, 13:00-16:00"' in text
    assert re.search(r'name="sat"(?![^>]*value=)', text)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"time_zone": "Europe/Londn"}, "time_zone", "Unknown time zone 'Europe/Londn'."),
        ({"country": "XX"}, "country", "Unknown country code 'XX'"),
        ({"country": "XX", "subdivision": "NY"}, "country", "Unknown country code 'XX'"),
        ({"subdivision": "ZZ"}, "subdivision", "Unknown subdivision 'ZZ' for 'US'"),
        ({"mon": "9 to 5"}, "mon", "“9 to 5” is not a span of hours"),
    ],
)
def test_a_calendar_that_cannot_work_is_refused_with_the_error_by_its_field(
    login, cast, sales_hours, changes, field, message
):
    response = post_calendar(login(cast["ada"]), sales_hours, calendar_data(**changes))

    assert response.status_code == 400
    assert message in field_error(response.content.decode(), field)
    assert_calendar_unchanged(sales_hours)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tue": "17:00-09:00"}, "Tuesday: the interval 17:00-09:00 ends at or before it starts"),
        ({"wed": "09:00-13:00, 12:00-17:00"}, "Wednesday: the intervals"),
        ({"thu": "9:00-17:00"}, "Thursday: '9:00' is not a time of day in HH:MM form."),
        (
            {day: "" for day in ("mon", "tue", "wed", "thu", "fri")},
            "The working week has no working hours; open at least one day.",
        ),
    ],
)
def test_a_week_that_cannot_work_is_refused_naming_the_day(
    login, cast, sales_hours, changes, message
):
    response = post_calendar(login(cast["ada"]), sales_hours, calendar_data(**changes))

    assert response.status_code == 400
    assert message in form_errors(response.content.decode())
    assert_calendar_unchanged(sales_hours)


def test_a_valid_calendar_edit_is_saved_and_audited(login, cast, sales_hours):
    data = calendar_data(
        time_zone=" Europe/London ",
        country="gb",
        subdivision="eng",
        fri="09:00-12:00; 13:00-16:00",
        sat="10:00-14:00",
    )

    response = post_calendar(login(cast["ada"]), sales_hours, data)

    assert response.redirect_chain[-1][0] == reverse("sla:calendars")
    assert "Saved the business hours: Sales." in response.content.decode()
    sales_hours.refresh_from_db()
    assert (sales_hours.time_zone, sales_hours.country, sales_hours.subdivision) == (
        "Europe/London",
        "GB",
        "ENG",
    )
    assert sales_hours.week == {
        **NINE_TO_FIVE,
        "fri": [["09:00", "12:00"], ["13:00", "16:00"]],
        "sat": [["10:00", "14:00"]],
    }
    entry = AuditLog.objects.get()
    assert entry.action == "sla.calendar.changed"
    assert (entry.before["time_zone"], entry.after["time_zone"]) == (
        "America/New_York",
        "Europe/London",
    )


def add_day_off(client, calendar, day="2026-08-14", name="Summer offsite"):
    data = {"form": "day_off", "day_off-date": day, "day_off-name": name}
    return post_calendar(client, calendar, data)


def test_days_off_are_added_refused_twice_and_removed(login, cast, sales_hours):
    client = login(cast["ada"])

    added = add_day_off(client, sales_hours)
    twice = add_day_off(client, sales_hours, name="Offsite again")
    nameless = add_day_off(client, sales_hours, day="2026-08-21", name=" ")
    dateless = add_day_off(client, sales_hours, day="", name="Someday")

    assert "Fri 14 Aug 2026 is a day off: Summer offsite." in added.content.decode()
    assert twice.status_code == nameless.status_code == dateless.status_code == 400
    assert "Fri 14 Aug 2026 is already a day off." in field_error(
        twice.content.decode(), "day_off-date"
    )
    assert "Say what the day off is for." in field_error(nameless.content.decode(), "day_off-name")
    assert "This field is required." in field_error(dateless.content.decode(), "day_off-date")
    day_off = sales_hours.days_off.get()
    assert (day_off.date, day_off.name) == (date(2026, 8, 14), "Summer offsite")

    removed = client.post(reverse("sla:day_off_remove", args=[day_off.pk]), follow=True)

    assert removed.redirect_chain[-1][0] == reverse("sla:calendar_edit", args=[sales_hours.pk])
    assert "Fri 14 Aug 2026 is no longer a day off (Summer offsite)." in removed.content.decode()
    assert not sales_hours.days_off.exists()
    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == [
        "sla.day_off.added",
        "sla.day_off.removed",
    ]


def test_removing_a_day_off_takes_a_post_with_the_csrf_token(cast, sales_hours):
    day_off = DayOff.objects.create(calendar=sales_hours, date=date(2026, 8, 14), name="Offsite")
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["ada"])
    url = reverse("sla:day_off_remove", args=[day_off.pk])

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert DayOff.objects.filter(pk=day_off.pk).exists()


def test_the_hours_list_shows_each_calendar_and_its_next_closed_days(login, cast, sales_hours):
    BusinessCalendar.objects.create(
        team=None, time_zone="Europe/Berlin", week={"mon": [["08:00", "12:00"]]}
    )
    sales_hours.week = {**NINE_TO_FIVE, "fri": [["09:00", "12:00"], ["13:00", "16:00"]]}
    sales_hours.save()
    DayOff.objects.create(calendar=sales_hours, date=date(2026, 8, 14), name="Summer offsite")
    DayOff.objects.create(calendar=sales_hours, date=date(2026, 8, 15), name="A Saturday")

    with time_machine.travel("2026-06-20 12:00Z", tick=False):
        page = login(cast["vera"]).get(reverse("sla:calendars")).content.decode()

    assert page.index("Company default") < page.index("America/New_York")
    assert "Mon 08:00–12:00" in page and "none" in page
    assert "Mon–Thu 09:00–17:00 · Fri 09:00–12:00, 13:00–16:00" in page
    closed = re.findall(r"<time[^>]*>([^<]+)</time> ([^<]+)</li>", page)
    assert closed == [
        ("Fri 3 Jul 2026", "Independence Day (observed)"),
        ("Fri 14 Aug 2026", "Summer offsite"),
        ("Mon 7 Sep 2026", "Labor Day"),
        ("Mon 12 Oct 2026", "Columbus Day"),
        ("Wed 11 Nov 2026", "Veterans Day"),
    ]
    assert "clocks run on their sales team's hours" in html.unescape(page)
    assert reverse("sla:calendar_edit", args=[sales_hours.pk]) not in page


def test_an_editor_gets_edit_links_and_a_missing_default_is_pointed_out(login, cast, sales_hours):
    page = login(cast["ada"]).get(reverse("sla:calendars")).content.decode()

    assert reverse("sla:calendar_edit", args=[sales_hours.pk]) in page
    assert "There is no company default" in page


def test_the_touchpoint_window_is_edited_with_the_policy_and_defaults_to_30_days(login, cast):
    client = login(cast["ada"])
    editor = client.get(reverse("sla:policy_new")).content.decode()
    assert "Touchpoint within (days)" in editor and 'name="touch_window_days" value="30"' in editor

    post_policy(client, policy_data(touch_window_days=None))
    assert FollowUpPolicy.objects.get().touch_window_days == 30
    policy = FollowUpPolicy.objects.get()
    response = post_policy(client, policy_data(touch_window_days="14"), policy)
    assert response.status_code == 200
    policy.refresh_from_db()
    assert policy.touch_window_days == 14
    assert "Leads with a Demo request in the 14 days before MQL" in response.content.decode()
    entry = AuditLog.objects.filter(action="sla.policy.changed").get()
    assert (entry.before["touch_window_days"], entry.after["touch_window_days"]) == (30, 14)


def test_the_api_takes_the_touchpoint_window_and_refuses_one_out_of_range(api, cast):
    token = issue_token(cast["ada"], name="w", scope=ApiToken.Scope.WRITE)[1]
    policy = {
        "name": "Demo requests", "priority": 10, "touch_kind": "demo_request",
        "first_response_hours": "1", "attempts": 3, "attempt_days": 3, "attempt_kinds": ["call"],
    }  # fmt: skip
    bad = api("post", "/sla/policies", token, policy | {"touch_window_days": 0})
    assert bad.status_code == 422 and "touch_window_days" in bad.json()["detail"]
    assert not FollowUpPolicy.objects.exists()
    made = api("post", "/sla/policies", token, policy | {"touch_window_days": 45})
    assert made.status_code == 201 and made.json()["touch_window_days"] == 45
    assert FollowUpPolicy.objects.get().touch_window_days == 45
