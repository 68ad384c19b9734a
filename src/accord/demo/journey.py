"""The demo's customer journey: "New-logo journey FY<year>", signed by the CMO and the VP of
Sales, with five stages across marketing, content, SDR and sales and thirty deliverables,
most of them anchored to the demo's campaigns (launches, webinars, events) or to each other.

Each deliverable is described by when it should fall due, in business days from the demo's
last day (negative: in the past); its offset from its anchor is worked out from that, so the
board always shows the same picture whatever day the demo is built: the year's work done
(a few of it late), some late items, one stuck, some at risk, on track or not started.
Everything goes through the journey's verbs, so the demo passes the same checks as anybody.
"""

from datetime import UTC, date, datetime, time

from django.utils import timezone

from accord.analytics import journey as clock
from accord.calculators.models import Calculator
from accord.content.models import Asset
from accord.crm.models import Campaign
from accord.journey import actions, escalation, schedule
from accord.journey.models import Deliverable
from accord.people.models import Team, User
from accord.plan.models import Plan

Anchor = Deliverable.Anchor
K = Campaign.Kind

ROLES = (
    ("Marketing", "Demand gen manager", "marketing.manager"),
    ("Marketing", "Field marketing manager", "olivia.chen"),
    ("Marketing", "Paid media specialist", "samuel.adeyemi"),
    ("Content", "Content manager", "content.manager"),
    ("Content", "Content writer", "writer"),
    ("Sales development", "SDR manager", "sdr.manager"),
    ("Sales development", "SDR", "sdr"),
    ("Sales", "Sales manager", "sales.manager"),
    ("Sales", "Account executive", "rep"),
)

STAGES = (
    ("Awareness", "Marketing", "Demand gen manager", "lead_mql",
     "In the target segment, not yet engaged", "Became an MQL"),
    ("Consideration", "Content", "Content manager", "lead_mql",
     "Engaged with a campaign", "Read a buyer's guide or case study"),
    ("Qualification", "Sales development", "SDR manager", "mql_sal",
     "MQL routed to an SDR", "Accepted by sales"),
    ("Evaluation", "Sales", "Sales manager", "sal_sql",
     "Accepted lead with a discovery call booked", "Qualified: need, budget, timing"),
    ("Purchase", "Sales", "Account executive", "sql_opp",
     "Qualified opportunity", "Proposal out, paperwork started"),
)  # fmt: skip

# (stage, title, owner role ("" = the stage's), anchor, due in business days from the last
# day, work days, done: None open / 0 on time / n business days late, link)
# The anchor: ("campaign", kind) the latest such launch by the due date; ("after", title) a
# deliverable above; ("start",) the journey's start; ("month",) the due date's plan month.
ITEMS = (
    ("Awareness", "Launch messaging brief", "", ("campaign", K.LAUNCH), -200, 10, 0, None),
    ("Awareness", "Paid social creative for the launch", "Paid media specialist",
     ("after", "Launch messaging brief"), -190, 8, 0, None),
    ("Awareness", "Spring event invitations", "Field marketing manager", ("campaign", K.EVENT),
     -150, 10, 2, None),
    ("Awareness", "Autumn webinar promotion plan", "", ("campaign", K.WEBINAR), -60, 8, 0, None),
    ("Awareness", "Year-end webinar promotion", "", ("campaign", K.WEBINAR), -3, 8, None, None),
    ("Awareness", "Q1 paid media plan", "Paid media specialist", ("start",), 14, 5, None, None),
    ("Consideration", "Buyer's guide refresh", "Content writer", ("month",), -170, 15, 0, "asset"),
    ("Consideration", "Manufacturing case study", "Content writer", ("campaign", K.EVENT), -120,
     15, 0, "asset"),
    ("Consideration", "ROI calculator page copy", "", ("start",), -90, 10, 3, "calculator"),
    ("Consideration", "Competitor comparison one-pager", "Content writer",
     ("campaign", K.WEBINAR), -8, 10, None, None),
    ("Consideration", "Webinar recap posts", "Content writer",
     ("after", "Year-end webinar promotion"), 4, 6, None, None),
    ("Consideration", "Q1 nurture emails", "", ("start",), 16, 5, None, None),
    ("Qualification", "Call scripts for the launch", "", ("campaign", K.LAUNCH), -195, 5, 0,
     None),
    ("Qualification", "Sequence for webinar attendees", "SDR", ("campaign", K.WEBINAR), -100, 5,
     0, None),
    ("Qualification", "Event follow-up calls", "SDR", ("campaign", K.EVENT), -40, 5, 1, None),
    ("Qualification", "December webinar attendee calls", "SDR", ("campaign", K.WEBINAR), -2, 5,
     None, None),
    ("Qualification", "Lead routing review with marketing", "", ("start",), 2, 8, None, None),
    ("Qualification", "Q1 target account list", "SDR", ("month",), 10, 10, None, None),
    ("Evaluation", "Discovery call guide", "", ("start",), -210, 8, 0, None),
    ("Evaluation", "Manufacturing demo environment", "Account executive",
     ("after", "Discovery call guide"), -180, 10, 0, None),
    ("Evaluation", "Battlecard refresh", "", ("campaign", K.EVENT), -70, 8, 4, None),
    ("Evaluation", "Mutual action plan template", "Account executive", ("start",), 1, 8, None,
     None),
    ("Evaluation", "Review of webinar-sourced deals", "", ("campaign", K.WEBINAR), 7, 10, None,
     None),
    ("Evaluation", "Reference customer list", "Account executive", ("month",), 15, 5, None,
     None),
    ("Purchase", "Pricing sheet sign-off", "Sales manager", ("start",), -160, 10, 0, None),
    ("Purchase", "Business case template from the ROI calculator", "",
     ("after", "Pricing sheet sign-off"), -110, 10, 0, "calculator"),
    ("Purchase", "Contract redlines playbook", "Sales manager", ("campaign", K.LAUNCH), -1, 8,
     None, None),
    ("Purchase", "Q4 close plan per deal", "", ("start",), 5, 10, None, None),
    ("Purchase", "Security questionnaire answers", "", ("after", "Pricing sheet sign-off"), 6,
     5, None, None),
    ("Purchase", "Onboarding handover checklist", "Sales manager", ("month",), 16, 5, None,
     None),
)  # fmt: skip


def install(today: date) -> None:
    users = {u.username: u for u in User.objects.all()}
    teams = {t.name: t for t in Team.objects.all()}
    planner, cmo, vp = users["marketing.manager"], users["cmo"], users["vp.sales"]
    for team, role, holder in ROLES:
        actions.set_role(users["ops.manager"], teams[team], role, users[holder])
    start = date(today.year, 1, 5)
    journey = actions.create_journey(
        planner, name=f"New-logo journey FY{today.year}", starts_on=start,
        ends_on=date(today.year, 12, 31), segment="Mid-market manufacturing and logistics",
    )  # fmt: skip
    stages = {}
    for name, team, role, step, entry, leave in STAGES:
        stages[name] = actions.add_stage(
            planner, journey, name=name, team=teams[team], role=role, funnel_step=step,
            entry_criteria=entry, exit_criteria=leave,
        )  # fmt: skip
    calendars, roles = schedule.Calendars(), schedule.Roles()
    campaigns = list(Campaign.objects.filter(starts_on__gte=start, starts_on__lte=today))
    links = {
        "asset": Asset.objects.order_by("pk").first(),
        "calculator": Calculator.objects.order_by("pk").first(),
    }
    made: dict[str, Deliverable] = {}
    for n, (stage_name, title, role, anchor, due_in, work_days, late, link) in enumerate(ITEMS):
        stage = stages[stage_name]
        calendar = calendars.of(stage.team_id)
        # A demo built early in the year crowds the year's past work into its first weeks.
        due = max(clock.shift(calendar, today, due_in), clock.shift(calendar, start, 1 + n % 10))
        values = _anchor(anchor, due, start, campaigns, made, calendar)
        if link:
            values[link] = links[link]
        d = actions.add_deliverable(
            planner, stage, title=title, owner_role=role, work_days=work_days, today=start,
            **values,
        )  # fmt: skip
        made[title] = d
        if late is not None:
            done_on = min(clock.shift(calendar, d.due_on, late if late else -1), today)
            owner = schedule.owner_of(d, roles)
            moment = _not_after_now(datetime.combine(done_on, time(15), tzinfo=calendar.zone))
            d, _ = actions.complete(owner, d, now=moment)
            made[title] = d
    actions.propose(planner, journey)
    revision = journey.revision
    actions.approve(cmo, revision)
    actions.approve(vp, revision)
    _measure_goals(planner, today, made)
    # The escalations the year left: sent now, as the hourly tick would have.
    escalation.tick(_not_after_now(datetime.combine(today, time(16), tzinfo=UTC)))


def _not_after_now(moment: datetime) -> datetime:
    """A moment of the demo's last day, but never later than now: a demo built in the
    morning must not show a deliverable done, or an alert sent, "4 hours from now"."""
    return min(moment, timezone.now()).astimezone(UTC)


def _anchor(anchor, due, start, campaigns, made, calendar) -> dict:
    kind = anchor[0]
    if kind == "campaign":
        launched = [c for c in campaigns if c.kind == anchor[1] and c.starts_on <= due]
        if launched:
            campaign = max(launched, key=lambda c: c.starts_on)
            offset = clock.working_days_between(calendar, campaign.starts_on, due)
            return {"anchor": Anchor.CAMPAIGN, "anchor_campaign": campaign, "offset_days": offset}
        kind = "start"
    if kind == "after":
        other = made[anchor[1]]
        since = other.completed_at.date() if other.completed_at else other.due_on
        return {
            "anchor": Anchor.DELIVERABLE,
            "anchor_deliverable": other,
            "offset_days": clock.working_days_between(calendar, since, due),
        }
    if kind == "month":
        month = due.replace(day=1)
        return {
            "anchor": Anchor.PLAN_MONTH,
            "anchor_month": month,
            "offset_days": clock.working_days_between(calendar, month, due),
        }
    return {
        "anchor": Anchor.JOURNEY_START,
        "offset_days": clock.working_days_between(calendar, start, due),
    }


# The plan's goals (`demo.plan`): two by their stage's number, two by a deliverable.
GOAL_MEASURES = (
    ("mql", "funnel", None),
    ("won", "funnel", None),
    ("sql", "deliverable", "Competitor comparison one-pager"),
    ("sal", "deliverable", "December webinar attendee calls"),
)


def _measure_goals(planner, today: date, made: dict) -> None:
    plan = Plan.objects.filter(fiscal_year=today.year).first()
    revision = plan.in_force if plan is not None else None
    if revision is None:
        return
    goals = {g.stage: g for g in revision.goals.all()}
    for stage, kind, title in GOAL_MEASURES:
        if stage in goals:
            actions.set_goal_measure(planner, goals[stage], kind, made.get(title))
