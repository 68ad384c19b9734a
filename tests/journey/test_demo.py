"""The demo's customer journey, as `accord demo` writes it (the session's small company)."""

from collections import Counter
from datetime import UTC, datetime

from accord.journey import queries
from accord.journey.models import Deliverable, Journey
from tests.factories import SMALL_DEMO_UNTIL


def test_the_demo_signs_a_new_logo_journey_with_done_late_and_one_stuck(small_demo_company):
    journey = Journey.objects.get()
    assert journey.name == f"New-logo journey FY{SMALL_DEMO_UNTIL.year}"
    signed = journey.in_force
    assert sorted(a.user.username for a in signed.approvals.all()) == ["cmo", "vp.sales"]
    teams = set(journey.stages.values_list("team__name", flat=True))
    assert teams == {"Marketing", "Content", "Sales development", "Sales"}
    day = datetime.combine(SMALL_DEMO_UNTIL, datetime.min.time(), tzinfo=UTC).replace(hour=16)
    found = queries.rows(queries.deliverables().filter(stage__journey=journey), day)
    statuses = Counter(row.status for row in found)
    assert len(found) == 30
    assert statuses["done"] >= 10 and statuses["late"] >= 2 and statuses["stuck"] == 1
    assert all(row.owner is not None for row in found)
    assert Deliverable.objects.filter(anchor="deliverable").count() >= 3


def test_the_demo_plans_goals_are_measured_and_their_status_worked_out(small_demo_company):
    from accord.journey.models import GoalMeasure
    from accord.plan import goals
    from accord.plan.models import Plan

    plan = Plan.objects.get(fiscal_year=SMALL_DEMO_UNTIL.year)
    kinds = dict(GoalMeasure.objects.filter(plan=plan).values_list("stage", "kind"))
    assert kinds == {"mql": "funnel", "won": "funnel", "sql": "deliverable", "sal": "deliverable"}
    day = datetime.combine(SMALL_DEMO_UNTIL, datetime.min.time(), tzinfo=UTC).replace(hour=16)
    found = goals.statuses(plan.in_force, day)
    # The stuck one-pager measures the SQL goal, due 30 November: at risk until then.
    assert (found["sql"].status, found["sql"].detail) == ("at_risk", "Stuck, due 18 Feb")
    assert found["sql"].measure == "Competitor comparison one-pager done by 30 Nov " + str(
        SMALL_DEMO_UNTIL.year
    )
    assert {s.status for s in found.values()} <= {"met", "on_track", "at_risk", "missed"}


def test_a_demo_built_in_the_morning_dates_nothing_after_now():
    """The demo's last day ends at 15:00 and 16:00 for completions and alerts; built before
    then, they are dated now instead of hours from now."""
    from datetime import timedelta

    from django.utils import timezone

    from accord.demo import journey as journey_demo

    later = timezone.now() + timedelta(hours=4)
    earlier = timezone.now() - timedelta(days=3)
    assert journey_demo._not_after_now(later) <= timezone.now()
    assert journey_demo._not_after_now(earlier) == earlier


def test_the_scoreboards_kept_late_list_takes_in_a_date_passing_with_nothing_written(
    small_demo_company,
):
    """The scoreboard keeps its late deliverables; a deliverable that falls due while
    nothing is written joins them when its day has passed, as the from-scratch list says."""
    from datetime import time, timedelta

    import time_machine
    from django.core.cache import caches
    from django.utils import timezone

    caches["figures"].clear()
    coming = Deliverable.objects.filter(completed_at=None).order_by("due_on").last()
    before = timezone.make_aware(datetime.combine(coming.due_on - timedelta(days=1), time(12)))
    after = timezone.make_aware(datetime.combine(coming.due_on + timedelta(days=3), time(12)))
    with time_machine.travel(before, tick=False):
        assert coming not in [r.deliverable for r in queries.kept_late_deliverables().value]
    with time_machine.travel(after, tick=False):
        kept = queries.kept_late_deliverables().value
        assert kept == queries.late_deliverables()
        assert coming in [r.deliverable for r in kept]
