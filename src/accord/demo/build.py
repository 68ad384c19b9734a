"""Build and erase the demo company: the one place that fills, and empties, every app.

`build_demo_company()` simulates the company (`simulation.py`), writes it (`persist.py`) and
then gives each app its part, in this order: the value calculators with their year of
submissions (`calculators.py`, first: their touches move to the calculators' channel before
anything reads them), the lead definitions and the scores under v1
(`definitions.py`), the sales reviews read off the history (`reviews.py`), the revenue plan
(`plan.py`), the service levels (`service_levels.py`) and the spend beyond campaigns with the
attribution runs to compute (`spend.py`), the content library (`content.py`), its year of
usage (`usage.py`: sends, opens, uses; which assets deals got was decided, with its effect
on winning, in the simulation), the rating rubric with the ratings the usage rows allow
(`content_ratings.py`), the reps' suggestions (`content_suggestions.py`), the value
calculators (`calculators.py`) and the signed customer journey (`journey.py`). All in one
transaction.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from accord.attribution.models import AttributionRun, Spend, UnitEconomics
from accord.calculators.models import (
    AssumptionApproval,
    Calculator,
    CalculatorVersion,
    DeletionRequest,
    Realisation,
    Submission,
    Visit,
)
from accord.content import tasks as content_tasks
from accord.content.models import (
    Asset,
    AssetVersion,
    ContentTouch,
    InfluenceRun,
    LinkEvent,
    Rating,
    Rubric,
    RubricApproval,
    Suggestion,
    TrackedLink,
    Usage,
)
from accord.core.bulk import refresh_statistics, sqlite_cache_for_bulk_writes
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Channel,
    Lead,
    LeadOwnerChange,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)
from accord.crm.queries import company_counts
from accord.demo import (
    calculators,
    content,
    content_ratings,
    content_suggestions,
    definitions,
    journey,
    plan,
    reviews,
    service_levels,
    spend,
    usage,
)
from accord.demo.persist import persist
from accord.demo.simulation import simulate
from accord.journey.models import (
    CalendarFeed,
    Deliverable,
    DeliverableAlert,
    GoalMeasure,
    Journey,
    JourneyApproval,
    JourneyRevision,
    JourneyRole,
    Stage,
)
from accord.people.models import Team, User
from accord.plan.models import Plan, PlanApproval, PlanGoal, PlanRevision
from accord.qualify.models import (
    BacktestRun,
    DefinitionApproval,
    LeadDefinition,
    LeadReview,
    Qualification,
    ScoringRun,
)
from accord.sla.models import BusinessCalendar, DayOff, FollowUpPolicy, SlaAlert, TickState


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    scale: float
    months: int
    start: datetime
    until: datetime
    counts: dict[str, int | str]


def has_company_data() -> bool:
    models = (Lead, Account, Opportunity, Campaign, User, Channel, Team)
    return any(model.objects.exists() for model in models)


def erase_company() -> None:
    """Delete every CRM row, user and team (children first, so deletes stay cheap)."""
    with transaction.atomic():
        # A deliverable others hang on is protected; the whole journey goes, so let go first.
        Deliverable.objects.update(anchor_deliverable=None)
        for model in (
            GoalMeasure,
            DeliverableAlert,
            CalendarFeed,
            Deliverable,
            Stage,
            JourneyApproval,
            JourneyRevision,
            Journey,
            JourneyRole,
            Realisation,
            Submission,
            Visit,
            DeletionRequest,
            AssumptionApproval,
            CalculatorVersion,
            Calculator,
            InfluenceRun,  # and its stored credits
            Suggestion,
            Rating,
            RubricApproval,
            Rubric,
            ContentTouch,
            LinkEvent,
            TrackedLink,
            Usage,
            AssetVersion,
            Asset,
            AttributionRun,
            Spend,
            UnitEconomics,
            SlaAlert,
            TickState,
            FollowUpPolicy,
            DayOff,
            BusinessCalendar,
            PlanApproval,
            PlanGoal,
            PlanRevision,
            Plan,
            BacktestRun,
            Qualification,
            ScoringRun,
            LeadReview,
            DefinitionApproval,
            LeadDefinition,
            OpportunityStageChange,
            Opportunity,
            Touchpoint,
            Activity,
            LeadStatusChange,
            LeadOwnerChange,
            Lead,
            CampaignCost,
            Campaign,
            Account,
            Channel,
            User,
            Team,
        ):
            model.objects.all().delete()


def build_demo_company(
    *, seed: int = 7, scale: float = 1.0, months: int = 24, until: date
) -> DemoSummary:
    """Simulate the company and write it to an empty database in one transaction."""
    world = simulate(seed=seed, scale=scale, months=months, until=until)
    with transaction.atomic(), sqlite_cache_for_bulk_writes(megabytes=256):
        persist(world)
        # Before the scores: the calculators' year moves touches to their channel.
        calculators.install(world, seed)
        definitions.install(world.start, world.until)
        reviews.reviews_from_history()
        plan.install(world.until)
        service_levels.install()
        spend.install(world.start, world.until)
        spend.queue_runs(world.until)
        content.install(seed, until)
        usage.install(world, seed)
        # After the library and its usage rows: ratings are read off the sends and uses.
        content_ratings.install(seed, until)
        content_suggestions.install(seed, until)
        # The customer journey, anchored to the campaigns above; its escalations are sent.
        journey.install(until)
        # Content influence takes minutes to compute: the worker does it, not the build.
        content_tasks.request_influence()
        # Last: every notification the history above left is marked as told.
        service_levels.raise_last_weeks_alerts(world.until)
        counts = company_counts()
    refresh_statistics()
    return DemoSummary(
        seed=seed, scale=scale, months=months, start=world.start, until=world.until, counts=counts
    )
