"""Read models of sales reuse on the deal: the business cases on a lead, an account or a
deal (grouped by thread), one thread's history (who changed which input from what to what,
and the results before and after), and promised against realised across won deals.

A business case's promise is its net value: the output keyed `net_value`, else its last money
output (the bottom line, as builders write them: a TCO's saving after its two costs). What a
deal realised is compared with the case it was sold on.
"""

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from accord.calculators import compute, queries
from accord.calculators.models import Calculator, CalculatorVersion, Realisation, Submission
from accord.crm.models import Account, Lead, Opportunity

PROMISE_KEY = "net_value"
MAX_DEPTH = 200  # a thread deeper than this is cut (a loop cannot happen, but never hang)


def _loaded(where: Q) -> QuerySet:
    return Submission.objects.filter(where).select_related(
        "calculator", "version", "created_by", "lead", "opportunity", "account"
    )


def cases_for_lead(lead: Lead) -> QuerySet:
    return _loaded(Q(lead=lead) | Q(opportunity__primary_lead=lead))


def cases_for_account(account: Account) -> QuerySet:
    return _loaded(Q(account=account) | Q(lead__account=account) | Q(opportunity__account=account))


def cases_on(opportunity: Opportunity) -> QuerySet:
    """The business cases of a deal: those filed on it, and its primary contact's own that
    were never moved onto a deal."""
    where = Q(opportunity=opportunity)
    if opportunity.primary_lead_id:
        where |= Q(lead_id=opportunity.primary_lead_id, opportunity=None)
    return _loaded(where)


def latest_case(opportunity: Opportunity) -> Submission | None:
    """The case the deal stands on: the newest filed on it, else its contact's newest."""
    cases = cases_on(opportunity).order_by("-created_at", "-id")
    return cases.filter(opportunity=opportunity).first() or cases.first()


def promised(submission: Submission) -> Decimal | None:
    """The net value the case promised (see the module's note), or None if it has none."""
    if PROMISE_KEY in submission.results:
        return Decimal(submission.results[PROMISE_KEY])
    for item in reversed(submission.version.outputs):
        if item.get("format") == "money" and item["key"] in submission.results:
            return Decimal(submission.results[item["key"]])
    return None


def shown_input(item: dict | None, stored: str | None) -> str:
    """An input as the buyer typed it: a percentage in percent, money with separators, a
    choice by its label, yes or no."""
    if stored is None:
        return "—"
    if item is None:
        return stored
    value = Decimal(stored)
    kind = item["type"]
    if kind == "percent":
        return f"{(value * 100).normalize():f}%"
    if kind == "money":
        return f"{value.quantize(Decimal('0.01')):,f}".removesuffix(".00")
    if kind == "yesno":
        return "yes" if value else "no"
    if kind == "choice":
        for choice in item.get("choices", []):
            if Decimal(choice["value"]) == value:
                return choice["label"]
    return f"{value.normalize():,f}"


def outputs(submission: Submission) -> list[dict]:
    """The case's outputs as the buyer reads them: [{key, label, shown}]."""
    found = []
    for item in submission.version.outputs:
        if item["key"] in submission.results:
            value = Decimal(submission.results[item["key"]])
            found.append({**item, "shown": queries.shown_value(value, item)})
    return found


def author(submission: Submission) -> str:
    if submission.source == Submission.Source.PUBLIC:
        return "the visitor" + (f" ({submission.email})" if submission.email else "")
    return str(submission.created_by or "someone since removed")


def preview(version: CalculatorVersion, raw_inputs: dict) -> dict:
    """What the adjust form would save, computed and not stored: the outputs, or the problems
    naming each input (the same reading and computing as the verb)."""
    try:
        result = compute.compute(version, compute.read_inputs(version, raw_inputs))
    except ValidationError as error:
        return {"outputs": [], "problems": [m for ms in error.message_dict.values() for m in ms]}
    shown = [
        {**item, "shown": queries.shown_value(result.values[item["key"]], item)}
        for item in version.outputs
        if item["key"] in result.values
    ]
    return {"outputs": shown, "problems": []}


# --- Threads --------------------------------------------------------------------------------


def _roots(found: list[Submission]) -> dict[int, int]:
    """Each submission's thread: the id of its first version (walking `based_on`)."""
    parent = {s.pk: s.based_on_id for s in found}
    missing = {p for p in parent.values() if p is not None and p not in parent}
    while missing:
        more = dict(Submission.objects.filter(pk__in=missing).values_list("pk", "based_on_id"))
        parent.update(more)
        missing = {p for p in more.values() if p is not None and p not in parent}
    roots = {}
    for pk in parent:
        at, steps = pk, 0
        while parent.get(at) is not None and steps < MAX_DEPTH:
            at, steps = parent[at], steps + 1
        roots[pk] = at
    return roots


@dataclass
class Thread:
    root_id: int
    versions: list[Submission] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> Submission:
        return self.versions[-1]

    @property
    def first(self) -> Submission:
        return self.versions[0]


def threads(cases: QuerySet) -> list[dict]:
    """The cases grouped by thread, the most recently changed first; each with its latest
    version's outputs and who made it."""
    found = list(cases.order_by("created_at", "id"))
    roots = _roots(found)
    grouped: dict[int, Thread] = {}
    for submission in found:
        grouped.setdefault(roots[submission.pk], Thread(roots[submission.pk])).versions.append(
            submission
        )
    ordered = sorted(
        grouped.values(), key=lambda t: (t.latest.created_at, t.latest.pk), reverse=True
    )
    return [
        {
            "thread": t,
            "latest": t.latest,
            "count": len(t.versions),
            "outputs": outputs(t.latest),
            "author": author(t.latest),
            "started_by": author(t.first),
        }
        for t in ordered
    ]


def thread_of(submission: Submission) -> list[Submission]:
    """Every version of the submission's thread, oldest first (its first version, then each
    adjustment of it and of those, however they branched)."""
    root, steps = submission, 0
    while root.based_on_id is not None and steps < MAX_DEPTH:
        root, steps = Submission.objects.get(pk=root.based_on_id), steps + 1
    found, frontier = {root.pk}, [root.pk]
    while frontier and len(found) < 10_000:
        frontier = list(
            Submission.objects.filter(based_on__in=frontier)
            .exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        found.update(frontier)
    return list(
        _loaded(Q(pk__in=found)).select_related("based_on__version").order_by("created_at", "id")
    )


def changes(submission: Submission) -> dict:
    """What one version changed from the one it was based on: the version, each input
    (label, from, to) and each output (label, before, after)."""
    base = submission.based_on
    version = submission.version
    items = {item["key"]: item for item in version.inputs}
    if base is None:
        return {
            "version_changed": False,
            "inputs": [
                {"label": item["label"], "before": None, "after": shown_input(item, v)}
                for key, v in submission.inputs.items()
                if (item := items.get(key))
            ],
            "outputs": [{**o, "before": None, "after": o["shown"]} for o in outputs(submission)],
        }
    old_items = {item["key"]: item for item in base.version.inputs}
    keys = list(items) + [k for k in old_items if k not in items]
    inputs = []
    for key in keys:
        before, after = base.inputs.get(key), submission.inputs.get(key)
        if before is not None and after is not None and Decimal(before) == Decimal(after):
            continue
        item = items.get(key) or old_items[key]
        inputs.append(
            {
                "label": item["label"],
                "before": shown_input(old_items.get(key), before),
                "after": shown_input(items.get(key), after),
            }
        )
    old_outputs = {o["key"]: o["shown"] for o in outputs(base)}
    return {
        "version_changed": base.version_id != submission.version_id,
        "inputs": inputs,
        "outputs": [
            {**o, "before": old_outputs.get(o["key"], "—"), "after": o["shown"]}
            for o in outputs(submission)
        ],
    }


# --- Promised against realised --------------------------------------------------------------


def promised_realised(calculator: Calculator) -> dict:
    """Every won deal whose realised value was recorded against one of this calculator's
    cases: promised (net value), realised, realised / promised; the median of those ratios,
    and a chart of both by deal."""
    realisations = (
        Realisation.objects.filter(
            submission__calculator=calculator, opportunity__stage=Opportunity.Stage.WON
        )
        .select_related("opportunity__account", "submission__version", "recorded_by")
        .order_by("opportunity__closed_at", "opportunity__close_date", "opportunity_id")
    )
    rows = []
    for realisation in realisations:
        promise = promised(realisation.submission)
        ratio = None
        if promise is not None and promise > 0:
            ratio = (realisation.realised_value / promise).quantize(Decimal("0.01"))
        rows.append(
            {
                "realisation": realisation,
                "opportunity": realisation.opportunity,
                "promised": promise,
                "realised": realisation.realised_value,
                "ratio": ratio,
            }
        )
    ratios = [row["ratio"] for row in rows if row["ratio"] is not None]
    return {
        "rows": rows,
        "median_ratio": statistics.median(ratios) if ratios else None,
        "total_promised": sum((r["promised"] or 0 for r in rows), Decimal(0)),
        "total_realised": sum((r["realised"] for r in rows), Decimal(0)),
        "chart": {
            "labels": [str(row["opportunity"]) for row in rows],
            "datasets": [
                {"label": "Promised", "values": [float(r["promised"] or 0) for r in rows]},
                {
                    "label": "Realised",
                    "values": [float(r["realised"]) for r in rows],
                    "color": "#12b886",
                },
            ],
        },
    }


def published(calculator: Calculator) -> CalculatorVersion | None:
    return calculator.versions.filter(status=CalculatorVersion.Status.PUBLISHED).first()
