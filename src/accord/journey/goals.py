"""Where each plan goal stands, for the plan page (registered with `plan.goals` when the app
loads) and the journey's goals page.

A funnel measure compares the stage's actuals (`plan.actuals`, the scoreboard's read model
too, months in the configured zone) with the plan's figure for the months up to the due date
(the plan page's own funnel, `plan.queries.kept_funnel` and `plan_by_month`; the due month
counts for the share of it up to the due date). Met once the actuals reach that figure;
missed once the due date has passed without; at risk while the actuals to date are behind
the plan's pace to date (the scoreboard's rule, `analytics.pacing`); on track otherwise.

A deliverable measure is met when the deliverable was done on or before the goal's due date;
missed when it was done after it, or is still open after it; at risk while the deliverable is
at risk, late or stuck; on track otherwise.
"""

from datetime import datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

from accord.analytics import journey as clock
from accord.analytics import pacing
from accord.analytics.funnel import STAGE_LABELS
from accord.core import figures
from accord.journey import queries, schedule
from accord.journey.models import Deliverable, GoalMeasure
from accord.plan import goals as plan_goals
from accord.plan.actuals import kept_actuals
from accord.plan.goals import AT_RISK, MET, MISSED, NO_MEASURE, ON_TRACK, GoalStatus
from accord.plan.models import PlanGoal, PlanRevision
from accord.plan.queries import default_plan, kept_funnel, plan_by_month, revision_shown

AT_RISK_STATUSES = (clock.AT_RISK, *clock.OPEN_LATE)


def _end_of(day, now: datetime) -> datetime:
    """The first moment after `day`, in the configured zone."""
    return datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=timezone.localtime(now).tzinfo
    )


def funnel_status(
    goal: PlanGoal, revision: PlanRevision, now: datetime, funnel, found
) -> GoalStatus:
    months = list(revision.plan.months)
    planned = plan_by_month(funnel, revision)[goal.stage]
    due_end = _end_of(goal.due_on, now)
    by_due = [pacing.elapsed(m, due_end) for m in months]
    target = sum((p * s for p, s in zip(planned, by_due, strict=True)), Decimal(0))
    target = int(target.to_integral_value(ROUND_CEILING))
    counted = [i for i, s in enumerate(by_due) if s > 0]
    to_date = [min(pacing.elapsed(months[i], now), by_due[i]) for i in counted]
    pace = pacing.pace(
        [planned[i] * by_due[i] for i in counted], [found.counts[goal.stage][i] for i in counted],
        [s / by_due[i] if by_due[i] else Decimal(0) for s, i in zip(to_date, counted, strict=True)],
    )  # fmt: skip
    actual = int(pace.actual)
    label = STAGE_LABELS[goal.stage]
    measure = f"{target:,} {label} by {goal.due_on:%-d %b %Y}"
    if actual >= target:
        return GoalStatus(MET, measure, f"{actual:,} so far")
    if timezone.localdate(now) > goal.due_on:
        return GoalStatus(MISSED, measure, f"{actual:,} by the due date, {target - actual:,} short")
    share = f"; {pace.ratio:.0%} of the pace to date" if pace.ratio is not None else ""
    status = AT_RISK if pace.state == "behind" else ON_TRACK
    return GoalStatus(status, measure, f"{actual:,} so far{share}")


def deliverable_status(
    goal: PlanGoal, d: Deliverable, standing: clock.Standing, now: datetime
) -> GoalStatus:
    label = clock.STATUS_LABELS[standing.status]
    words = f"{d.title} done by {goal.due_on:%-d %b %Y}"
    if d.completed_at is not None:
        done_on = timezone.localtime(d.completed_at).date()
        if done_on <= goal.due_on:
            return GoalStatus(MET, words, f"Done {done_on:%-d %b %Y}")
        return GoalStatus(MISSED, words, f"Done {done_on:%-d %b %Y}, after the goal's date")
    if timezone.localdate(now) > goal.due_on:
        return GoalStatus(MISSED, words, f"Still open ({label.lower()})")
    detail = f"{label}, due {d.due_on:%-d %b}"
    return GoalStatus(AT_RISK if standing.status in AT_RISK_STATUSES else ON_TRACK, words, detail)


@plan_goals.measured_by
def statuses(revision: PlanRevision, now: datetime | None = None) -> dict[str, GoalStatus]:
    """Stage -> the status of each goal of the revision that has a measure."""
    now = now or timezone.now()
    with figures.holding_now(now):
        return _statuses(revision, now)


def _statuses(revision: PlanRevision, now: datetime) -> dict[str, GoalStatus]:
    measures = {m.stage: m for m in GoalMeasure.objects.filter(plan_id=revision.plan_id)}
    goals = [g for g in revision.goals.all() if g.stage in measures]
    if not goals:
        return {}
    found, funnel = None, None
    # The deliverables measured, read at once with one set of calendars (their standing is
    # all a goal needs: not their owners).
    wanted = {m.deliverable_id for m in measures.values() if m.kind == GoalMeasure.Kind.DELIVERABLE}
    measured = Deliverable.objects.filter(pk__in=wanted).select_related("stage__journey")
    calendars = schedule.Calendars() if wanted else None
    deliverables = {d.pk: (d, queries.standing_of(d, calendars, now)) for d in measured}
    out = {}
    for goal in goals:
        measure = measures[goal.stage]
        if goal.owner_id is None or goal.due_on is None:
            out[goal.stage] = GoalStatus(NO_MEASURE, "", "Needs an owner and a due date")
        elif measure.kind == GoalMeasure.Kind.DELIVERABLE:
            out[goal.stage] = deliverable_status(goal, *deliverables[measure.deliverable_id], now)
        else:
            if found is None:
                funnel = kept_funnel(revision, now).value
                found = kept_actuals(revision.plan.months).value
            out[goal.stage] = funnel_status(goal, revision, now, funnel, found)
    return out


def plan_goals_shown(today=None) -> tuple:
    """The plan whose goals the journey's pages show (the plan in force for today, as the plan
    pages choose it), the revision shown, and each goal with its measure and status."""
    plan = default_plan(today or timezone.localdate())
    revision = revision_shown(plan) if plan is not None else None
    if revision is None:
        return plan, None, []
    found = statuses(revision)
    measures = {m.stage: m for m in GoalMeasure.objects.filter(plan=plan)}
    rows = [
        {
            "goal": goal,
            "label": STAGE_LABELS[goal.stage],
            "measure": measures.get(goal.stage),
            "status": found.get(goal.stage) or GoalStatus(NO_MEASURE),
        }
        for goal in revision.goals.select_related("owner")
    ]
    return plan, revision, rows
