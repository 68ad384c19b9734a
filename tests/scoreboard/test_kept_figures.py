"""The numbers never change by being fast: every figure the pages keep (accord.core.figures)
equals the from-scratch computation after any change, made through any door (a verb, the
bulk import, a bulk write that bypasses the models, the API), and after time alone has
moved (a follow-up clock turning, a day ending).

Hypothesis draws the changes; the small demo company is the history they land on (each
example rolls back what it did)."""

import random
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accord.analytics.pacing import default_period
from accord.calculators import stats as calculator_stats
from accord.content import queries as content_queries
from accord.content import scorecard
from accord.content.models import Asset, LinkEvent, Suggestion, TrackedLink
from accord.core import figures
from accord.core.periods import reporting_period
from accord.crm import actions as crm_actions
from accord.crm import queries as crm_queries
from accord.crm.models import Activity, Campaign, Lead, Opportunity
from accord.imports.actions import upsert_items
from accord.imports.items import Options
from accord.journey import queries as journey_queries
from accord.journey.models import Deliverable
from accord.people.models import User
from accord.people.permissions import assignable_owners
from accord.plan import actuals as plan_actuals
from accord.plan import coverage
from accord.plan import queries as plan_queries
from accord.qualify import reviews, value
from accord.scoreboard import queries as board_queries
from accord.scoreboard import refresh
from accord.sla import queries as sla_queries
from accord.sla.models import FollowUpPolicy
from tests.factories import SMALL_DEMO_UNTIL

# A moment inside the small demo's history, with clocks running.
START = timezone.make_aware(
    timezone.datetime.combine(SMALL_DEMO_UNTIL, timezone.datetime.min.time())
) - timedelta(days=2, hours=-15)


class Rollback(Exception):
    pass


def _kept_and_scratch(now):
    """Pairs (what the page reads, the from-scratch figure) for every kept read model."""
    today = timezone.localdate(now)
    plan = plan_queries.default_plan(today)
    revision = plan_queries.revision_shown(plan)
    months = list(plan.months)
    rate = Decimal(revision.rates["opp_won"])
    start, end = reporting_period(None, None, today, at_most_a_year=True)
    funnel = plan_queries.funnel_of(revision, now)
    opts = value.choose_options(today=today)
    board = sla_queries.board(start, end)
    # The MQLs a list shows first, and the newest leads (those the changes below touch).
    mqls = Lead.objects.filter(status="mql").order_by("-engagement_score", "-pk")
    newest = Lead.objects.order_by("-pk")
    leads = sorted(
        {*mqls.values_list("pk", flat=True)[:60], *newest.values_list("pk", flat=True)[:20]}
    )
    one_lead = mqls.first()
    two_way = sla_queries.two_way(now)
    # The asset with the most tracked links: its page's ratings and usage are kept.
    asset = Asset.objects.annotate(n=Count("links")).order_by("-n", "pk").first()
    return {
        "overview": (crm_queries.overview().value, crm_queries.overview_now(today)),
        "actuals": (plan_actuals.kept_actuals(months).value, plan_actuals.actuals(months)),
        "funnel": (plan_queries.kept_funnel(revision, now).value, funnel),
        "win rates": (
            crm_queries.kept_win_rates(now, rate).value,
            crm_queries.observed_win_rates(now, rate),
        ),
        "coverage": (
            coverage.kept_next_quarter(funnel, revision, now).value,
            coverage.next_quarter(funnel, revision, now),
        ),
        # The board says when it was computed ("as of"); its figures are what must agree.
        "board": (
            {k: v for k, v in board.items() if k not in ("kept", "as_of")},
            {k: v for k, v in sla_queries.board_at(start, end, as_of=now).items() if k != "as_of"},
        ),
        "both ways": (
            {k: v for k, v in two_way.items() if k != "kept"},
            sla_queries.two_way_at(now),
        ),
        "lead values": (
            value.kept_lead_values(opts, "mql").value.as_json(),
            value.lead_values(opts, "mql").as_json(),
        ),
        "rejection rates": (
            reviews.kept_rejection_rates(start, end).value,
            reviews.rejection_rates(start, end),
        ),
        "scoreboard": (
            _without_kept(board_queries.scoreboard(revision, default_period(months, today), now)),
            None,
        ),
        "open pipeline": (
            board_queries.kept_open_pipeline(default_period(months, today)).value,
            board_queries.open_pipeline(default_period(months, today)),
        ),
        "owners' scorecard": (scorecard.kept_table(today).value[0], scorecard.table(today)),
        "an asset's ratings": (
            content_queries.kept_rating_figures(asset).value,
            content_queries.rating_figures(asset),
        ),
        "an asset's usage": (
            content_queries.kept_usage_counts(asset).value,
            content_queries.usage_counts(asset),
        ),
        "late deliverables": (
            journey_queries.kept_late_deliverables().value,
            journey_queries.late_deliverables(now),
        ),
        "campaign touches": (
            crm_queries.campaign_touch_counts().value,
            {c.pk: c.n for c in Campaign.objects.annotate(n=Count("touchpoints")).filter(n__gt=0)},
        ),
        # A page of leads, and one lead's panel: the clocks kept per lead (accord.sla.kept).
        "lead clocks": (
            sla_queries.clocks_by_lead(leads),
            sla_queries.clocks_by_lead(leads, as_of=now),
        ),
        "one lead's clocks": (
            sla_queries.lead_clocks(one_lead),
            sla_queries.lead_clocks(one_lead, as_of=now),
        ),
    }


def _without_kept(found: dict) -> dict:
    return {k: v for k, v in found.items() if k != "kept"}


def _assert_all_equal(now):
    with time_machine.travel(now, tick=False):
        pairs = _kept_and_scratch(now)
    for name, (kept, scratch) in pairs.items():
        if scratch is not None:
            assert kept == scratch, f"the kept {name} differ from the from-scratch figures"


# --- The changes, each through a door -------------------------------------------------------


def _lead(rng, **filters):
    ids = list(Lead.objects.filter(**filters).values_list("pk", flat=True)[:200])
    return Lead.objects.get(pk=rng.choice(ids)) if ids else None


def status_change(rng, now):
    """A new lead made MQL on its page; an MQL accepted by its owner in the sales review."""
    lead = _lead(rng, status__in=["new", "mql"], owner__isnull=False)
    if lead and lead.status == "new":
        crm_actions.change_lead_status(lead, "mql", actor=User.objects.get(username="admin"))
    elif lead:
        reviews.accept_lead(lead, actor=lead.owner)


def reassignment(rng, now):
    lead = _lead(rng, status="mql")
    admin = User.objects.get(username="admin")
    reps = list(assignable_owners(admin).exclude(pk=getattr(lead, "owner_id", None)))
    if lead and reps:
        crm_actions.reassign_lead(lead, rng.choice(reps), actor=admin)


def follow_up(rng, now):
    lead = _lead(rng, status="mql", owner__isnull=False)
    if lead and lead.created_at < now - timedelta(minutes=5):
        crm_actions.record_follow_up(
            lead, actor=lead.owner, kind=Activity.Kind.CALL, occurred_at=now - timedelta(minutes=1)
        )


def deal_closed(rng, now):
    ids = list(
        Opportunity.objects.exclude(stage__in=Opportunity.CLOSED_STAGES).values_list(
            "pk", flat=True
        )
    )
    if ids:
        stage = rng.choice([Opportunity.Stage.WON, Opportunity.Stage.LOST])
        # A bulk write that bypasses the models, as a sync job's SQL would.
        Opportunity.objects.filter(pk=rng.choice(ids)).update(stage=stage, closed_at=now)


def import_leads(rng, now):
    n = rng.randint(1, 5)
    items = [
        (
            i,
            {
                "email": f"kept{rng.randrange(10**9)}@example.com",
                "status": rng.choice(["new", "mql"]),
            },
        )
        for i in range(n)
    ]
    upsert_items("leads", items, Options(source_system="test"))


def amount_typo(rng, now):
    ids = list(Opportunity.objects.values_list("pk", flat=True)[:300])
    if ids:
        Opportunity.objects.filter(pk=rng.choice(ids)).update(amount=rng.randint(1, 10**6))


def future_follow_up(rng, now):
    """A call logged by a sync job with a time still to come (a clock reads it when it comes)."""
    lead = _lead(rng, status="mql", owner__isnull=False)
    if lead:
        at = now + timedelta(minutes=rng.randint(1, 90))
        Activity.objects.bulk_create(
            [Activity(lead=lead, user=lead.owner, kind="call", occurred_at=at)]
        )


def deliverable_moved(rng, now):
    """A journey's deliverable moved a few days, or done, by a bulk write."""
    ids = list(Deliverable.objects.values_list("pk", flat=True))
    if ids:
        chosen = Deliverable.objects.filter(pk=rng.choice(ids))
        if rng.random() < 0.5:
            chosen.update(due_on=timezone.localdate(now) - timedelta(days=rng.randint(-5, 20)))
        else:
            chosen.update(completed_at=now)


def policy_edit(rng, now):
    """An operations manager's change of a policy's first-response time, by a bulk write."""
    ids = list(FollowUpPolicy.objects.values_list("pk", flat=True))
    if ids:
        FollowUpPolicy.objects.filter(pk=rng.choice(ids)).update(
            first_response_hours=rng.choice([1, 2, 4, 8, 24])
        )


def content_used(rng, now):
    """A buyer opens a tracked link (a bulk insert, as the public viewer's batch would), or a
    suggestion's deadline moves into the next hours or is answered, by bulk writes."""
    links = list(TrackedLink.objects.values_list("pk", flat=True)[:200])
    suggestions = list(Suggestion.objects.values_list("pk", flat=True)[:200])
    if links and rng.random() < 0.5:
        LinkEvent.objects.bulk_create(
            [LinkEvent(link_id=rng.choice(links), kind="open", occurred_at=now)]
        )
    elif suggestions:
        chosen = Suggestion.objects.filter(pk=rng.choice(suggestions))
        if rng.random() < 0.5:
            chosen.update(due_at=now + timedelta(minutes=rng.randint(1, 120)), responded_at=None)
        else:
            chosen.update(responded_at=now)


CHANGES = {
    f.__name__: f
    for f in (
        status_change,
        reassignment,
        follow_up,
        deal_closed,
        import_leads,
        amount_typo,
        future_follow_up,
        policy_edit,
        deliverable_moved,
        content_used,
    )
}


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same examples in every run: CI never fails by the draw alone
    # Each example replays the pages several times: a failure is reported as drawn, not
    # shrunk (shrinking took minutes).
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(sorted(CHANGES) + ["time passes"]),
            st.integers(0, 2**32 - 1),
            st.integers(1, 60 * 30),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_kept_figures_equal_the_from_scratch_figures_after_any_change(small_demo_company, steps):
    caches["figures"].clear()
    try:
        with transaction.atomic():
            now = START
            _assert_all_equal(now)  # the figures are kept now
            for name, seed, minutes in steps:
                if name == "time passes":
                    now += timedelta(minutes=minutes)
                else:
                    with time_machine.travel(now, tick=False), transaction.atomic():
                        try:
                            CHANGES[name](random.Random(seed), now)
                        except (ValidationError, PermissionDenied):
                            pass  # a move the rules refuse changes nothing: compare anyway
                _assert_all_equal(now)
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_a_write_makes_the_kept_figure_stale_and_the_page_says_how_old_it_is(
    small_demo_company, client, settings
):
    """With FIGURES_MAX_AGE_SECONDS, a page shows the kept figure for a while after the
    data changed, and says the data has changed since; the worker's refresh (`exact`)
    computes it again."""
    settings.FIGURES_MAX_AGE_SECONDS = 60
    cmo = User.objects.get(username="cmo")
    client.force_login(cmo)
    # The CMO reads in New York; the figures she reads are counted in the company's zone.
    first = crm_queries.overview()
    assert not first.behind
    Lead.objects.filter(pk=Lead.objects.order_by("pk").first().pk).delete()
    later = crm_queries.overview()
    assert later.behind and later.value == first.value
    page = client.get("/").content.decode()
    assert "Figures as of" in page and "the data has changed since" in page
    with figures.exact():
        fresh = crm_queries.overview()
    assert not fresh.behind and fresh.value["leads"] == first.value["leads"] - 1
    assert "up to date with every change" in client.get("/").content.decode()


@pytest.mark.django_db
def test_every_table_a_migration_watches_still_counts_its_writes_after_later_migrations():
    """SQLite rebuilds a table to add some columns, and the rebuild drops its triggers: a
    migration that does so must watch the table again."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    asked = {
        table
        for migration in MigrationLoader(connection).disk_migrations.values()
        for operation in migration.operations
        for table in getattr(getattr(operation, "code", None), "watched", ())
    }
    assert len(asked) > 10
    assert asked - figures.watched_tables() == set()


@pytest.mark.django_db
def test_a_slow_page_keeps_every_figure_it_asks_for_as_of_its_start(
    small_demo_company, monkeypatch
):
    """*Both ways* reads the clocks, then the plan's funnel as of the moment it started: when
    the clocks took more than a second (at a large company, many), that moment no longer
    counted as now, so the funnel was computed from scratch and never kept, on every
    refresh. Within the page's work its moment stays now (`figures.holding_now`)."""
    from accord.plan import rolling
    from accord.sla import kept

    computed = []
    carry_in = rolling.carry_in
    monkeypatch.setattr(
        rolling, "carry_in", lambda *a, **k: computed.append(1) or carry_in(*a, **k)
    )
    with time_machine.travel(START, tick=False) as traveller:
        started_now = kept.started_now

        def slow(scope):
            traveller.shift(timedelta(seconds=5))  # five seconds of clocks
            return started_now(scope)

        monkeypatch.setattr(kept, "started_now", slow)
        sla_queries.two_way(timezone.now())
        assert computed == [1]  # the funnel, once, and kept

        # A moment already past when the work starts is a replay: computed, never kept.
        figures.forget_all()
        computed.clear()
        moment = timezone.now()
        traveller.shift(timedelta(seconds=3))
        revision = plan_queries.revision_shown(plan_queries.default_plan(timezone.localdate()))
        with figures.holding_now(moment):
            plan_queries.kept_funnel(revision, moment)
            plan_queries.kept_funnel(revision, moment)
        assert computed == [1, 1]


def _users_generation() -> int:
    return figures.generations(["people_user"]).get("people_user", 0)


@pytest.mark.django_db
def test_signing_in_leaves_every_kept_figure_and_clock_in_place(small_demo_company, client):
    """A sign-in writes the user's last_login; it changes nothing a figure reads, so the
    board and every lead's kept clocks stay (before, each sign-in made them all compute
    again, on the morning every leader signs in)."""
    before = _users_generation()
    cmo = User.objects.get(username="cmo")
    answer = client.post("/login/", {"username": "cmo", "password": "accord-demo"})
    assert answer.status_code == 302
    cmo.refresh_from_db()
    assert cmo.last_login is not None  # still recorded
    assert _users_generation() == before
    # A write figures do read still counts: a manager's role, a user's name.
    User.objects.filter(pk=cmo.pk).update(role=User.Role.MANAGER)
    assert _users_generation() > before
    middle = _users_generation()
    cmo.first_name = "Renamed"
    cmo.save()
    assert _users_generation() > middle


@pytest.mark.django_db
def test_the_users_counting_trigger_names_every_column_but_the_quiet_ones():
    """The trigger lists the columns whose update counts: a migration adding a column to
    people_user must watch the table again (figures.install_triggers), or writes to the new
    column would go uncounted."""
    from django.db import connection

    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, "people_user")
        }
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'accord_gen_people_user_UPDATE'"
            )
            (sql,) = cursor.fetchone()
            listed = set(re.findall(r'"([a-z_]+)"', sql.split(" OF ", 1)[1].split(" ON ", 1)[0]))
        else:
            cursor.execute(
                "SELECT event_object_column FROM information_schema.triggered_update_columns "
                "WHERE trigger_name = 'accord_gen_people_user'"
            )
            listed = {row[0] for row in cursor.fetchall()}
    assert listed == columns - set(figures.QUIET_COLUMNS["people_user"])


@pytest.mark.django_db
def test_the_workers_refresh_keeps_the_figures_fresh_for_a_reader_in_another_zone(
    small_demo_company, client, settings
):
    """The CMO reads in New York (her team's calendar), the company counts in UTC: the
    figures she reads are the company's, so the worker's refresh leaves them fresh."""
    settings.FIGURES_MAX_AGE_SECONDS = 60
    client.force_login(User.objects.get(username="cmo"))
    assert "up to date with every change" in client.get("/").content.decode()
    Lead.objects.filter(pk=Lead.objects.order_by("pk").first().pk).delete()
    assert "the data has changed since" in client.get("/").content.decode()
    refresh.refresh_all()
    assert "up to date with every change" in client.get("/").content.decode()


@pytest.mark.django_db
def test_every_table_a_kept_figure_reads_counts_its_writes():
    read = {
        *crm_queries.OVERVIEW_TABLES,
        *crm_queries.CAMPAIGN_TOUCH_TABLES,
        *journey_queries.LATE_TABLES,
        *plan_actuals.ACTUALS_TABLES,
        *plan_queries.FUNNEL_TABLES,
        *crm_queries.WIN_RATE_TABLES,
        *coverage.COVERAGE_TABLES,
        *sla_queries.CLOCK_TABLES,
        *value.VALUE_TABLES,
        *reviews.RATES_TABLES,
        *calculator_stats.LINE_TABLES,
        *board_queries.PIPELINE_TABLES,
        *scorecard.OWNER_TABLES,
        *content_queries.RATING_TABLES,
        *content_queries.USAGE_TABLES,
        *content_queries.OWED_TABLES,
    }
    assert read <= figures.watched_tables()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/scoreboard/", "/plans/{plan}/", "/sla/", "/sla/two-way/", "/qualify/value/",
     "/qualify/reviews/", "/campaigns/", "/content/owners/"],
)  # fmt: skip
def test_every_page_with_kept_figures_says_how_fresh_they_are(small_demo_company, client, path):
    from accord.plan.models import Plan

    client.force_login(User.objects.get(username="vp.sales"))
    page = client.get(path.format(plan=Plan.objects.order_by("pk").first().pk)).content.decode()
    assert "Figures as of" in page and "up to date with every change" in page


@pytest.mark.django_db
def test_a_cache_that_cannot_be_written_costs_speed_not_the_page(
    small_demo_company, client, tmp_path
):
    """The figures live in files; on a full or read-only disk the page computes them."""
    from django.test import override_settings

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    cache = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "figures": cache | {"LOCATION": str(blocked / "figures")},
        }
    ):
        client.force_login(User.objects.get(username="cmo"))
        response = client.get("/")
        assert response.status_code == 200
        assert "Figures as of" in response.content.decode()
        assert crm_queries.overview().value == crm_queries.overview_now()


@pytest.mark.django_db
def test_the_kept_owners_scorecard_takes_in_a_suggestion_deadline_that_passed_with_nothing_written(
    small_demo_company,
):
    """A suggestion falls overdue with time alone: the kept scorecard is computed again when
    its deadline passes, so its figures stay those the from-scratch table gives."""
    now = START
    with time_machine.travel(now, tick=False):
        today = timezone.localdate()
        open_one = Suggestion.objects.filter(owner__isnull=False).order_by("pk").first()
        Suggestion.objects.filter(pk=open_one.pk).update(
            filed_at=now - timedelta(days=2), due_at=now + timedelta(minutes=10),
            responded_at=None, status="open",
        )  # fmt: skip
        before = scorecard.kept_table(today).value[0]
        assert before == scorecard.table(today)
    later = now + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        kept = scorecard.kept_table(timezone.localdate()).value[0]
        scratch = scorecard.table(timezone.localdate())
    assert kept == scratch
    overdue = {row.owner.pk: row.suggestions.overdue for row in scratch}
    assert (
        overdue[open_one.owner_id]
        == 1 + {row.owner.pk: row.suggestions.overdue for row in before}[open_one.owner_id]
    )


def _owed_now(now):
    """What content owes sales as of `now`, from scratch (the scoreboard's section)."""
    today = timezone.localdate(now)
    late = content_queries.overdue_suggestions(now)
    return (
        [(g["owner"], [(a["asset"].pk, a["days"], a["stale"]) for a in g["assets"]])
         for g in content_queries.overdue_reviews(today)],
        [s.pk for s in late[: content_queries.LATE_SUGGESTIONS_SHOWN]],
        late.count(),
    )  # fmt: skip


def _owed_kept(now):
    found = content_queries.kept_owed(now).value
    return (
        [(g["owner"], [(a["asset"].pk, a["days"], a["stale"]) for a in g["assets"]])
         for g in found["reviews"]],
        [s.pk for s in found["suggestions"]],
        found["suggestion_count"],
    )  # fmt: skip


@pytest.mark.django_db
def test_what_content_owes_sales_is_kept_until_a_deadline_passes_the_day_turns_or_a_write(
    small_demo_company,
):
    """The scoreboard's overdue reviews and suggestions are kept: they are computed again
    when an open suggestion's deadline passes or the day turns with nothing written, and when
    a suggestion is answered or an asset reviewed; each time equal to the from-scratch."""
    now = START
    with time_machine.travel(now, tick=False):
        open_one = Suggestion.objects.filter(owner__isnull=False).order_by("pk").first()
        Suggestion.objects.filter(pk=open_one.pk).update(
            filed_at=now - timedelta(days=2), due_at=now + timedelta(minutes=10),
            responded_at=None, status="open",
        )  # fmt: skip
        asset = Asset.objects.filter(status="published").order_by("pk").first()
        tomorrow = timezone.localdate(now) + timedelta(days=1)
        Asset.objects.filter(pk=asset.pk).update(review_by=tomorrow)
        before = _owed_kept(now)
        assert before == _owed_now(now)
    later = now + timedelta(minutes=11)  # the suggestion's deadline has passed
    with time_machine.travel(later, tick=False):
        after = _owed_kept(later)
        assert after == _owed_now(later)
        assert after[2] == before[2] + 1
    next_day = timezone.make_aware(
        timezone.datetime.combine(tomorrow + timedelta(days=1), timezone.datetime.min.time())
    ) + timedelta(hours=1)  # the asset's review date has gone by
    with time_machine.travel(next_day, tick=False):
        turned = _owed_kept(next_day)
        assert turned == _owed_now(next_day)
        overdue_assets = {pk for _, assets in turned[0] for pk, _, _ in assets}
        assert asset.pk in overdue_assets and asset.pk not in {
            pk for _, assets in after[0] for pk, _, _ in assets
        }
        Suggestion.objects.filter(pk=open_one.pk).update(status="accepted", responded_at=next_day)
        answered = _owed_kept(next_day)
        assert answered == _owed_now(next_day) and answered[2] == turned[2] - 1


@pytest.mark.django_db
def test_the_rows_of_ended_server_processes_fold_into_one_and_every_generation_stays():
    """PostgreSQL counts a table's writes in a row per server process; the worker folds the
    rows of processes that have ended, and no generation moves (no kept figure is lost)."""
    from django.db import connection

    from accord.core.models import Generation

    if connection.vendor != "postgresql":
        assert figures.fold_generations() == 0  # SQLite keeps one row per table
        return
    Lead.objects.filter(pk__in=Lead.objects.values("pk")[:1]).update(title="Folded")  # a live row
    gone = [2_000_000_001, 2_000_000_002]  # no server process has these ids
    Generation.objects.bulk_create(
        [Generation(name="crm_lead", pid=pid, value=5) for pid in gone]
        + [Generation(name="crm_account", pid=gone[0], value=3)]
    )
    tables = ["crm_lead", "crm_account", "crm_opportunity"]
    before = figures.generations(tables)
    assert figures.fold_generations() >= 2  # one row per table that had ended processes
    assert figures.generations(tables) == before
    assert not Generation.objects.filter(pid__in=gone).exists()
    assert Generation.objects.filter(name="crm_lead").exclude(pid=0).exists()  # ours stays
