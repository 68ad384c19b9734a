# ruff: noqa: E501 - the line format is one item a line, as a builder types it
"""The demo's value calculators and their year on the website.

An ROI calculator for the data platform, launched a year before the demo's last day, and a
TCO comparison launched four months later, each published with the signatures of both
leaders (the CMO and the VP Sales). Built through the verbs, so the demo's calculators pass
the same checks as anybody's; then dated back to their launch.

Their year of use is read off the simulation, not invented beside it: every touch of kind
`calculator` the simulation made since the launch becomes a visitor's submission on one of
the calculators (the TCO takes a share once it is live), and half of the direct-traffic
form fills that created a lead since the launch were the calculator's form (the lead is new:
calculator-sourced). Those touches move to the "Value calculators" channel and the
calculator's campaign, as the public capture records them, so every attribution model
credits the calculators; which of those leads won deals the simulation had already decided.
Inputs follow the account's size, results are computed by the server's `compute`, and each
submission has its visit, beside the visits that only looked or stopped part-way.
"""

import random
from datetime import datetime, timedelta

from django.db.models import F

from accord.analytics.months import add_months
from accord.calculators import actions, capture, compute, lines
from accord.calculators.models import (
    AssumptionApproval,
    Calculator,
    CalculatorVersion,
    Submission,
    Visit,
)
from accord.crm.models import Campaign, Channel, Lead, Opportunity, Touchpoint
from accord.people.models import AuditLog, User

# The channel the public capture records calculator touches on.
CHANNEL_KEY = "value-calculators"
CHANNEL_NAME = "Value calculators"
TCO_AFTER_MONTHS = 4  # the TCO comparison went live this long after the ROI calculator
TCO_SHARE = 0.45  # of calculator touches once both are live
SOURCED_SHARE = 0.5  # of direct-traffic form fills that created a lead: the calculator's form

ROI = {
    "horizon_months": 36,
    "inputs": """
analysts | Analysts on the team | whole | 1 | 10000 | 20 | people | Everybody who prepares reports
hours_saved | Hours each saves a week | number | 0 | 40 | 5 | hours | Time no longer spent on exports and spreadsheets
salary | Average analyst salary | money | 20000 | 500000 | 90000 | USD a year
licence | Licence per analyst a year | money | 0 | 10000 | 1200 | USD
implementation | Implementation cost | money | 0 | 1000000 | 25000 | USD | Set-up, training and migration
""",
    "assumptions": """
working_hours | Working hours a year | 1800 | OECD average annual hours actually worked, 2025
weeks_per_year | Working weeks a year | 46 | 52 weeks less public holidays and leave
adoption | Share of analysts who adopt it | 80% | Median active-user share across our customers after 6 months, 2026
""",
    "values": """
hourly_cost | Cost of an analyst hour | salary / working_hours
annual_benefit | Benefit a year | analysts * hours_saved * weeks_per_year * hourly_cost * adoption
total_benefit | Total benefit | annual_benefit * horizon_months / 12
  output: money | Hours saved by the analysts who adopt it, valued at their salary, over three years
total_cost | Total cost | implementation + licence * analysts * horizon_months / 12
  output: money | Implementation plus the licences over three years
net_value | Net value | total_benefit - total_cost
  output: money | Total benefit less total cost
roi | ROI | IF(total_cost > 0, ROUND(net_value / total_cost, 4), 0)
  output: percent | Net value divided by total cost
monthly_net | Net benefit a month | (annual_benefit - licence * analysts) / 12
payback | Payback | IF(monthly_net > 0, ROUND(implementation / monthly_net, 1), 0)
  output: months | Months until the monthly benefit, less licences, has paid for the implementation
""",
}

TCO = {
    "horizon_months": 36,
    "inputs": """
terabytes | Data under management | number | 1 | 10000 | 50 | TB
engineers | Engineers running the warehouse today | whole | 0 | 200 | 3 | people
engineer_cost | Cost of an engineer | money | 50000 | 400000 | 140000 | USD a year
""",
    "assumptions": """
storage_per_tb | Warehouse storage and compute per TB a year | 2400 | List prices of the three largest clouds, 2026
platform_per_tb | Our platform per TB a year | 1500 | Our price list, 2026
ops_saving | Share of warehouse operations work we take over | 60% | Customer interviews, 2026
""",
    "values": """
today | Today over the horizon | (terabytes * storage_per_tb + engineers * engineer_cost) * horizon_months / 12
  output: money | What the current warehouse costs over three years
with_us | With the platform | (terabytes * platform_per_tb + engineers * engineer_cost * (1 - ops_saving)) * horizon_months / 12
  output: money | Platform fees plus the operations work that remains
saving | Saving | today - with_us
  output: money | The difference over three years
""",
}


def install(world, seed: int = 7) -> list[Calculator]:
    """Both calculators published and dated back to their launch, and their year of use."""
    people = {
        u.username: u
        for u in User.objects.filter(username__in=("marketing.manager", "cmo", "vp.sales"))
    }
    # Launched one afternoon (UTC) a year before the demo's last day.
    launch = max(world.start, _shift(world.until, -12)).replace(hour=15)
    roi = _publish(
        people,
        ROI,
        name="Analytics platform ROI",
        kind="roi",
        description="What the platform returns on your analysts' time over three years.",
        note="First version for the website.",
        live_from=launch,
    )
    tco = _publish(
        people,
        TCO,
        name="Warehouse TCO comparison",
        kind="tco",
        description="Three years of your warehouse beside three years of ours.",
        note="Prices checked against the 2026 list prices.",
        live_from=_shift(launch, TCO_AFTER_MONTHS),
    )
    _year_of_use(world, seed, roi, tco, people["marketing.manager"])
    return [roi, tco]


def _shift(moment: datetime, months: int) -> datetime:
    """The same moment `months` later (earlier if negative)."""
    day = add_months(moment.date(), months)
    return moment.replace(year=day.year, month=day.month, day=day.day)


def _publish(people, texts, *, name, kind, description, note, live_from) -> Calculator:
    builder = people["marketing.manager"]
    calculator = actions.create_calculator(builder, name=name, kind=kind, description=description)
    version = actions.save_draft(builder, calculator.versions.get(), lines.parse(texts), note=note)
    version = actions.propose(builder, version)
    actions.approve(people["cmo"], version)
    actions.approve(people["vp.sales"], version)
    # The verbs sign on the real clock; the demo's calculators went live a year ago.
    drafted = live_from - timedelta(days=12)
    Calculator.objects.filter(pk=calculator.pk).update(created_at=drafted, updated_at=live_from)
    CalculatorVersion.objects.filter(pk=version.pk).update(
        created_at=drafted, proposed_at=live_from - timedelta(days=5), published_at=live_from
    )
    AssumptionApproval.objects.filter(version=version).update(approved_at=live_from)
    AuditLog.objects.filter(
        object_type__in=("calculators.calculator", "calculators.calculatorversion"),
        object_id__in=(str(calculator.pk), str(version.pk)),
    ).update(at=live_from)
    calculator.refresh_from_db()
    return calculator


def _roi_inputs(rng: random.Random, employees: int) -> dict[str, str]:
    analysts = max(1, min(10_000, round(employees * rng.uniform(0.01, 0.05))))
    salary = min(250_000, max(45_000, round(rng.lognormvariate(11.4, 0.22) / 5000) * 5000))
    implementation = min(1_000_000, 20_000 + round(analysts * rng.uniform(1000, 2500), -3))
    licence = 1200 if rng.random() < 0.7 else rng.choice((900, 1000, 1500))
    return {
        "analysts": str(analysts),
        "hours_saved": str(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))),
        "salary": str(salary),
        "licence": str(licence),
        "implementation": str(implementation),
    }


def _tco_inputs(rng: random.Random, employees: int) -> dict[str, str]:
    terabytes = max(1, min(10_000, round(employees / 25 * rng.lognormvariate(0, 0.5))))
    engineers = max(0, min(200, round(employees / 400 * rng.uniform(0.5, 1.6))))
    return {
        "terabytes": str(terabytes),
        "engineers": str(engineers),
        "engineer_cost": str(min(400_000, max(50_000, round(rng.gauss(145_000, 20_000), -4)))),
    }


INPUTS = {Calculator.Kind.ROI: _roi_inputs, Calculator.Kind.TCO: _tco_inputs}
# Of the visits behind one submission, how many more only looked, and how many started and
# stopped part-way (the TCO asks for figures fewer visitors have to hand).
LOOKED = {Calculator.Kind.ROI: 2.6, Calculator.Kind.TCO: 3.2}
STOPPED = {Calculator.Kind.ROI: 1.1, Calculator.Kind.TCO: 1.5}
# Where those who stop leave: the money questions lose the most visitors.
STOP_WEIGHTS = {
    "analysts": 1, "hours_saved": 3, "salary": 4, "licence": 1, "implementation": 5,
    "terabytes": 2, "engineers": 2, "engineer_cost": 5,
}  # fmt: skip


def _year_of_use(world, seed: int, roi: Calculator, tco: Calculator, owner: User) -> None:
    rng = random.Random(seed * 7919 + 21)
    channel, _ = Channel.objects.get_or_create(
        key=CHANNEL_KEY, defaults={"name": CHANNEL_NAME, "group": Channel.Group.MARKETING}
    )
    live = {}
    for calculator in (roi, tco):
        version = calculator.versions.get(status=CalculatorVersion.Status.PUBLISHED)
        # The campaign the public capture would make on the first submission (its name and
        # its id under the capture's source), so later captures find it.
        campaign = Campaign.objects.create(
            name=capture.campaign_name(calculator),
            source_system=capture.SOURCE_SYSTEM,
            external_id=capture.campaign_id(calculator),
            channel=channel,
            kind=Campaign.Kind.ALWAYS_ON,
            starts_on=version.published_at.date(),
            owner=owner,
        )
        Calculator.objects.filter(pk=calculator.pk).update(campaign=campaign)
        live[calculator.pk] = (calculator, version, campaign)
    roi_from = live[roi.pk][1].published_at
    tco_from = live[tco.pk][1].published_at

    touches = list(
        Touchpoint.objects.filter(
            kind=Touchpoint.Kind.CALCULATOR, occurred_at__gte=roi_from, occurred_at__lt=world.until
        )
        .order_by("occurred_at", "id")
        .values_list("id", "lead_id", "occurred_at")
    )
    # A direct visitor's form fill that created the lead: half of them were a calculator's.
    forms = [
        touch
        for touch in Touchpoint.objects.filter(
            kind=Touchpoint.Kind.FORM_FILL,
            channel__key="direct",
            lead__source__key="direct",
            occurred_at=F("lead__created_at"),
            occurred_at__gte=roi_from,
            occurred_at__lt=world.until,
        )
        .order_by("occurred_at", "id")
        .values_list("id", "lead_id", "occurred_at")
        if rng.random() < SOURCED_SHARE
    ]
    sourced = {touch_id for touch_id, _, _ in forms}
    chosen: dict[int, list] = {roi.pk: [], tco.pk: []}
    for touch in sorted(touches + forms, key=lambda t: (t[2], t[0])):
        both = touch[2] >= tco_from
        pick = tco.pk if both and rng.random() < TCO_SHARE else roi.pk
        chosen[pick].append(touch)

    for pk, picked in chosen.items():
        _, _, campaign = live[pk]
        ids = [touch_id for touch_id, _, _ in picked]
        Touchpoint.objects.filter(id__in=ids).update(channel=channel, campaign=campaign)
    Touchpoint.objects.filter(id__in=sourced).update(kind=Touchpoint.Kind.CALCULATOR)
    new_leads = [lead_id for _, lead_id, _ in forms]
    Lead.objects.filter(id__in=new_leads).update(source=channel)
    Opportunity.objects.filter(primary_lead__in=new_leads, source__key="direct").update(
        source=channel
    )

    leads = dict(
        Lead.objects.filter(id__in={t[1] for p in chosen.values() for t in p}).values_list(
            "id", "account__employees"
        )
    )
    emails = dict(Lead.objects.filter(id__in=leads).values_list("id", "email"))
    accounts = dict(Lead.objects.filter(id__in=leads).values_list("id", "account_id"))
    visits, submissions = [], []
    for pk, picked in chosen.items():
        calculator, version, _ = live[pk]
        keys = [item["key"] for item in version.inputs]
        weights = [STOP_WEIGHTS.get(key, 1) for key in keys]
        for touch_id, lead_id, at in picked:
            employees = leads.get(lead_id) or int(rng.lognormvariate(5.3, 1.2)) + 5
            raw = INPUTS[calculator.kind](rng, employees)
            result = compute.compute(version, compute.read_inputs(version, raw))
            viewed = at - timedelta(seconds=rng.randrange(90, 900))
            visit = Visit(
                calculator=calculator,
                version=version,
                token=_token(rng),
                viewed_at=viewed,
                started_at=viewed + timedelta(seconds=rng.randrange(10, 80)),
                last_input=keys[-1],
                completed_at=at,
            )
            visits.append(visit)
            submissions.append(
                Submission(
                    calculator=calculator,
                    version=version,
                    source=Submission.Source.PUBLIC,
                    email=emails[lead_id],
                    lead_id=lead_id,
                    account_id=accounts[lead_id],
                    touchpoint_id=touch_id,
                    visit=visit,
                    lead_was_new=touch_id in sourced,
                    inputs=result.stored_inputs(),
                    results=result.stored_values(),
                    created_at=at,
                )
            )
            # The anonymous visits around it: some only looked, some stopped part-way.
            for _ in range(_about(rng, LOOKED[calculator.kind])):
                seen = _near(rng, at, version.published_at, world.until)
                visits.append(
                    Visit(calculator=calculator, version=version, token=_token(rng), viewed_at=seen)
                )
            for _ in range(_about(rng, STOPPED[calculator.kind])):
                seen = _near(rng, at, version.published_at, world.until)
                visits.append(
                    Visit(
                        calculator=calculator,
                        version=version,
                        token=_token(rng),
                        viewed_at=seen,
                        started_at=seen + timedelta(seconds=rng.randrange(10, 80)),
                        last_input=rng.choices(keys, weights)[0],
                    )
                )
    Visit.objects.bulk_create(visits, batch_size=2000)
    for submission in submissions:
        submission.visit_id = submission.visit.pk
    Submission.objects.bulk_create(submissions, batch_size=1000)


def _token(rng: random.Random) -> str:
    return f"demo{rng.getrandbits(152):038x}"  # 42 characters, like a real one


def _about(rng: random.Random, mean: float) -> int:
    """A whole number of visits averaging `mean`."""
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def _near(rng: random.Random, at: datetime, first: datetime, until: datetime) -> datetime:
    """A moment within two weeks of `at`, while the calculator was live."""
    moment = at + timedelta(seconds=rng.randrange(-14 * 86400, 14 * 86400))
    return min(max(moment, first), until - timedelta(seconds=1))
