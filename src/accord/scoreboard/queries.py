"""Read models for the scoreboard: what actually happened, month by month, against the plan.

Set-based: every figure comes from a grouped query; nothing loops over leads or
opportunities in Python. Months are calendar months in the configured time zone, the
same whole days the lead and opportunity lists filter on, so every drill-down link shows
exactly the rows behind the number it sits on.

What counts, by plan stage:

- lead: leads created in the month;
- mql, sal, sql: leads whose first status change to that status or a later one in
  new < mql < accepted < sql < opportunity < customer falls in the month (imports can
  skip stages, so a lead created as an SQL is an MQL and an accepted lead too);
- opportunity: opportunities created in the month, whatever their source (the plan's
  opportunities include sales- and partner-sourced deals that have no lead); leads
  reaching the opportunity status are shown beside them;
- won: opportunities closed won in the month (`closed_at`), and their amount as bookings.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from accord.analytics import pacing
from accord.analytics.funnel import STAGE_LABELS, STAGES
from accord.analytics.months import days_in, last_day
from accord.analytics.pacing import Period
from accord.calculators import stats as calculator_stats
from accord.core import figures
from accord.crm.models import Channel, Opportunity
from accord.crm.queries import OPEN_STAGES, kept_win_rates
from accord.plan import coverage
from accord.plan import queries as plan_queries
from accord.plan.actuals import LEAD_STATUS, Actuals, kept_actuals
from accord.plan.models import PlanRevision
from accord.plan.queries import MARKETING, plan_by_month, rolling_summary

# Plan stage -> the lead status that marks it.
GROUPS = tuple(Channel.Group.values)


# --- Drill-down links ------------------------------------------------------------------------


def _url(name: str, **params) -> str:
    return f"{reverse(name)}?{urlencode({k: v for k, v in params.items() if v})}"


def drill_down(metric: str, first: date, last: date) -> str:
    """The list of the leads or opportunities behind a metric from `first` to `last`."""
    days = {"from": first.isoformat(), "to": last.isoformat()}
    if metric == "lead":
        return _url("crm:leads", date_from=days["from"], date_to=days["to"])
    if metric in ("mql", "sal", "sql", "lead_opportunity", "mql_marketing"):
        stage = metric.removeprefix("lead_").removesuffix("_marketing")
        return _url(
            "crm:leads",
            reached=LEAD_STATUS[stage],
            reached_from=days["from"],
            reached_to=days["to"],
            source_group=MARKETING if metric.endswith("_marketing") else "",
        )
    if metric in ("opportunity", "pipeline", "marketing_pipeline"):
        return _url(
            "crm:opportunities",
            date_from=days["from"],
            date_to=days["to"],
            source_group=MARKETING if metric == "marketing_pipeline" else "",
        )
    if metric in ("won", "bookings"):
        return _url(
            "crm:opportunities", stage="won", closed_from=days["from"], closed_to=days["to"]
        )
    raise ValueError(f"No list for {metric!r}.")


def open_pipeline_url(stage: str, period: Period) -> str:
    return _url(
        "crm:opportunities",
        stage=stage,
        closes_from=period.start.isoformat(),
        closes_to=period.last_day.isoformat(),
    )


# --- Forecast inputs --------------------------------------------------------------------------


def open_pipeline(period: Period) -> dict[str, tuple[int, Decimal]]:
    """Open opportunities expected to close inside the period: stage -> (count, amount)."""
    rows = (
        Opportunity.objects.exclude(stage__in=Opportunity.CLOSED_STAGES)
        .filter(close_date__gte=period.start, close_date__lt=period.end)
        .values("stage")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    return {r["stage"]: (r["n"], r["amount"] or Decimal(0)) for r in rows}


PIPELINE_TABLES = figures.table_names([Opportunity])


def kept_open_pipeline(period: Period):
    """open_pipeline(period), kept until an opportunity is written (accord.core.figures)."""
    return figures.kept(
        f"scoreboard:open_pipeline:{period.start}:{period.end}",
        PIPELINE_TABLES,
        lambda: open_pipeline(period),
    )


# --- The page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    team: str  # "sales", "marketing" or "" (the shared funnel)
    money: bool = False


METRICS = (
    Metric("lead", "Leads created", ""),
    Metric("mql", "MQLs", "marketing"),
    Metric("sal", "Accepted (SAL)", ""),
    Metric("sql", "SQLs", ""),
    Metric("opportunity", "Opportunities created", "sales"),
    Metric("won", "Deals won", "sales"),
    Metric("bookings", "Bookings", "sales", money=True),
    Metric("pipeline", "Pipeline created", "sales", money=True),
    Metric("mql_marketing", "Marketing-sourced MQLs", "marketing"),
    Metric("marketing_pipeline", "Marketing-sourced pipeline", "marketing", money=True),
)
TEAM_KPIS = {
    "sales": ("bookings", "won", "pipeline"),
    "marketing": ("mql_marketing", "marketing_pipeline"),
}


def _actual_by_month(found: Actuals) -> dict[str, list]:
    return {
        **found.counts,
        **found.amounts,
        "mql_marketing": found.group("mql", MARKETING),
        "marketing_pipeline": found.group("pipeline", MARKETING),
    }


def _cell(metric: str, month: date, plan, actual, share: Decimal) -> dict:
    started = share > 0
    return {
        "month": month,
        "plan": plan,
        "actual": actual if started else None,
        "link": drill_down(metric, month, last_day(month)) if started else "",
        "state": pacing.pace([plan], [actual], [share]).state if started else "",
        "current": 0 < share < 1,
    }


@dataclass(frozen=True)
class Timeline:
    """Where a period stands at a moment: each plan month's elapsed share."""

    plan_months: list[date]
    period: Period
    shares: list[Decimal]

    @property
    def in_period(self) -> list[int]:
        return [i for i, m in enumerate(self.plan_months) if m in self.period.months]

    @property
    def started(self) -> list[int]:
        return [i for i in self.in_period if self.shares[i] > 0]

    @property
    def to_date_last(self) -> date:
        """The last day "to date" covers: the end of the current month (nothing is
        recorded after now, and the lists filter by whole days)."""
        started = self.started
        return last_day(self.plan_months[started[-1]]) if started else self.period.start

    def to_date_link(self, metric: str) -> str:
        return drill_down(metric, self.period.start, self.to_date_last) if self.started else ""

    def current(self) -> dict | None:
        for i in self.in_period:
            if 0 < self.shares[i] < 1:
                month, share = self.plan_months[i], self.shares[i]
                days = days_in(month)
                return {"month": month, "share": share, "days": share * days, "of_days": days}
        return None


def _pacing_rows(funnel, revision: PlanRevision, timeline: Timeline, found: Actuals) -> dict:
    planned = plan_by_month(funnel, revision)
    actual = _actual_by_month(found)
    months, shares, in_period = timeline.plan_months, timeline.shares, timeline.in_period
    rows = {}
    for metric in METRICS:
        key = metric.key
        rows[key] = {
            "metric": metric,
            "pace": pacing.pace(
                [planned[key][i] for i in in_period],
                [actual[key][i] for i in in_period],
                [shares[i] for i in in_period],
            ),
            "link": timeline.to_date_link(key),
            "cells": [
                _cell(key, months[i], planned[key][i], actual[key][i], shares[i]) for i in in_period
            ],
        }
    return rows


def _far_off(rows: dict, timeline: Timeline) -> list[dict]:
    """The metrics running below half or above twice their plan to date, once at least one
    whole month of the period has gone by."""
    if not any(timeline.shares[i] == 1 for i in timeline.in_period):
        return []
    far = []
    for metric in METRICS:
        ratio = rows[metric.key]["pace"].ratio
        if ratio is not None and not pacing.FAR_BELOW <= ratio <= pacing.FAR_ABOVE:
            far.append({"metric": metric, "ratio": ratio, "below": ratio < pacing.FAR_BELOW})
    return far


def _lead_opportunities(timeline: Timeline, found: Actuals) -> dict:
    """Leads reaching the opportunity status: shown beside opportunities, not planned."""
    counts = found.counts["lead_opportunity"]
    return {
        "total": sum(counts[i] for i in timeline.started),
        "link": timeline.to_date_link("lead_opportunity"),
        "cells": [
            _cell("lead_opportunity", timeline.plan_months[i], 0, counts[i], timeline.shares[i])
            for i in timeline.in_period
        ],
    }


def _forecast(funnel, revision: PlanRevision, timeline: Timeline, rows: dict, rates: dict, now,
              pipeline: dict):  # fmt: skip
    plan_rate = Decimal(revision.rates["opp_won"])
    forecast = pacing.forecast(
        period=timeline.period,
        today=now.date(),
        won_amount=rows["bookings"]["pace"].actual,
        won_count=int(rows["won"]["pace"].actual),
        open_pipeline=pipeline,
        rates=rates,
        plan_months=timeline.plan_months,
        plan_opportunities=funnel.monthly["opportunity"],
        plan_rate=plan_rate,
        asp=revision.asp,
        lag_days=int(revision.lags.get("opp_won", 0)),
        target=rows["bookings"]["pace"].plan,
    )
    labels = dict(Opportunity.Stage.choices)
    return {
        "forecast": forecast,
        "forecast_rows": [
            {
                "line": line,
                "label": labels[line.stage],
                "link": open_pipeline_url(line.stage, timeline.period),
            }
            for line in forecast.open
        ],
        "win_rates": [{"stage": labels[s], "win": rates[s]} for s in OPEN_STAGES],
    }


def _charts(funnel, revision: PlanRevision, timeline: Timeline, rows: dict, found: Actuals):
    asp = revision.asp
    return {
        "funnel_chart": {
            "labels": [STAGE_LABELS[s] for s in STAGES],
            "datasets": [
                {
                    "label": "Plan to date",
                    "values": [round(rows[s]["pace"].plan_to_date) for s in STAGES],
                },
                {"label": "Actual", "values": [int(rows[s]["pace"].actual) for s in STAGES]},
            ],
        },
        # The whole plan year, whatever the period: a month on its own makes no line.
        "bookings_chart": {
            "labels": [f"{m:%b %Y}" for m in timeline.plan_months],
            "datasets": [
                {"label": "Plan", "values": [float(n * asp) for n in funnel.monthly["won"]]},
                {
                    "label": "Actual",
                    "values": [
                        float(v) if share > 0 else None
                        for v, share in zip(found.amounts["bookings"], timeline.shares, strict=True)
                    ],
                },
            ],
        },
    }


def _coverage(found: coverage.Coverage) -> dict:
    return {
        "coverage": found,
        "coverage_chart": {
            "labels": [f"{w.starts:%b %-d}" for w in found.weeks],
            "datasets": [
                {
                    "label": "Pipeline for next quarter",
                    "values": [float(w.built) for w in found.weeks],
                },
                {
                    "label": f"Pace to {found.ratio_wanted.normalize():f}× coverage",
                    "values": [float(w.pace) for w in found.weeks],
                },
            ],
        },
    }


def scoreboard(revision: PlanRevision, period: Period, now: datetime) -> dict:
    """Everything the scoreboard page shows for one plan revision and period."""
    with figures.holding_now(now):
        return _scoreboard(revision, period, timezone.localtime(now))


def _scoreboard(revision: PlanRevision, period: Period, now: datetime) -> dict:
    kept_funnel = plan_queries.kept_funnel(revision, now)
    funnel = kept_funnel.value
    plan_months = list(funnel.months)
    timeline = Timeline(plan_months, period, [pacing.elapsed(m, now) for m in plan_months])
    kept_found = kept_actuals(plan_months)
    found = kept_found.value
    kept_rates = kept_win_rates(now, Decimal(revision.rates["opp_won"]))
    kept_coverage = coverage.kept_next_quarter(funnel, revision, now)
    # Beside marketing's own figures: what the value calculators' leads brought in.
    kept_calculators = calculator_stats.kept_in_months(period.months)
    kept_pipeline = kept_open_pipeline(period)
    rows = _pacing_rows(funnel, revision, timeline, found)
    return {
        "plan": revision.plan,
        "revision": revision,
        "period": period,
        "periods": pacing.periods(plan_months),
        "months": [plan_months[i] for i in timeline.in_period],
        "rows": [rows[m.key] for m in METRICS],
        "lead_opportunity": _lead_opportunities(timeline, found),
        "teams": {team: [rows[key] for key in keys] for team, keys in TEAM_KPIS.items()},
        "proration": timeline.current(),
        "started": bool(timeline.started),
        "period_over": now.date() >= period.end,
        "has_actuals": any(rows[k]["pace"].actual for k in ("lead", "opportunity", "won")),
        "far_off": _far_off(rows, timeline),
        "won_link": rows["won"]["link"],
        "rolling": rolling_summary(funnel, revision),
        **_coverage(kept_coverage.value),
        "behind_below": pacing.BEHIND_BELOW,
        "time_zone": timezone.get_current_timezone_name(),
        **_forecast(funnel, revision, timeline, rows, kept_rates.value, now, kept_pipeline.value),
        "from_calculators": kept_calculators.value,
        "kept": figures.oldest(
            [kept_funnel, kept_found, kept_rates, kept_coverage, kept_calculators, kept_pipeline]
        ),
        **_charts(funnel, revision, timeline, rows, found),
    }
