# ruff: noqa: E501 - the line format is one item a line, as a builder types it
"""The demo's value calculators: an ROI calculator for its data platform, published with the
signatures of both leaders (the CMO and the VP Sales), and a TCO comparison still a draft.
Built through the verbs, so the demo's calculators pass the same checks as anybody's."""

from accord.calculators import actions, lines
from accord.calculators.models import Calculator
from accord.people.models import User

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


def install() -> Calculator:
    people = {
        u.username: u
        for u in User.objects.filter(username__in=("marketing.manager", "cmo", "vp.sales"))
    }
    builder = people["marketing.manager"]
    roi = actions.create_calculator(
        builder,
        name="Analytics platform ROI",
        kind="roi",
        description="What the platform returns on your analysts' time over three years.",
    )
    version = actions.save_draft(
        builder, roi.versions.get(), lines.parse(ROI), note="First version for the website."
    )
    version = actions.propose(builder, version)
    actions.approve(people["cmo"], version)
    actions.approve(people["vp.sales"], version)
    tco = actions.create_calculator(
        builder,
        name="Warehouse TCO comparison",
        kind="tco",
        description="Three years of your warehouse beside three years of ours.",
    )
    actions.save_draft(
        builder, tco.versions.get(), lines.parse(TCO), note="Draft: prices to check."
    )
    return roi
