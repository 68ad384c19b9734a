"""Read models for the journey's pages, the API, the feed and the escalation tick: where each
deliverable and stage stands, and how each stage's funnel step is doing against the plan.

A deliverable's status is `analytics.journey.standing` on its team's calendar, with the
journey's at-risk share and stuck-after days, as of today in that calendar's zone. A stage
is on track, behind or stuck from its deliverables, and healthy or not from its funnel
number: the step's conversion over the leads created this month (the plan's own observed
read model, `analytics.funnel_rates.observed_funnel`, on the configured engine) against the
rate of the plan in force, with both sample sizes.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from accord.analytics import journey as clock
from accord.analytics.funnel import STEP_LABELS
from accord.analytics.months import next_month
from accord.core import figures
from accord.journey import schedule
from accord.journey.models import Deliverable, Journey, JourneyRevision, JourneyRole, Stage
from accord.people.models import User
from accord.plan.queries import default_plan
from accord.sla.models import BusinessCalendar

# A month's step conversion says little on fewer leads than this.
MIN_SAMPLE = 20


@dataclass
class Row:
    deliverable: Deliverable
    owner: object  # the person it resolves to now, or None
    owner_label: str
    standing: clock.Standing

    @property
    def status(self) -> str:
        return self.standing.status

    @property
    def status_label(self) -> str:
        return clock.STATUS_LABELS[self.status]


def today_for(calendar, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(calendar.zone).date()


def standing_of(
    d: Deliverable,
    calendars: schedule.Calendars,
    now: datetime | None = None,
) -> clock.Standing:
    journey = d.stage.journey
    calendar = calendars.of(d.stage.team_id)
    return clock.standing(
        calendar,
        due_on=d.due_on,
        work_days=d.work_days,
        today=today_for(calendar, now),
        completed_on=d.completed_at.astimezone(calendar.zone).date() if d.completed_at else None,
        at_risk_share=float(journey.at_risk_share),
        stuck_after=journey.stuck_after_days,
    )


def deliverables():
    return Deliverable.objects.select_related(
        "stage__journey", "stage__team", "owner", "anchor_campaign", "anchor_deliverable",
        "asset", "calculator", "campaign", "completed_by",
    )  # fmt: skip


def rows(
    queryset,
    now: datetime | None = None,
    calendars: schedule.Calendars | None = None,
    roles: schedule.Roles | None = None,
) -> list[Row]:
    calendars = calendars or schedule.Calendars()
    roles = roles or schedule.Roles()
    return [
        Row(d, schedule.owner_of(d, roles), schedule.owner_label(d), standing_of(d, calendars, now))
        for d in queryset
    ]


def journeys():
    return Journey.objects.prefetch_related("revisions")


def journey_summary(journey: Journey, now: datetime | None = None) -> dict:
    found = rows(deliverables().filter(stage__journey=journey), now)
    counts = {s: 0 for s in clock.STATUSES}
    for row in found:
        counts[row.status] += 1
    revision = journey.revision
    return {
        "journey": journey,
        "revision": revision,
        "in_force": journey.in_force,
        "status": revision.status if revision else "draft",
        "counts": counts,
        "total": len(found),
    }


# --- The board --------------------------------------------------------------------------------


@dataclass
class StageColumn:
    stage: Stage
    owner: object
    rows: list[Row]
    progress: str
    health: dict = field(default_factory=dict)

    @property
    def progress_label(self) -> str:
        return {"on_track": "On track", "behind": "Behind", "stuck": "Stuck", "done": "Done"}[
            self.progress
        ]


def board(journey: Journey, now: datetime | None = None, *, with_health: bool = True) -> dict:
    calendars, roles = schedule.Calendars(), schedule.Roles()
    stages = list(
        journey.stages.select_related("team").prefetch_related(
            Prefetch("deliverables", queryset=deliverables().order_by("due_on", "id"))
        )
    )
    health = stage_health(stages) if with_health else {}
    columns = []
    for stage in stages:
        found = rows(stage.deliverables.all(), now, calendars, roles)
        columns.append(
            StageColumn(
                stage=stage,
                owner=schedule.stage_owner(stage, roles),
                rows=found,
                progress=clock.stage_progress([r.status for r in found]),
                health=health.get(stage.pk, {}),
            )
        )
    return {"columns": columns, **journey_summary(journey, now)}


def stage_health(stages: list[Stage], now: datetime | None = None) -> dict[int, dict]:
    """Stage id -> its step's conversion this month against the plan's rate: {step, label,
    rate, numerator, denominator, plan_rate, plan_name, verdict} where the verdict is
    healthy, unhealthy, too_few (fewer than MIN_SAMPLE in the denominator) or no_plan."""
    if not stages:
        return {}
    now = now or timezone.now()
    today = timezone.localdate(now)
    plan = default_plan(today)
    revision = plan.in_force if plan is not None else None
    observed = _this_month(today, now)
    found = {}
    for stage in stages:
        step = stage.funnel_step
        seen = observed.get(step, {})
        planned = Decimal(revision.rates[step]) if revision and step in revision.rates else None
        rate, denominator = seen.get("rate"), seen.get("denominator", 0)
        if planned is None:
            verdict = "no_plan"
        elif denominator < MIN_SAMPLE or rate is None:
            verdict = "too_few"
        else:
            verdict = "healthy" if rate >= planned else "unhealthy"
        found[stage.pk] = {
            "step": step,
            "label": STEP_LABELS[step],
            "rate": rate,
            "numerator": seen.get("numerator", 0),
            "denominator": denominator,
            "plan_rate": planned,
            "plan_name": plan.name if revision else "",
            "verdict": verdict,
        }
    return found


def _this_month(today: date, now: datetime) -> dict:
    # Imported here: Ibis takes most of a second to load, and only the board needs it.
    from accord.analytics.funnel_rates import observed_funnel
    from accord.core import engine

    start = today.replace(day=1)
    found = observed_funnel(
        engine.app_tables(), cohort_start=start, cohort_end=next_month(start), as_of=now
    )
    return found["steps"]


# --- One person's work, and who answers for what -----------------------------------------------


def my_deliverables(user, now: datetime | None = None) -> list[Row]:
    """Every deliverable that resolves to `user` now (as a person or through a role), open
    ones first by due date, then the done ones of the last weeks."""
    roles = schedule.Roles()
    mine = [r for r in rows(deliverables(), now, roles=roles) if r.owner and r.owner.pk == user.pk]
    return sorted(mine, key=lambda r: (r.status == clock.DONE, r.deliverable.due_on))


def accountability(now: datetime | None = None, journey: Journey | None = None) -> dict:
    """Per accountable team and per owner: deliverables, those due by now, the share of
    those done on time, the median lateness in business days (of those done late or still
    late), and the open late ones."""
    queryset = deliverables()
    if journey is not None:
        queryset = queryset.filter(stage__journey=journey)
    found = rows(queryset, now)

    def figures(group: list[Row]) -> dict:
        due = [r for r in group if r.status in (clock.DONE, clock.LATE, clock.STUCK)]
        on_time = [r for r in due if r.status == clock.DONE and r.standing.late_days == 0]
        lateness = [r.standing.late_days for r in due if r.standing.late_days > 0]
        open_late = [r for r in group if r.status in clock.OPEN_LATE]
        return {
            "total": len(group),
            "due": len(due),
            "on_time_share": Decimal(len(on_time)) / len(due) if due else None,
            "median_late_days": clock.median(lateness),
            "open_late": len(open_late),
            "stuck": sum(r.status == clock.STUCK for r in group),
            "late_rows": sorted(open_late, key=lambda r: r.deliverable.due_on),
        }

    by_team: dict[str, list[Row]] = {}
    by_owner: dict[str, list[Row]] = {}
    for row in found:
        by_team.setdefault(row.deliverable.stage.team.name, []).append(row)
        name = str(row.owner) if row.owner else f"{row.owner_label} (nobody holds it)"
        by_owner.setdefault(name, []).append(row)
    return {
        "teams": [{"name": k, **figures(v)} for k, v in sorted(by_team.items())],
        "owners": [{"name": k, **figures(v)} for k, v in sorted(by_owner.items())],
        "late": sorted(
            (r for r in found if r.status in clock.OPEN_LATE), key=lambda r: r.deliverable.due_on
        ),
    }


# What the late deliverables read: the journeys, their people and calendars.
LATE_TABLES = figures.table_names(
    [Journey, JourneyRevision, JourneyRole, Stage, Deliverable, BusinessCalendar, "sla_dayoff"]
    + [User, "people_team", "people_user_teams"]
)
QUARTER_HOUR = 15 * 60


def kept_late_deliverables() -> figures.Kept[list[Row]]:
    """`late_deliverables()` now, kept (the scoreboard shows it on every view) until a journey,
    a role, a person or a calendar is written, or the next quarter hour: a deliverable's days
    late change at midnight in its team's zone, and every zone's midnight falls on one."""
    now = timezone.now()
    seconds = now.timestamp()
    turn = datetime.fromtimestamp(seconds - seconds % QUARTER_HOUR + QUARTER_HOUR, tz=UTC)
    return figures.kept(
        f"journey.late:{timezone.get_current_timezone_name()}",
        LATE_TABLES,
        lambda: late_deliverables(now),
        valid_until=lambda _: turn,
        stale_ok=False,
    )


def late_deliverables(now: datetime | None = None) -> list[Row]:
    """The open deliverables past their due date (late or stuck), longest late first: what
    the scoreboard and the weekly digest show with their owners."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    candidates = deliverables().filter(completed_at__isnull=True, due_on__lt=tomorrow)
    late = [r for r in rows(candidates, now) if r.status in clock.OPEN_LATE]
    return sorted(late, key=lambda r: (-r.standing.late_days, r.deliverable.due_on))
