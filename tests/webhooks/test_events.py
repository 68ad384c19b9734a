"""The outbox: each verb records the event it makes happen, in its own transaction, with a
small stable payload; the bulk writers record thousands in a statement or two."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core import events
from accord.core.models import Event
from accord.crm import actions as crm
from accord.crm.models import Lead, LeadStatusChange, Opportunity, Touchpoint
from accord.imports.actions import upsert_items
from accord.imports.items import Options
from accord.plan import actions as plans
from accord.qualify import actions as definitions
from accord.qualify import reviews
from accord.qualify.models import RejectionReason
from accord.sla import alerts
from accord.sla.models import BusinessCalendar, FollowUpPolicy, TickState
from tests.factories import T0


def recorded(kind=None) -> list[dict]:
    found = Event.objects.order_by("id")
    if kind:
        found = found.filter(kind=kind)
    return [e.payload for e in found]


def inserts_into_events(queries) -> int:
    # An executemany is logged once, as "N times: INSERT ...".
    return sum(1 for q in queries if 'INSERT INTO "core_event"' in q["sql"])


# --- Leads --------------------------------------------------------------------------------------


def test_a_lead_moved_on_its_page_records_mql_accepted_and_rejected_but_not_other_moves(
    make_lead, cast
):
    lead = make_lead("ann@acme.example", owner="alice")
    crm.change_lead_status(lead, "mql", actor=cast["alice"])
    crm.change_lead_status(lead, "sql", actor=cast["alice"])  # announces nothing
    crm.change_lead_status(lead, "rejected", actor=cast["alice"], reason="Wrong country")
    other = make_lead("bo@acme.example", owner="alice")
    crm.change_lead_status(other, "accepted", actor=cast["alice"])

    assert [e.kind for e in Event.objects.order_by("id")] == [
        "lead.mql",
        "lead.rejected",
        "lead.accepted",
    ]
    assert recorded("lead.rejected") == [
        {
            "lead_id": lead.pk,
            "from_status": "sql",
            "to_status": "rejected",
            "owner_id": cast["alice"].pk,
            "reason": "Wrong country",
        }
    ]
    assert Event.objects.get(kind="lead.mql").published_at is None  # until it is published


def test_sales_review_records_accepted_and_rejected_with_the_reason(make_lead, cast):
    assert RejectionReason.objects.filter(key="no-budget", label="No budget").exists()
    accepted = make_lead("ann@acme.example", owner="alice", status="mql")
    rejected = make_lead("bo@acme.example", owner="alice", status="mql")
    reviews.accept_lead(accepted, actor=cast["alice"])
    reviews.reject_lead(rejected, actor=cast["alice"], reason="no-budget")

    assert recorded("lead.accepted") == [
        {
            "lead_id": accepted.pk,
            "from_status": "mql",
            "to_status": "accepted",
            "owner_id": cast["alice"].pk,
            "reason": "Accepted by sales",
        }
    ]
    assert recorded("lead.rejected") == [
        {
            "lead_id": rejected.pk,
            "from_status": "mql",
            "to_status": "recycled",  # back to nurture
            "owner_id": cast["alice"].pk,
            "reason": "Rejected by sales: No budget",
            "rejection_reason": "no-budget",
        }
    ]


def test_activating_a_definition_records_its_activation_and_every_promotion_in_one_insert(
    make_lead, cast, channels
):
    content = {
        "name": "Demo requests",
        "rules": [{"type": "engagement", "touch_kind": "demo_request", "points": 50}],
        "grade_thresholds": {"A": 60, "B": 30, "C": 10},
        "mql_grades": ["A", "B", "C", "D"],
        "mql_min_score": 40,
    }
    hot = [make_lead(f"hot{i}@acme.example", owner="bob") for i in range(3)]
    make_lead("cold@acme.example")
    for lead in hot:
        Touchpoint.objects.create(
            lead=lead, channel=channels["webinar"], kind="demo_request", occurred_at=T0
        )
    definition = definitions.create_definition(cast["mona"], content)
    definitions.propose(cast["mona"], definition)
    definitions.approve(cast["carol"], definition)
    definitions.approve(cast["victor"], definition)

    with CaptureQueriesContext(connection) as queries:
        run = definitions.activate(cast["sam"], definition)

    assert run.promoted == 3
    assert inserts_into_events(queries) == 2  # the promotions at once, then the activation
    promoted = sorted(recorded("lead.mql"), key=lambda p: p["lead_id"])
    assert promoted == [
        {
            "lead_id": lead.pk,
            "from_status": "new",
            "to_status": "mql",
            "owner_id": cast["bob"].pk,
            "reason": "Met lead definition v1",
            "fit_grade": "D",
            "score": 50,
        }
        for lead in hot
    ]
    assert recorded("lead_definition.activated") == [
        {
            "definition_id": definition.pk,
            "version": 1,
            "name": "Demo requests",
            "previous_version": None,
            "leads_scored": 4,
            "promoted": 3,
        }
    ]


# --- Follow-up alerts -----------------------------------------------------------------------


def test_the_tick_records_at_risk_then_breached_once_each(make_lead, cast):
    ny = ZoneInfo("America/New_York")
    BusinessCalendar.objects.create(
        team=None,
        time_zone="America/New_York",
        week={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        country="US",
    )
    policy = FollowUpPolicy.objects.create(
        name="Every MQL", priority=20, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=["call"],
    )  # fmt: skip
    mql_at = datetime(2026, 3, 2, 9, 0, tzinfo=ny)
    lead = make_lead("alert@acme.example", owner="alice", status="mql")
    Lead.objects.filter(pk=lead.pk).update(created_at=mql_at - timedelta(days=3))
    LeadStatusChange.objects.create(
        lead=lead, from_status="new", to_status="mql", changed_at=mql_at
    )
    TickState.objects.create(last_tick_at=datetime(2026, 3, 2, 8, 0, tzinfo=ny))

    alerts.tick(datetime(2026, 3, 2, 15, 1, tzinfo=ny))  # 75% of the first response's 8 hours
    alerts.tick(datetime(2026, 3, 2, 15, 2, tzinfo=ny))  # nothing new
    alerts.tick(datetime(2026, 3, 2, 17, 1, tzinfo=ny))  # due at 17:00

    assert [e.kind for e in Event.objects.order_by("id")] == [
        "follow_up.at_risk",
        "follow_up.breached",
    ]
    assert recorded("follow_up.breached") == [
        {
            "lead_id": lead.pk,
            "owner_id": cast["alice"].pk,
            "policy_id": policy.pk,
            "clock": "first_response",
            "mql_at": "2026-03-02T14:00:00Z",
            "due_at": "2026-03-02T22:00:00Z",
        }
    ]


# --- Plans ---------------------------------------------------------------------------------------


def test_a_plan_is_announced_signed_only_once_both_teams_approved(cast):
    plan = plans.create_plan(
        cast["mona"],
        name="FY2027",
        fiscal_year=2027,
        first_month=1,
        values=plans.PlanValues(
            target=Decimal("1000000"),
            asp=Decimal("50000"),
            rates={
                s: Decimal("0.5") for s in ("lead_mql", "mql_sal", "sal_sql", "sql_opp", "opp_won")
            },
            lags={},
            basis={},
            shares={"marketing": Decimal("1")},
            seasonality=[Decimal(1)] * 12,
        ),
    )
    plans.approve(cast["carol"], plan.current)
    assert not Event.objects.exists()
    plans.approve(cast["victor"], plan.current)

    (signed,) = recorded("plan.signed")
    assert signed["plan_id"] == plan.pk and signed["revision"] == 1
    assert (signed["name"], signed["starts"], signed["target"]) == (
        "FY2027",
        "2027-01",
        "1000000.00",
    )


# --- Imports and the bulk API ---------------------------------------------------------------


def test_an_import_records_lead_moves_set_based(cast, channels):
    items = [
        {"email": f"p{i}@x.example", "status": "mql" if i % 2 else "new", "owner": "alice"}
        for i in range(40)
    ]
    with CaptureQueriesContext(connection) as queries:
        upsert_items("leads", enumerate(items), Options(source_system="crm", actor=cast["otto"]))
    # One executemany for the batch (a COPY, not logged, on PostgreSQL), never one per row.
    assert inserts_into_events(queries) <= 1
    assert len(recorded("lead.mql")) == 20
    first = Lead.objects.get(email="p1@x.example")
    assert recorded("lead.mql")[0] == {
        "lead_id": first.pk,
        "from_status": "",
        "to_status": "mql",
        "owner_id": cast["alice"].pk,
        "reason": "import",
    }

    moved = [{"email": "p1@x.example", "status": "rejected", "status_reason": "Student"}]
    upsert_items("leads", enumerate(moved), Options(source_system="crm", actor=cast["otto"]))
    assert recorded("lead.rejected")[0]["reason"] == "Student (import)"


def test_an_import_records_deals_created_won_and_lost(cast, acme):
    def deal(name, stage):
        return {"external_id": name, "name": name, "account": "Acme Robotics",
                "amount": "12000", "stage": stage, "created_at": "2026-02-01T10:00:00Z"}  # fmt: skip

    options = Options(source_system="crm", actor=cast["otto"])
    upsert_items("opportunities", enumerate([deal("a", "demo"), deal("b", "won")]), options)
    upsert_items("opportunities", enumerate([deal("a", "lost")]), options)

    a, b = Opportunity.objects.get(name="a"), Opportunity.objects.get(name="b")
    assert [(e.kind, e.payload["opportunity_id"]) for e in Event.objects.order_by("id")] == [
        ("opportunity.created", a.pk),
        ("opportunity.created", b.pk),
        ("opportunity.won", b.pk),  # imported already won: it was won
        ("opportunity.lost", a.pk),
    ]
    assert recorded("opportunity.lost") == [
        {
            "opportunity_id": a.pk,
            "account_id": acme.pk,
            "primary_lead_id": None,
            "owner_id": None,
            "from_stage": "demo",
            "stage": "lost",
            "amount": "12000.00",
            "close_date": "2026-05-02",
        }
    ]


def test_a_dry_run_import_records_nothing(cast, acme):
    items = [{"email": "p@x.example", "status": "mql"}]
    upsert_items("leads", enumerate(items), Options(source_system="crm"), dry_run=True)
    assert not Event.objects.exists()


# --- Publishing -------------------------------------------------------------------------------


def test_events_nobody_listens_to_are_published_unread_and_pruned_later(db):
    at = datetime(2026, 3, 2, tzinfo=UTC)
    events.record_many([(events.Kind.LEAD_MQL, {"lead_id": i}) for i in range(3)], at=at)
    assert events.publish_pending() == 0  # handed to nobody
    assert not Event.objects.filter(published_at=None).exists()
    assert events.prune(timedelta(days=30), now=at + timedelta(days=31)) == 3


@pytest.mark.parametrize("kind", events.Kind.values)
def test_every_kind_has_a_label_to_tick(kind):
    assert events.Kind(kind).label
