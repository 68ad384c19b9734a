"""A deactivated user (a placeholder an import created, someone who left) is alerted of
nothing: the follow-up board counts what they own as nobody's."""

from datetime import UTC, date, datetime

import pytest

from accord.crm.models import Lead, LeadStatusChange
from accord.people.models import Notification, User
from accord.sla import alerts, queries
from accord.sla.models import BusinessCalendar, FollowUpPolicy, TickState

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def policy(db):
    BusinessCalendar.objects.create(team=None, time_zone="UTC", country="")
    return FollowUpPolicy.objects.create(
        name="Every MQL", priority=20, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=["call", "email"],
    )  # fmt: skip


def test_the_board_counts_leads_owned_by_an_inactive_user_as_nobodys(cast, policy, make_lead):
    gone = cast["bob"]
    User.objects.filter(pk=gone.pk).update(is_active=False)
    lead = make_lead("orphan@acme.example", owner="bob", status=Lead.Status.MQL)
    LeadStatusChange.objects.create(
        lead=lead,
        from_status="new",
        to_status="mql",
        changed_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )
    board = queries.board_at(date(2026, 3, 1), date(2026, 3, 20), as_of=NOW)
    # Bob left: his MQL breached with nobody alerted, and the board says it was nobody's.
    assert [(r["rep"], r["due"]) for r in board["reps"]] == [(queries.UNASSIGNED_LABEL, 1)]
    assert queries.evaluate(NOW)["unassigned"] == 1


def test_a_breach_on_a_placeholder_owners_lead_reaches_the_sales_managers(
    cast, policy, make_lead, django_capture_on_commit_callbacks
):
    # An import's placeholder: inactive, in no team, so no manager of theirs would hear.
    pat = User.objects.create(
        username="pat-doe", first_name="Pat", last_name="Doe", is_active=False
    )
    lead = make_lead("pat.lead@acme.example", owner=None, status=Lead.Status.MQL)
    Lead.objects.filter(pk=lead.pk).update(owner=pat)
    mql_at = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday: due at 17:00
    LeadStatusChange.objects.create(
        lead=lead, from_status="new", to_status="mql", changed_at=mql_at
    )
    TickState.objects.create(last_tick_at=datetime(2026, 3, 2, 8, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        breach = alerts.tick(datetime(2026, 3, 2, 17, 1, tzinfo=UTC))
    assert breach["breached"] == 1
    told = Notification.objects.filter(kind="sla.breached")
    assert sorted(n.user.username for n in told) == ["sam"]  # sales' manager, as unassigned
