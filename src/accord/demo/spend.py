"""The demo company's spend beyond campaigns: people, tools and an SEO agency, per month."""

from datetime import date, datetime
from decimal import Decimal

from accord.analytics.months import between as month_range
from accord.attribution.actions import request_run
from accord.attribution.compute import compute_run, default_period
from accord.attribution.models import Spend, UnitEconomics
from accord.crm.models import Channel
from accord.people.models import Team

# Monthly fully loaded cost of one member of a team of this kind, in dollars at the end of
# the history; the side it counts on. Operations serves both: half on each side.
PEOPLE = {
    Team.Kind.MARKETING: (14_000, "marketing"),
    Team.Kind.CONTENT: (11_500, "marketing"),
    Team.Kind.SALES: (21_000, "sales"),  # salary, commission, benefits
    Team.Kind.SDR: (9_500, "sales"),
}
OPERATIONS = 12_500
TOOLS = {"marketing": 14_000, "sales": 11_000}  # automation, CRM seats, data
# Programs a channel runs outside its campaigns, a month: the agency that writes the SEO
# content, the bonuses paid to customers whose referral became a deal (the referral
# campaigns hold only the program's tooling), and the freelancers who write and design the
# nurture emails (the nurture campaigns hold only the sends).
PROGRAMS = {
    "organic_search": ("SEO agency", 8_500),
    "referral": ("Referral bonuses", 6_000),
    "email_nurture": ("Nurture copy and design", 5_000),
}
GROWTH = Decimal("0.25")  # costs are this much lower at the start of the history


def install(start: date | datetime, until: date | datetime) -> int:
    """Write the demo's spend lines for every month of its history; how many."""
    headcount = {kind: 0 for kind in (*PEOPLE, Team.Kind.SALES_OPS)}
    for team in Team.objects.filter(kind__in=headcount).prefetch_related("members"):
        headcount[team.kind] += team.members.count()
    items = [
        (side, f"{Team.Kind(kind).label} team", dollars * headcount[kind], None)
        for kind, (dollars, side) in PEOPLE.items()
        if headcount[kind]
    ]
    ops = OPERATIONS * headcount[Team.Kind.SALES_OPS] / 2
    items += [
        ("marketing", "Operations (half)", ops, None),
        ("sales", "Operations (half)", ops, None),
    ]
    items += [(side, "Tools and data", dollars, None) for side, dollars in TOOLS.items()]
    for channel in Channel.objects.filter(key__in=PROGRAMS).order_by("key"):
        label, dollars = PROGRAMS[channel.key]
        items.append(("marketing", label, dollars, channel))
    months = month_range(_day(start), _day(until))
    lines = []
    for i, month in enumerate(months):
        level = 1 - GROWTH * (len(months) - 1 - i) / max(len(months) - 1, 1)
        lines += [
            Spend(
                month=month,
                side=side,
                label=label,
                amount=(Decimal(dollars) * level).quantize(Decimal("0.01")),
                channel=channel,
            )
            for side, label, dollars, channel in items
        ]
    Spend.objects.bulk_create(lines)
    UnitEconomics.objects.create(gross_margin=Decimal("0.78"), annual_churn=Decimal("0.18"))
    return len(lines)


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def queue_runs(until: date | datetime) -> None:
    """Have the worker compute both bases over the demo's last 365 days when it starts (the
    refresh keeps them current afterwards). Not where tasks run on the spot (tests)."""
    if not compute_run.get_backend().supports_defer:
        return
    start, end = default_period(_day(until))
    for basis in ("pipeline", "revenue"):
        request_run(None, basis, start, end)
