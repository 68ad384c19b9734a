"""Due dates in business days from anchors, re-anchoring, and the refusals of bad input."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.analytics import journey as clock
from accord.analytics.business_hours import DEFAULT_WEEK, Calendar
from accord.journey import actions
from accord.journey.models import Deliverable
from accord.people.models import AuditLog, Notification
from accord.sla.models import BusinessCalendar

Anchor = Deliverable.Anchor


def test_business_days_skip_weekends_and_holidays_both_ways():
    calendar = Calendar.build("America/New_York", DEFAULT_WEEK, country="US")
    # Friday 3 July 2026 is the observed Independence Day holiday.
    assert clock.shift(calendar, date(2026, 7, 6), -1) == date(2026, 7, 2)
    assert clock.shift(calendar, date(2026, 7, 2), 1) == date(2026, 7, 6)
    assert clock.shift(calendar, date(2026, 7, 4), 0) == date(2026, 7, 6)  # a Saturday
    assert clock.working_days_between(calendar, date(2026, 7, 2), date(2026, 7, 6)) == 1


def test_ten_business_days_before_a_launch(cast, stages, campaign):
    d = actions.add_deliverable(
        cast["mona"], stages["Awareness"], title="Launch brief", anchor=Anchor.CAMPAIGN,
        anchor_campaign=campaign, offset_days=-10,
    )  # fmt: skip
    # Monday 16 March less ten business days: Monday 2 March.
    assert d.due_on == date(2026, 3, 2)


def test_an_offset_follows_the_teams_own_calendar(cast, teams, stages, campaign):
    sales_calendar = BusinessCalendar.objects.create(
        team=teams["sales"], time_zone="UTC", week={"mon": [["09:00", "17:00"]]}
    )
    d = actions.add_deliverable(
        cast["mona"], stages["Evaluation"], title="Call list", anchor=Anchor.CAMPAIGN,
        anchor_campaign=campaign, offset_days=2,
    )  # fmt: skip
    assert sales_calendar.team_id and d.due_on == date(2026, 3, 30)  # two Mondays on


def test_moving_a_launch_moves_open_dependents_and_leaves_done_ones(cast, stages, campaign):
    mona = cast["mona"]
    brief = actions.add_deliverable(
        mona, stages["Awareness"], title="Launch brief", anchor=Anchor.CAMPAIGN,
        anchor_campaign=campaign, offset_days=-5,
    )  # fmt: skip
    deck = actions.add_deliverable(
        mona, stages["Awareness"], title="Launch deck", anchor=Anchor.DELIVERABLE,
        anchor_deliverable=brief, offset_days=3,
    )  # fmt: skip
    landing = actions.add_deliverable(
        mona, stages["Awareness"], title="Landing page", anchor=Anchor.CAMPAIGN,
        anchor_campaign=campaign, offset_days=-1,
    )  # fmt: skip
    assert (brief.due_on, deck.due_on, landing.due_on) == (
        date(2026, 3, 9),
        date(2026, 3, 12),
        date(2026, 3, 13),
    )
    actions.complete(cast["mike"], landing)

    moved = actions.move_campaign_launch(mona, campaign, date(2026, 3, 23))

    assert {(m.deliverable.title, m.was, m.now) for m in moved} == {
        ("Launch brief", date(2026, 3, 9), date(2026, 3, 16)),
        ("Launch deck", date(2026, 3, 12), date(2026, 3, 19)),
    }
    landing.refresh_from_db()
    assert landing.due_on == date(2026, 3, 13)  # done: it stays where it was
    told = Notification.objects.filter(user=cast["mike"], kind="journey.moved")
    assert sorted(n.title for n in told) == [
        "Launch brief is now due Mon 16 Mar",
        "Launch deck is now due Thu 19 Mar",
    ]
    log = AuditLog.objects.get(action="journey.campaign_moved")
    assert "moved 2" in log.summary and "Launch deck" in log.summary


def test_completing_early_moves_what_follows_its_completion(cast, stages, clock):
    mona = cast["mona"]
    brief = actions.add_deliverable(
        mona, stages["Awareness"], title="Brief", anchor=Anchor.FIXED, fixed_on=date(2026, 3, 20)
    )
    deck = actions.add_deliverable(
        mona, stages["Awareness"], title="Deck", anchor=Anchor.DELIVERABLE,
        anchor_deliverable=brief, offset_days=2,
    )  # fmt: skip
    assert deck.due_on == date(2026, 3, 24)
    _, moved = actions.complete(cast["mike"], brief)  # done on Monday 2 March
    assert [(m.deliverable.title, m.now) for m in moved] == [("Deck", date(2026, 3, 4))]


def test_a_circle_of_anchors_is_refused_and_nothing_changes(cast, stages):
    mona = cast["mona"]
    a = actions.add_deliverable(
        mona, stages["Awareness"], title="A", anchor=Anchor.FIXED, fixed_on=date(2026, 4, 1)
    )
    b = actions.add_deliverable(
        mona, stages["Awareness"], title="B", anchor=Anchor.DELIVERABLE, anchor_deliverable=a,
        offset_days=1,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        actions.edit_deliverable(mona, a, anchor=Anchor.DELIVERABLE, anchor_deliverable=b)
    assert refused.value.message_dict["anchor_deliverable"] == [
        "The anchors would go round in a circle: A → B → A."
    ]
    a.refresh_from_db()
    assert (a.anchor, a.due_on) == (Anchor.FIXED, date(2026, 4, 1))


def test_bad_input_names_the_field_and_stores_nothing(cast, teams, journey, stages, campaign):
    mona = cast["mona"]
    before = Deliverable.objects.count()

    def refusal(**values):
        with pytest.raises(ValidationError) as refused:
            actions.add_deliverable(mona, stages["Awareness"], title="X", **values)
        return refused.value.message_dict

    assert refusal(anchor=Anchor.CAMPAIGN, anchor_campaign=campaign, offset_days=-20) == {
        "offset_days": ["It would be due Mon 16 Feb 2026, before the journey starts on "
                        "Mon 02 Mar 2026."]
    }  # fmt: skip
    assert refusal(anchor=Anchor.FIXED, fixed_on=date(2026, 3, 1)) == {
        "fixed_on": ["It would be due Sun 01 Mar 2026, before the journey starts on "
                     "Mon 02 Mar 2026."]
    }  # fmt: skip
    actions.edit_journey(mona, journey, starts_on=date(2026, 2, 2))
    assert (
        "which has passed"
        in refusal(anchor=Anchor.FIXED, fixed_on=date(2026, 2, 27))["fixed_on"][0]
    )
    assert refusal(anchor=Anchor.FIXED, fixed_on=date(2026, 4, 1), owner_role="CMO") == {
        "owner_role": ["Marketing has no role 'CMO'; its roles are: Product marketing manager."]
    }
    assert set(refusal(anchor=Anchor.CAMPAIGN)) == {"anchor_campaign"}
    with pytest.raises(ValidationError) as refused:
        actions.add_stage(
            mona, journey, name="Purchase", team=teams["sales"], role="Closer",
            funnel_step="opp_lost",
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"role", "funnel_step"}
    assert "Sales has no role 'Closer'" in refused.value.message_dict["role"][0]
    assert Deliverable.objects.count() == before
    assert journey.stages.count() == 2


def test_a_member_may_not_map_a_journey(cast, journey, stages):
    with pytest.raises(PermissionDenied):
        actions.add_deliverable(
            cast["alice"], stages["Evaluation"], title="Mine", anchor=Anchor.FIXED,
            fixed_on=date(2026, 4, 1),
        )  # fmt: skip


def test_a_copy_for_next_year_re_anchors_its_dates_on_the_new_start(cast, stages, campaign):
    mona = cast["mona"]
    brief = actions.add_deliverable(
        mona, stages["Awareness"], title="Launch brief", anchor=Anchor.CAMPAIGN,
        anchor_campaign=campaign, offset_days=-5,
    )  # fmt: skip
    actions.add_deliverable(
        mona, stages["Awareness"], title="Deck", anchor=Anchor.DELIVERABLE,
        anchor_deliverable=brief, offset_days=3,
    )  # fmt: skip
    actions.add_deliverable(
        mona, stages["Evaluation"], title="Review", anchor=Anchor.FIXED, fixed_on=date(2026, 4, 1)
    )
    journey = stages["Awareness"].journey
    copy = actions.copy_journey(mona, journey, name="New-logo journey FY2027",
                                starts_on=date(2027, 3, 1))  # fmt: skip

    assert [s.name for s in copy.stages.all()] == ["Awareness", "Evaluation"]
    due = {d.title: d for d in Deliverable.objects.filter(stage__journey=copy)}
    # The spring launch is last year's: the brief keeps its 5 business days from the start.
    assert (due["Launch brief"].anchor, due["Launch brief"].due_on) == (
        Anchor.JOURNEY_START,
        date(2027, 3, 8),
    )
    assert due["Deck"].anchor_deliverable == due["Launch brief"]
    assert due["Deck"].due_on == date(2027, 3, 11)
    assert due["Review"].due_on == date(2027, 3, 31)  # moved as far as the start did
    assert copy.revision.status == "draft" and copy.based_on == journey


def test_a_stage_is_edited_and_moved_in_the_order(cast, teams, journey, stages, login):
    client = login(cast["mona"])
    evaluation = stages["Evaluation"]
    response = client.post(
        f"/journeys/stages/{evaluation.pk}/edit/",
        {"name": "Evaluation", "team": teams["sales"].pk, "role": "Account executive",
         "funnel_step": "sql_opp", "entry_criteria": "", "exit_criteria": "", "order": 1},
    )  # fmt: skip
    assert response.status_code == 302
    assert [(s.name, s.role) for s in journey.stages.all()] == [
        ("Evaluation", "Account executive"), ("Awareness", "Product marketing manager")
    ]  # fmt: skip
    refused = client.post(
        f"/journeys/stages/{evaluation.pk}/edit/",
        {"name": "Evaluation", "team": teams["marketing"].pk, "role": "Account executive",
         "funnel_step": "sql_opp", "order": 1},
    )  # fmt: skip
    assert "Marketing has no role &#x27;Account executive&#x27;" in refused.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.team == teams["sales"]
