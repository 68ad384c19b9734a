"""What the calculators earned: the read model behind the stats pages, the API and the
scoreboard's line, and the one place these numbers are computed.

For one calculator or all of them together, month by month in the company's time zone:

- views: visits to the public page (`Visit.viewed_at`); starts: visits where the visitor
  changed an input (`started_at`); completions: submissions on the public page.
- leads: the people those submissions were from, each counted once, in the month of their
  first submission in scope; new if that submission created the lead (`lead_was_new`),
  existing if we already knew them.
- What came of those leads is counted in that same month (the lead's cohort), so every rate
  in a month is a share of that month's leads: accepted, a lead that moved to accepted or
  further (SQL, opportunity, customer) after its first submission; pipeline, the amount of
  the opportunities of those leads (as primary lead) opened at or after that submission
  (influenced); won, the amount of those closed won. Sourced: the part of pipeline and won
  whose lead the calculator brought in (new at the submission). Recent cohorts have had less
  time to reach a deal.
- drop-off: visits that started but never completed, by the last input touched.
- medians: the median of each output across the visitors' submissions.
- credited: what the attribution models credited the calculators' campaigns, read from the
  stored trailing runs (never computed here).

Every figure comes from a handful of grouped queries whatever the number of rows; only
per-lead and per-opportunity rows of the calculators' own leads reach Python.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from statistics import median

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from accord.analytics.months import between, next_month
from accord.attribution import queries as attribution_queries
from accord.attribution.compute import LABELS as MODEL_LABELS
from accord.attribution.compute import MODELS
from accord.calculators.models import Calculator, CalculatorVersion, Submission, Visit
from accord.core import figures as kept_figures
from accord.crm.models import Campaign, Lead, LeadStatusChange, Opportunity

PUBLIC = Submission.Source.PUBLIC
# A lead "accepted" after its submission: moved to accepted or any status past it.
ACCEPTED_OR_LATER = (
    Lead.Status.ACCEPTED,
    Lead.Status.SQL,
    Lead.Status.OPPORTUNITY,
    Lead.Status.CUSTOMER,
)
WON = Opportunity.Stage.WON


def _zero() -> Decimal:
    return Decimal("0.00")


@dataclass(frozen=True)
class Step:
    """One step of the funnel: `count` of `of` made it (the rate is None with nothing to
    divide by). Stored as a fraction, shown as a percentage."""

    label: str
    count: int
    of: int

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.count) / Decimal(self.of) if self.of else None


@dataclass
class Figures:
    """One month's figures (or the total, `month` None)."""

    month: date | None = None
    views: int = 0
    starts: int = 0
    completions: int = 0
    leads: int = 0
    new_leads: int = 0
    accepted: int = 0
    opportunities: int = 0
    won_deals: int = 0
    pipeline: Decimal = field(default_factory=_zero)
    won: Decimal = field(default_factory=_zero)
    sourced_pipeline: Decimal = field(default_factory=_zero)
    sourced_won: Decimal = field(default_factory=_zero)
    # The same deals by when they happened rather than by the lead's month: pipeline opened
    # in the month and won revenue closed in it (what the scoreboard sets beside its own).
    opened: Decimal = field(default_factory=_zero)
    opened_sourced: Decimal = field(default_factory=_zero)
    closed_won: Decimal = field(default_factory=_zero)
    closed_won_sourced: Decimal = field(default_factory=_zero)

    @property
    def existing_leads(self) -> int:
        return self.leads - self.new_leads

    def add(self, other: "Figures") -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def steps(self) -> list[Step]:
        return [
            Step("Views that started", self.starts, self.views),
            Step("Starts that completed", self.completions, self.starts),
            Step("Leads accepted by sales", self.accepted, self.leads),
            Step("Accepted leads to opportunity", self.opportunities, self.accepted),
            Step("Opportunities won", self.won_deals, self.opportunities),
        ]

    def as_dict(self) -> dict:
        """The API's shape: counts, then money as Decimals."""
        return {
            **({"month": self.month} if self.month else {}),
            "views": self.views,
            "starts": self.starts,
            "completions": self.completions,
            "leads": self.leads,
            "new_leads": self.new_leads,
            "existing_leads": self.existing_leads,
            "accepted": self.accepted,
            "opportunities": self.opportunities,
            "won_deals": self.won_deals,
            "pipeline": self.pipeline,
            "won": self.won,
            "sourced_pipeline": self.sourced_pipeline,
            "sourced_won": self.sourced_won,
        }


COUNTED = tuple(
    name for name in Figures.__dataclass_fields__ if name != "month"
)  # every field but the month adds up


@dataclass
class Stats:
    calculators: list[Calculator]
    total: Figures
    by_month: list[Figures]
    drop_off: list[dict]  # {calculator, key, label, visits, share}
    medians: list[dict]  # {calculator, key, label, format, median, submissions}
    credited: dict | None  # see `credited`

    @property
    def empty(self) -> bool:
        return not self.by_month


def _zone():
    return timezone.get_default_timezone()


def _month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(_zone()).date()
    return value.replace(day=1)


def _month_start(month: date) -> datetime:
    return datetime.combine(month, time.min, tzinfo=_zone())


def _monthly_counts(queryset, *field_names: str) -> dict[str, dict[date, int]]:
    """{field: {month: rows whose field falls in it}}: the span first, then one count per
    month and field with plain range filters (truncating each row's date in the company's
    zone would run a function per row on SQLite)."""
    span = queryset.aggregate(
        **{f"first_{name}": Min(name) for name in field_names},
        **{f"last_{name}": Max(name) for name in field_names},
    )
    firsts = [span[f"first_{name}"] for name in field_names if span[f"first_{name}"]]
    if not firsts:
        return {name: {} for name in field_names}
    lasts = [span[f"last_{name}"] for name in field_names if span[f"last_{name}"]]
    months = between(_month(min(firsts)), _month(max(lasts)))
    bounds = [_month_start(m) for m in months] + [_month_start(next_month(months[-1]))]
    counted = queryset.aggregate(
        **{
            f"{name}_{i}": Count(
                "id", filter=Q(**{f"{name}__gte": bounds[i], f"{name}__lt": bounds[i + 1]})
            )
            for name in field_names
            for i in range(len(months))
        }
    )
    return {
        name: {m: counted[f"{name}_{i}"] for i, m in enumerate(months) if counted[f"{name}_{i}"]}
        for name in field_names
    }


def _by_month(scope: Q, today: date) -> list[Figures]:
    """Every month from the first visit or submission in scope to today's, with its figures."""
    visits = Visit.objects.filter(scope)
    public = Submission.objects.filter(scope, source=PUBLIC)
    months: dict[date, Figures] = defaultdict(Figures)
    seen = _monthly_counts(visits, "viewed_at", "started_at")
    for month, n in seen["viewed_at"].items():
        months[month].views += n
    for month, n in seen["started_at"].items():
        months[month].starts += n
    for month, n in _monthly_counts(public, "created_at")["created_at"].items():
        months[month].completions += n
    _leads_and_deals(public, months)
    by_month: list[Figures] = []
    if months:
        for month in between(min(months), max(max(months), _month(today))):
            figures = months.get(month) or Figures()
            figures.month = month
            by_month.append(figures)
    return by_month


def stats(calculator: Calculator | None = None, *, today: date | None = None) -> Stats:
    """The figures of one calculator, or of every calculator together (None)."""
    today = today or timezone.localdate(timezone.now(), _zone())
    if calculator is not None:
        calculators = [calculator]
        scope = Q(calculator=calculator)
    else:
        calculators = list(Calculator.objects.order_by("name", "id"))
        scope = Q()
    visits = Visit.objects.filter(scope)
    by_month = _by_month(scope, today)
    total = Figures()
    for figures in by_month:
        total.add(figures)
    return Stats(
        calculators=calculators,
        total=total,
        by_month=by_month,
        drop_off=drop_off(visits, calculators),
        medians=medians(calculator) if calculator is not None else [],
        credited=credited(calculators, every=calculator is None),
    )


def _leads_and_deals(public, months: dict[date, Figures]) -> None:
    """Leads by the month of their first submission in scope, and what came of them."""
    firsts = {
        row["lead"]: (row["first"], row["new"] > 0)
        for row in public.filter(lead__isnull=False)
        .values("lead")
        .annotate(first=Min("created_at"), new=Count("id", filter=Q(lead_was_new=True)))
        .order_by()
    }
    if not firsts:
        return
    lead_ids = public.filter(lead__isnull=False).values("lead")
    for first, new in firsts.values():
        figures = months[_month(first)]
        figures.leads += 1
        figures.new_leads += int(new)
    reached = (
        LeadStatusChange.objects.filter(lead__in=lead_ids, to_status__in=ACCEPTED_OR_LATER)
        .values("lead")
        .annotate(latest=Max("changed_at"))
        .order_by()
    )
    for row in reached:
        first, _ = firsts[row["lead"]]
        if row["latest"] >= first:
            months[_month(first)].accepted += 1
    deals = Opportunity.objects.filter(primary_lead__in=lead_ids).values_list(
        "primary_lead", "created_at", "closed_at", "amount", "stage"
    )
    for lead_id, created_at, closed_at, amount, stage in deals:
        first, new = firsts[lead_id]
        if created_at < first:
            continue  # the deal was open before the calculator: not its doing
        figures = months[_month(first)]
        figures.opportunities += 1
        figures.pipeline += amount
        if new:
            figures.sourced_pipeline += amount
        if stage == WON:
            figures.won_deals += 1
            figures.won += amount
            if new:
                figures.sourced_won += amount
        opened = months[_month(created_at)]
        opened.opened += amount
        if new:
            opened.opened_sourced += amount
        if stage == WON and closed_at is not None:
            closed = months[_month(closed_at)]
            closed.closed_won += amount
            if new:
                closed.closed_won_sourced += amount


def _inputs_and_outputs(calculators: list[Calculator]) -> dict[int, CalculatorVersion]:
    """Each calculator's published version, else its newest: whose labels the tables use."""
    shown: dict[int, CalculatorVersion] = {}
    for version in CalculatorVersion.objects.filter(calculator__in=calculators).order_by(
        "calculator", "-number"
    ):
        current = shown.get(version.calculator_id)
        if current is None or (
            version.status == CalculatorVersion.Status.PUBLISHED
            and current.status != CalculatorVersion.Status.PUBLISHED
        ):
            shown[version.calculator_id] = version
    return shown


def drop_off(visits, calculators: list[Calculator]) -> list[dict]:
    """Visits started but never completed, by calculator and the last input touched, in the
    inputs' order; `share` is of that calculator's dropped visits."""
    rows = (
        visits.filter(started_at__isnull=False, completed_at__isnull=True)
        .values("calculator", "last_input")
        .annotate(n=Count("id"))
        .order_by()
    )
    counted: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counted[row["calculator"]][row["last_input"]] = row["n"]
    if not counted:
        return []
    versions = _inputs_and_outputs(calculators)
    found = []
    for calculator in calculators:
        by_input = counted.get(calculator.pk)
        if not by_input:
            continue
        dropped = sum(by_input.values())
        version = versions.get(calculator.pk)
        inputs = [(i["key"], i["label"]) for i in (version.inputs if version else [])]
        known = {key for key, _ in inputs}
        unknown = sorted(key for key in by_input if key not in known)
        inputs += [(key, key or "(no input recorded)") for key in unknown]
        for key, label in inputs:
            if by_input.get(key):
                found.append(
                    {
                        "calculator": calculator,
                        "key": key,
                        "label": label,
                        "visits": by_input[key],
                        "share": Decimal(by_input[key]) / Decimal(dropped),
                    }
                )
    return found


def medians(calculator: Calculator) -> list[dict]:
    """The median of each output of the shown version across visitors' submissions."""
    version = _inputs_and_outputs([calculator]).get(calculator.pk)
    if version is None:
        return []
    values: dict[str, list[Decimal]] = defaultdict(list)
    for results in Submission.objects.filter(calculator=calculator, source=PUBLIC).values_list(
        "results", flat=True
    ):
        for key, value in (results or {}).items():
            values[key].append(Decimal(value))
    return [
        {
            "calculator": calculator,
            "key": output["key"],
            "label": output["label"],
            "format": output.get("format") or "",
            "median": median(values[output["key"]]),
            "submissions": len(values[output["key"]]),
        }
        for output in version.outputs
        if values.get(output["key"])
    ]


def credited(calculators: list[Calculator], *, every: bool = False) -> dict | None:
    """What each attribution model credited the calculators' campaigns in the latest stored
    trailing runs: {"runs": {basis: run}, "rows": [{model, label, pipeline, revenue}]}.
    The data-driven models credit channels, not campaigns: for `every` calculator together
    they read the credit of the calculators' channel (which holds only their campaigns); for
    one calculator they have no figure (None). None when no calculator has a campaign or no
    run has finished."""
    campaigns = {c.campaign_id for c in calculators if c.campaign_id}
    if not campaigns:
        return None
    runs = {basis: attribution_queries.latest_trailing(basis) for basis in ("pipeline", "revenue")}
    if not any(runs.values()):
        return None
    channels = (
        set(Campaign.objects.filter(pk__in=campaigns).values_list("channel__key", flat=True))
        if every
        else set()
    )
    rows = []
    for model in MODELS:
        row = {"model": model, "label": MODEL_LABELS[model]}
        for basis, run in runs.items():
            result = (run.result or {}).get("models", {}).get(model, {}) if run else {}
            if result.get("by_campaign"):
                items, key, wanted = result["by_campaign"], "campaign_id", campaigns
            elif channels and result.get("by_channel"):
                items, key, wanted = result["by_channel"], "channel", channels
            else:
                row[basis] = None
                continue
            row[basis] = sum(
                (Decimal(item["credit"]) for item in items if item.get(key) in wanted),
                Decimal(0),
            )
        rows.append(row)
    return {"runs": runs, "rows": rows}


# What the scoreboard's line reads: kept until one of these tables changes.
LINE_TABLES = kept_figures.table_names([Visit, Submission, LeadStatusChange, Opportunity])


def in_months(months: Sequence[date]) -> Figures | None:
    """Every calculator together over these months: the scoreboard's line, which reads
    `opened` and `closed_won` (the calculators' leads' deals opened, and won, in the months,
    as the scoreboard counts its own pipeline and bookings). None when no calculator has
    been visited yet."""
    months = list(months)
    by_month = _by_month(Q(), months[-1])
    if not by_month:
        return None
    chosen = set(months)
    total = Figures()
    for figures in by_month:
        if figures.month in chosen:
            total.add(figures)
    return total


def kept_in_months(months: Sequence[date]) -> kept_figures.Kept[Figures | None]:
    months = list(months)
    key = f"calculators.line:{timezone.get_default_timezone_name()}:{months[0]}:{len(months)}"
    return kept_figures.kept(key, LINE_TABLES, lambda: in_months(months))
