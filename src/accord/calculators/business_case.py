"""The business case of one submission: what a buyer takes to their CFO, as a page and a PDF.

`case(submission)` reads everything the page, the print view and the PDF show; nothing else
computes a figure for them. It is the submission's own version that speaks, retired or not:
its inputs, its assumptions with their sources, its formulas.

Results by year. A version's formulas see the horizon as `horizon_months` and compute totals
over it. Year N is the same formulas evaluated with `horizon_months` = 12 × N, so each output
is cumulative to the end of that year (year 3 of a 36-month calculator is the headline
figure). A money output also gets the year's own increment (this year's total less last
year's); a percentage or a plain number does not, since the difference of two ROIs is not
the ROI of a year. An output in months (a payback) is a duration, not an amount: it is shown
once, beside the headline, never by year.

The sensitivity. "The benefit" is every value of the version whose key or label names a
benefit ("annual_benefit", "Total benefit"). Halving all of them would halve twice where one
is computed from another (total benefit = benefit a year × years), so only those that no
other benefit value feeds are halved (`(formula) / 2`), and everything computed from them,
net value, ROI and payback included, is computed again by the version's own formulas. A
version that names no benefit gets no sensitivity line, and the page says why.

Money is shown with cents, percentages from their stored fractions, all from Decimal.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.core import signing
from django.urls import reverse

from accord.analytics import formulas
from accord.calculators import checks, compute, queries
from accord.calculators.models import Submission

PUBLIC_SALT = "accord.calculators.business-case"
PUBLIC_MAX_AGE = timedelta(days=90)
BENEFIT = re.compile(r"benefit", re.IGNORECASE)
NET = re.compile(r"net", re.IGNORECASE)
CENT = Decimal("0.01")


# --- The read model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One computed value as the case shows it."""

    key: str
    label: str
    format: str  # money, percent, number, months
    value: Decimal
    shown: str


@dataclass(frozen=True)
class Input:
    label: str
    value: Decimal  # as the formulas take it (a percentage as a fraction)
    shown: str  # as the buyer typed it: $90,000.00, 15%, Yes, Large
    unit: str
    help: str


@dataclass(frozen=True)
class Assumption:
    label: str
    value: Decimal
    shown: str
    source: str


@dataclass(frozen=True)
class Output:
    figure: Figure
    explain: str


@dataclass(frozen=True)
class Year:
    number: int
    months: int
    cumulative: list[Figure]  # one per yearly output, in the version's order
    increments: list[Figure | None]  # the year's own amount (money outputs), else None


@dataclass(frozen=True)
class Sensitivity:
    halved: list[str]  # labels of the benefit values halved
    figures: list[Figure]  # the outputs that moved, as computed with the benefit halved
    sentence: str


@dataclass(frozen=True)
class Bar:
    year: int
    shown: str
    x: int
    y: int
    width: int
    height: int
    negative: bool
    label_y: int


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    width: int
    height: int
    zero_y: int


@dataclass(frozen=True)
class BusinessCase:
    submission_id: int
    calculator: str
    kind: str
    description: str
    version: int
    version_status: str
    signed: bool  # both leaders signed the version's assumptions (it was published)
    created_at: datetime
    horizon_months: int
    inputs: list[Input]
    assumptions: list[Assumption]
    outputs: list[Output]
    yearly: list[str]  # the labels of the outputs shown by year
    years: list[Year]
    payback: Figure | None
    sensitivity: Sensitivity | None
    no_sensitivity: str  # why there is none, when there is none
    years_problem: str  # why there are no results by year, when there are none
    chart: Chart | None
    internal: dict = field(default_factory=dict)  # who and which lead: never shown publicly

    @property
    def shares(self) -> bool:
        """Whether an assumption looks like a share (between 0 and 1), to say how it reads."""
        return any(0 < a.value < 1 and not a.shown.endswith("%") for a in self.assumptions)

    def public(self) -> "BusinessCase":
        """The visitor's copy: the same figures, without the owner, the lead and its status."""
        return replace(self, internal={})


# --- Formatting ---------------------------------------------------------------------------


def money(value: Decimal) -> str:
    amount = value.quantize(CENT)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(CENT):,.2f}%"


def shown(value: Decimal, fmt: str) -> str:
    """An output in its format: money with cents, a percent from its fraction (0.4691 ->
    46.91%), months to one decimal, anything else to at most four places."""
    if fmt == "money":
        return money(value)
    if fmt == "percent":
        return percent(value)
    if fmt == "months":
        return f"{value.quantize(Decimal('0.1'))} months"
    return f"{value.quantize(Decimal('0.0001')).normalize():,f}"


def _plain_number(value: Decimal) -> str:
    text = f"{value.normalize():,f}"
    return text


def _input_shown(item: dict, value: Decimal) -> str:
    kind = item["type"]
    if kind == "money":
        return money(value)
    if kind == "percent":
        return f"{(value * 100).normalize():f}%"
    if kind == "yesno":
        return "Yes" if value else "No"
    if kind == "choice":
        return next(
            (c["label"] for c in item["choices"] if Decimal(c["value"]) == value),
            _plain_number(value),
        )
    return _plain_number(value)


def _figure(item: dict, value: Decimal) -> Figure:
    fmt = item.get("format") or "number"
    return Figure(item["key"], item["label"], fmt, value, shown(value, fmt))


def _lower_first(label: str) -> str:
    """'Net value' -> 'net value', but 'ROI' stays 'ROI'."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


# --- The case -----------------------------------------------------------------------------


def _evaluate(compiled: formulas.Compiled, inputs: dict, months: int) -> dict[str, Decimal]:
    return formulas.evaluate(compiled, {**inputs, checks.HORIZON: Decimal(months)})


def _names_benefit(value: dict) -> bool:
    return bool(BENEFIT.search(value["key"]) or BENEFIT.search(value["label"]))


def benefit_values(content: dict, depends: dict[str, set[str]]) -> list[str]:
    """The keys of the values that are 'the benefit' and halved by the sensitivity: those whose
    key or label names a benefit, less any that another of them feeds (`depends`: each
    value's values, as compiled)."""
    values = content["values"]
    named = {v["key"] for v in values if _names_benefit(v)}
    upstream: dict[str, set[str]] = {}

    def feeding(key: str) -> set[str]:
        if key not in upstream:
            upstream[key] = set()
            for name in depends.get(key, ()):
                upstream[key] |= {name} | feeding(name)
        return upstream[key]

    return [v["key"] for v in values if v["key"] in named and not (feeding(v["key"]) & named)]


def _halved(content: dict, keys: list[str]) -> dict:
    values = [
        {**v, "formula": f"({v['formula']}) / 2"} if v["key"] in keys else v
        for v in content["values"]
    ]
    return {**content, "values": values}


def _sensitivity(
    content: dict, depends: dict, inputs: dict, base: dict
) -> tuple[Sensitivity | None, str]:
    keys = benefit_values(content, depends)
    if not keys:
        return None, (
            "This calculator names no benefit (no value whose name or label says “benefit”), "
            "so there is no sensitivity line."
        )
    try:
        results = _evaluate(
            checks.compile_version(_halved(content, keys)), inputs, content["horizon_months"]
        )
    except formulas.FormulaError as error:
        return None, f"The benefit cannot be halved in these formulas: {error}."
    outputs = [v for v in content["values"] if v["is_output"]]
    named = {v["key"] for v in content["values"] if _names_benefit(v)}
    moved = [o for o in outputs if results[o["key"]] != base[o["key"]]]
    shown_ones = [o for o in moved if o["key"] not in named] or moved
    figures = [_figure(o, results[o["key"]]) for o in shown_ones]
    labels = {v["key"]: v["label"] for v in content["values"]}
    if figures:
        said = ", ".join(f"{_lower_first(f.label)} {f.shown}" for f in figures)
    else:
        said = "no result changes"
    return (
        Sensitivity(
            halved=[labels[k] for k in keys],
            figures=figures,
            sentence=f"If the benefit is half what we assume: {said}.",
        ),
        "",
    )


def _chart(title: str, figures: list[Figure]) -> Chart | None:
    """Bars of one money output's cumulative value by year, laid out for an inline SVG."""
    if not figures:
        return None
    width, height, top, left, gap = 480, 200, 22, 16, 24
    high = max(max(f.value for f in figures), Decimal(0))
    low = min(min(f.value for f in figures), Decimal(0))
    span = (high - low) or Decimal(1)
    # Room at the foot for the years' names, and for a value under a bar below zero.
    bottom = 24 + (18 if low < 0 else 0)
    plot = height - top - bottom
    zero_y = top + int((high / span) * plot)
    bar_width = (width - 2 * left - gap * (len(figures) - 1)) // len(figures)
    bars = []
    for n, figure in enumerate(figures):
        size = int(abs(figure.value) / span * plot)
        negative = figure.value < 0
        y = zero_y if negative else zero_y - size
        bars.append(
            Bar(
                year=n + 1,
                shown=figure.shown,
                x=left + n * (bar_width + gap),
                y=y,
                width=bar_width,
                height=max(size, 1),
                negative=negative,
                label_y=y + size + 14 if negative else max(y - 6, 12),
            )
        )
    return Chart(title=title, bars=bars, width=width, height=height, zero_y=zero_y)


def _internal(submission: Submission) -> dict:
    lead = submission.lead
    return {
        "source": submission.get_source_display(),
        "email": submission.email,
        "lead": lead,
        "lead_status": lead.get_status_display() if lead else "",
        "owner": lead.owner if lead else None,
        "account": submission.account,
        "opportunity": submission.opportunity,
        "created_by": submission.created_by,
        "based_on": submission.based_on_id,
        "calculator_id": submission.calculator_id,
    }


def _year(number: int, yearly: list[dict], values: dict, previous: dict) -> Year:
    """Year `number`: each output to the end of that year, and a money output's own amount."""
    return Year(
        number=number,
        months=number * 12,
        cumulative=[_figure(o, values[o["key"]]) for o in yearly],
        increments=[
            _figure(o, values[o["key"]] - previous.get(o["key"], Decimal(0)))
            if o.get("format") == "money"
            else None
            for o in yearly
        ],
    )


def case(submission: Submission) -> BusinessCase:
    """The business case of one submission, computed by its own version's formulas."""
    version = submission.version
    content = version.content()
    compiled = compute.compiled(version)
    inputs = {k: Decimal(v) for k, v in submission.inputs.items()}
    horizon = version.horizon_months
    # The stored results are what the buyer was shown (the server computed them too).
    headline = {k: Decimal(v) for k, v in submission.results.items()}
    years, years_problem, previous = [], "", {}
    try:
        headline = _evaluate(compiled, inputs, horizon) | headline
        outputs = [o for o in version.outputs if o["key"] in headline]
        yearly = [o for o in outputs if o.get("format") != "months"]
        for number in range(1, horizon // 12 + 1):
            end = number * 12
            values = headline if end == horizon else _evaluate(compiled, inputs, end)
            years.append(_year(number, yearly, values, previous))
            previous = values
    except formulas.FormulaError as error:
        outputs = [o for o in version.outputs if o["key"] in headline]
        yearly, years = [], []
        years_problem = f"The results by year cannot be computed from these numbers: {error}."
    durations = [o for o in outputs if o.get("format") == "months"]
    payback = next((o for o in durations if "payback" in (o["key"] + o["label"]).lower()), None)
    payback = payback or (durations[0] if durations else None)
    sensitivity, no_sensitivity = (
        _sensitivity(content, compiled.depends, inputs, headline)
        if years
        else (None, years_problem)
    )
    money_outputs = [o for o in yearly if o.get("format") == "money"]
    charted = next(
        (o for o in money_outputs if NET.search(o["key"]) or NET.search(o["label"])),
        money_outputs[-1] if money_outputs else None,
    )
    chart = None
    if charted is not None:
        position = yearly.index(charted)
        chart = _chart(
            f"Cumulative {_lower_first(charted['label'])} by year",
            [year.cumulative[position] for year in years],
        )
    return BusinessCase(
        submission_id=submission.pk,
        calculator=submission.calculator.name,
        kind=submission.calculator.get_kind_display(),
        description=submission.calculator.description,
        version=version.number,
        version_status=version.get_status_display(),
        signed=version.published_at is not None,
        created_at=submission.created_at,
        horizon_months=horizon,
        inputs=[
            Input(
                label=item["label"],
                value=inputs[item["key"]],
                shown=_input_shown(item, inputs[item["key"]]),
                unit=item.get("unit", ""),
                help=item.get("help", ""),
            )
            for item in version.inputs
            if item["key"] in inputs
        ],
        assumptions=[
            Assumption(
                label=a["label"],
                value=Decimal(a["value"]),
                shown=queries.assumption_shown(a),
                source=a["source"],
            )
            for a in version.assumptions
        ],
        outputs=[Output(_figure(o, headline[o["key"]]), o.get("explain", "")) for o in outputs],
        yearly=[o["label"] for o in yearly],
        years=years,
        payback=_figure(payback, headline[payback["key"]]) if payback else None,
        sensitivity=sensitivity,
        no_sensitivity=no_sensitivity,
        years_problem=years_problem,
        chart=chart,
        internal=_internal(submission),
    )


# --- The visitor's link -------------------------------------------------------------------


def public_token(submission: Submission) -> str:
    """A signed, salted token of the submission's id: the visitor's copy needs no login."""
    return signing.dumps(submission.pk, salt=PUBLIC_SALT, compress=False)


def submission_of_token(token: str) -> Submission | None:
    """The submission a token names, or None if it is tampered with, expired or gone."""
    try:
        pk = signing.loads(token, salt=PUBLIC_SALT, max_age=PUBLIC_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(pk, int):
        return None
    return for_case().filter(pk=pk).first()


def public_case_url(submission: Submission) -> str:
    """The path of the visitor's copy of the business case (valid for 90 days)."""
    return reverse("calculators:public_case", args=[public_token(submission)])


def public_case_pdf_url(submission: Submission) -> str:
    return reverse("calculators:public_case_pdf", args=[public_token(submission)])


def for_case():
    """Submissions with what a case reads, in one query."""
    return Submission.objects.select_related(
        "calculator",
        "version",
        "lead__owner",
        "account",
        "opportunity",
        "created_by",
    )
