"""A journey to work on, in the cast's company (tests/conftest.py), on Monday 2 March 2026.

- The company calendar: Monday to Friday, 9 to 5 UTC, no public holidays.
- Roles: "Product marketing manager" of Marketing is mike; "Sales manager" of Sales is sam;
  "Account executive" of Sales is alice.
- `journey`: mona's "New-logo journey" from 2 March to 31 December 2026, with an awareness
  stage (Marketing, product marketing manager, Lead → MQL) and an evaluation stage (Sales,
  sales manager, accepted → SQL).
- `campaign`: the "Spring launch" webinar, launching Monday 16 March.
"""

from datetime import UTC, date, datetime

import pytest

from accord.crm.models import Campaign, Channel
from accord.journey import actions
from accord.sla.models import BusinessCalendar

MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


@pytest.fixture
def calendar(db):
    return BusinessCalendar.objects.create(team=None, time_zone="UTC")


@pytest.fixture
def roles(cast, teams, calendar):
    mona = cast["mona"]
    return {
        "pmm": actions.set_role(
            mona, teams["marketing"], "Product marketing manager", cast["mike"]
        ),
        "sales_manager": actions.set_role(mona, teams["sales"], "Sales manager", cast["sam"]),
        "ae": actions.set_role(mona, teams["sales"], "Account executive", cast["alice"]),
    }


@pytest.fixture
def campaign(cast, db):
    channel = Channel.objects.create(key="webinar", name="Webinar", group=Channel.Group.MARKETING)
    return Campaign.objects.create(
        name="Spring launch", channel=channel, kind=Campaign.Kind.WEBINAR,
        starts_on=date(2026, 3, 16), ends_on=date(2026, 6, 30), owner=cast["mike"],
    )  # fmt: skip


@pytest.fixture
def journey(cast, teams, roles, clock):
    mona = cast["mona"]
    journey = actions.create_journey(
        mona, name="New-logo journey", starts_on=date(2026, 3, 2), ends_on=date(2026, 12, 31),
        segment="Mid-market manufacturing",
    )  # fmt: skip
    actions.add_stage(
        mona, journey, name="Awareness", team=teams["marketing"],
        role="Product marketing manager", funnel_step="lead_mql",
        entry_criteria="In the segment", exit_criteria="Became an MQL",
    )  # fmt: skip
    actions.add_stage(
        mona, journey, name="Evaluation", team=teams["sales"], role="Sales manager",
        funnel_step="sal_sql",
    )  # fmt: skip
    return journey


@pytest.fixture
def stages(journey):
    return {s.name: s for s in journey.stages.all()}
