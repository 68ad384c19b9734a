"""Backtests: what a lead definition would have done to leads whose outcome is known.

Each lead created in the window is scored as it stood `window_days` (30) after it was
created, with the touchpoints it had by then, so the score cannot see the sales process
that followed. A lead "would have been MQL" when that score passes the definition. Its
outcome is what really happened: it reached opportunity (status opportunity or customer)
and it was won (customer).

    precision  = MQLs that were won / MQLs            (equal to mql_to_won)
    recall     = MQLs that were won / leads won        (how many future customers it finds)
    base_rate  = leads won / leads                     (what picking leads at random gives)

A definition worth signing has a precision well above the base rate. The work runs in the
database, one query per definition and month, and reports its progress as it goes.
"""

from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from accord.analytics.months import add_months
from accord.analytics.months import touching as month_span
from accord.analytics.scoring import Definition
from accord.people import permissions
from accord.qualify import queries, scoring, sql
from accord.qualify.models import BacktestRun, LeadDefinition

WINDOW_DAYS = queries.WINDOW_DAYS
BACKTEST_DENIED = "Only admins, leaders and managers run backtests."
COUNTS = ("leads", "mqls", "mql_opportunities", "mql_won", "opportunities", "won")


def default_window(today: date | None = None) -> tuple[date, date]:
    """The 12 months ending six months ago: recent enough to matter, old enough to be known."""
    today = today or timezone.now().date()
    to = add_months(today.replace(day=1), -6)
    return add_months(to, -12), to


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _month_counts(definition: Definition, start: date, end: date) -> dict:
    select, params = sql.scores_query(
        definition, window_days=WINDOW_DAYS, created_from=_moment(start), created_to=_moment(end)
    )
    passes, passes_params = sql.passes_sql(definition)
    query = (
        f"SELECT COUNT(*), "
        f"SUM(CASE WHEN {passes} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {passes} AND l.status IN ('opportunity', 'customer') THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {passes} AND l.status = 'customer' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN l.status IN ('opportunity', 'customer') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN l.status = 'customer' THEN 1 ELSE 0 END) "
        f"FROM ({select}) s JOIN {sql.LEAD} l ON l.id = s.lead_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*passes_params, *passes_params, *passes_params, *params])
        row = cursor.fetchone()
    return {name: int(value or 0) for name, value in zip(COUNTS, row, strict=True)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def summarise(counts: dict) -> dict:
    return {
        **counts,
        "precision": _share(counts["mql_won"], counts["mqls"]),
        "recall": _share(counts["mql_won"], counts["won"]),
        "base_rate": _share(counts["won"], counts["leads"]),
        "mql_to_opportunity": _share(counts["mql_opportunities"], counts["mqls"]),
        "mql_to_won": _share(counts["mql_won"], counts["mqls"]),
        "mql_share": _share(counts["mqls"], counts["leads"]),
    }


def backtest(definitions: list[LeadDefinition], start: date, end: date, progress=None) -> dict:
    """Replay each definition month by month on the leads created in [start, end)."""
    if start >= end:
        raise ValueError("The window must end after it starts.")
    months = month_span(start, end)
    steps, done = len(months) * len(definitions), 0
    results = []
    for definition in definitions:
        parsed = scoring.parse(definition, check_known=False)
        rows = []
        totals = dict.fromkeys(COUNTS, 0)
        for month in months:
            counts = _month_counts(parsed, max(month, start), min(add_months(month, 1), end))
            rows.append({"month": month.isoformat(), **summarise(counts)})
            for name in COUNTS:
                totals[name] += counts[name]
            done += 1
            if progress:
                progress(round(100 * done / steps))
        hits = queries.rule_hits(parsed, _moment(start), _moment(end))
        results.append(
            {
                "id": definition.pk,
                "version": definition.version,
                "name": definition.name,
                "status": definition.status,
                "condition": parsed.condition(),
                "totals": summarise(totals),
                "months": rows,
                "rules": [
                    {"kind": "Fit", "rule": rule.describe(), "label": rule.label, "hits": n}
                    for rule, n in zip(parsed.fit_rules, hits.fit, strict=True)
                ]
                + [
                    {"kind": "Engagement", "rule": rule.what(), "label": rule.label, "hits": n}
                    for rule, n in zip(parsed.engagement_rules, hits.engagement, strict=True)
                ],
            }
        )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "window_days": WINDOW_DAYS,
        "definitions": results,
    }


def start(actor, definition: LeadDefinition, start: date, end: date) -> BacktestRun:
    """Queue a backtest of `definition` beside the active one (the worker runs it)."""
    permissions.require(permissions.can_run_backtest(actor), BACKTEST_DENIED)
    if start >= end:
        raise ValueError("The window must end after it starts.")
    if end > timezone.now().date():
        raise ValueError("The window cannot end in the future: those outcomes are not known.")
    active = scoring.active_definition()
    run = BacktestRun.objects.create(
        definition=definition,
        compared_to=active if active and active.pk != definition.pk else None,
        window_from=start,
        window_to=end,
        created_by=actor,
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: run_backtest.enqueue(run.pk))
    return run


@task
def run_backtest(run_id: int) -> None:
    """The worker's part: run the backtest, reporting progress on the run as it goes."""
    backtest_run = BacktestRun.objects.select_related("definition", "compared_to").get(pk=run_id)
    BacktestRun.objects.filter(pk=run_id).update(status=BacktestRun.Status.RUNNING, progress=0)
    definitions = [backtest_run.definition]
    if backtest_run.compared_to is not None:
        definitions.append(backtest_run.compared_to)

    def progress(percent: int) -> None:
        BacktestRun.objects.filter(pk=run_id).update(progress=min(percent, 99))

    try:
        result = backtest(definitions, backtest_run.window_from, backtest_run.window_to, progress)
    except Exception as error:  # the page must say it failed, whatever the cause
        BacktestRun.objects.filter(pk=run_id).update(
            status=BacktestRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    BacktestRun.objects.filter(pk=run_id).update(
        status=BacktestRun.Status.DONE, progress=100, result=result, finished_at=timezone.now()
    )
