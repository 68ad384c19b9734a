"""An ROI calculator to build, the cast's marketing manager (mona) as its builder."""

import pytest

from accord.calculators import actions

ROI_TEXTS = {
    "horizon_months": 36,
    "inputs": """
analysts | Analysts on the team | whole | 1 | 10000 | 20 | people
hours_saved | Hours each saves a week | number | 0 | 40 | 5 | hours
salary | Average salary | money | 20000 | 500000 | 90000 | USD/year
licence | Licence per analyst a year | money | 0 | 10000 | 1200 | USD
implementation | Implementation cost | money | 0 | 1000000 | 25000 | USD
""",
    "assumptions": """
working_hours | Working hours a year | 1800 | OECD average hours worked, 2025
weeks_per_year | Working weeks a year | 46 | 52 weeks less holidays and leave
adoption | Share of analysts who adopt it | 80% | Our customers' median adoption, 2026
""",
    "tables": "",
    "values": """
hourly_cost | Cost of an analyst hour | salary / working_hours
annual_benefit | Benefit a year | analysts * hours_saved * weeks_per_year * hourly_cost * adoption
total_benefit | Total benefit | annual_benefit * horizon_months / 12
  output: money | Hours saved, valued at the salary, over the horizon
total_cost | Total cost | implementation + licence * analysts * horizon_months / 12
  output: money | Implementation plus licences over the horizon
net_value | Net value | total_benefit - total_cost
  output: money
roi | ROI | IF(total_cost > 0, ROUND(net_value / total_cost, 4), 0)
  output: percent | Net value divided by total cost
monthly_net | Net benefit a month | (annual_benefit - licence * analysts) / 12
payback | Payback | IF(monthly_net > 0, ROUND(implementation / monthly_net, 1), 0)
  output: months | Months until the benefit has paid for the implementation
""",
}


@pytest.fixture
def roi_content():
    from accord.calculators import lines

    return lines.parse(ROI_TEXTS)


@pytest.fixture
def calculator(cast):
    return actions.create_calculator(cast["mona"], name="Analyst ROI", kind="roi")


@pytest.fixture
def draft(calculator):
    return calculator.versions.get()


@pytest.fixture
def proposed(cast, draft, roi_content):
    version = actions.save_draft(cast["mona"], draft, roi_content)
    return actions.propose(cast["mona"], version)


@pytest.fixture
def published(cast, proposed):
    """The ROI calculator published: both leaders (carol for marketing, victor for sales)."""
    actions.approve(cast["carol"], proposed)
    actions.approve(cast["victor"], proposed)
    proposed.refresh_from_db()
    return proposed
