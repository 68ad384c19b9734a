"""The worker's refresh of the figures the daily pages keep (`accord.core.figures`): each
page's default view, computed exactly as the page would, so that a leader opening the
overview, the scoreboard, the follow-up board, *Both ways*, lead value, the plan in force or
the content owners' scorecard finds its figures ready. Other views (another period, a team)
are kept when first asked for.
"""

import logging
import time

from django.utils import timezone

from accord.analytics.pacing import default_period
from accord.content import scorecard
from accord.core import figures
from accord.core.periods import reporting_period
from accord.crm import queries as crm_queries
from accord.plan import queries as plan_queries
from accord.qualify import value
from accord.scoreboard import queries
from accord.sla import kept
from accord.sla import queries as sla_queries

log = logging.getLogger(__name__)


def refresh_all() -> dict[str, float]:
    """Compute again every default figure the data moved under, in the company's zone (the
    pages' figures are counted in it, whoever reads them); seconds per page."""
    seconds = {}
    with (
        figures.exact(),
        timezone.override(timezone.get_default_timezone()),
        kept.loading_once(),
    ):
        for name, work in PAGES.items():
            started = time.perf_counter()
            work()
            seconds[name] = time.perf_counter() - started
    log.info("figures refreshed: %s", ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    return seconds


def _scoreboard() -> None:
    now = timezone.now()
    today = timezone.localdate(now)
    plan = plan_queries.default_plan(today)
    if plan is None:
        return
    revision = plan_queries.revision_shown(plan)
    queries.scoreboard(revision, default_period(plan.months, today), now)
    plan_queries.plan_page(revision)


def _board() -> None:
    start, end = reporting_period(None, None, timezone.localdate(), at_most_a_year=True)
    sla_queries.board(start, end)


PAGES = {
    "overview": crm_queries.overview,
    "scoreboard": _scoreboard,
    "follow-up board": _board,
    "both ways": lambda: sla_queries.two_way(timezone.now()),
    "lead value": lambda: value.lead_value_page(value.choose_options(), timezone.now()),
    "campaigns": crm_queries.campaign_touch_counts,
    "content owners": lambda: scorecard.kept_table(timezone.localdate()),
}
