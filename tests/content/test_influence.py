"""Content influence: every model's credit per asset, stored per content touch by the
worker's refresh and rolled up from the stored rows, equals the plain-Python roll-up of the
reference credits (`rules.credits`, per touch) by asset, to the cent, on a hand-made
company; the doors (CLI, API, pages) answer with the stored figures and their freshness, and
no web request ever computes them."""

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accord.analytics import tables
from accord.analytics.attribution import influence as engine
from accord.analytics.attribution import rules
from accord.attribution import compute
from accord.content import actions, influence, scorecard, tasks
from accord.content.models import Asset, ContentCredit, ContentTouch, InfluenceRun
from accord.content.touches import sales_content_channel
from accord.core.engine import connect
from accord.crm.models import Account, Lead, Opportunity, Touchpoint
from accord.people import tokens
from tests.attribution.factories import rules_journey

TODAY = date(2026, 6, 30)


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def company(cast, channels, acme, make_asset):
    """Acme wins a big deal and loses a smaller one; Globex wins one and Initech loses one;
    Umbrella's deal is open. Webinars, search and SDR calls touch them, and three assets
    (the case study on two versions) are sent; the pricing sheet is never used."""
    content = sales_content_channel()
    assets = {
        "case": make_asset(title="Acme case study", owner="mike"),
        "deck": make_asset(title="Platform deck", owner="mona", kind=Asset.Kind.DECK),
        "roi": make_asset(title="ROI one-pager", owner="mike", kind=Asset.Kind.ONE_PAGER),
        "unused": make_asset(title="Pricing sheet", owner="mona", kind=Asset.Kind.PRICING_SHEET),
    }
    v2 = actions.add_version(cast["ada"], assets["case"], url="https://files.example/v2.pdf")
    versions = {name: asset.versions.get(number=1) for name, asset in assets.items()}
    accounts = {"acme": acme}
    for name in ("globex", "initech", "umbrella"):
        accounts[name] = Account.objects.create(name=name.title(), created_at=at(1, 1))
    leads = {}
    for name, account, created in [
        ("ann", "acme", at(1, 10)),
        ("ben", "acme", at(1, 5)),
        ("cat", "globex", at(2, 1)),
        ("dan", "initech", at(2, 15)),
        ("eve", "umbrella", at(3, 1)),
    ]:
        leads[name] = Lead.objects.create(
            email=f"{name}@example.com",
            account=accounts[account],
            status_changed_at=created,
            created_at=created,
        )
    plain = [
        ("ben", "webinar", at(1, 4)),
        ("ann", "paid_search", at(1, 10)),
        ("ann", "outbound_sdr", at(1, 20)),
        ("cat", "webinar", at(1, 30)),
        ("cat", "paid_search", at(2, 10)),
        ("dan", "outbound_sdr", at(2, 14)),
        ("eve", "webinar", at(2, 28)),
        ("ann", "webinar", at(3, 20)),
    ]
    for lead, channel, moment in plain:
        Touchpoint.objects.create(
            lead=leads[lead], channel=channels[channel], kind="web_visit", occurred_at=moment
        )
    sends = [
        ("ann", "case", versions["case"], at(1, 25)),
        ("ben", "deck", versions["deck"], at(2, 2)),
        ("ann", "case", v2, at(2, 20)),
        ("ann", "roi", versions["roi"], at(3, 10)),
        ("cat", "case", v2, at(2, 12)),
        ("cat", "deck", versions["deck"], at(2, 12)),  # the same instant
        ("dan", "roi", versions["roi"], at(2, 20)),
        ("eve", "deck", versions["deck"], at(3, 5)),
    ]
    for lead, asset, version, moment in sends:
        touch = Touchpoint.objects.create(
            lead=leads[lead], channel=content, kind="content", occurred_at=moment
        )
        ContentTouch.objects.create(touchpoint=touch, asset=assets[asset], version=version)
    deals = {}
    for name, account, lead, stage, created, closed, amount in [
        ("big", "acme", "ann", "won", at(3, 1), at(4, 15), "50000.00"),
        ("small", "acme", "ben", "lost", at(3, 15), at(5, 1), "10000.01"),
        ("globex", "globex", "cat", "won", at(2, 25), at(4, 1), "33333.33"),
        ("initech", "initech", "dan", "lost", at(3, 1), at(4, 20), "7777.77"),
        ("open", "umbrella", "eve", "discovery", at(3, 10), None, "20000.00"),
    ]:
        deals[name] = Opportunity.objects.create(
            name=name,
            account=accounts[account],
            primary_lead=leads[lead],
            amount=Decimal(amount),
            stage=stage,
            created_at=created,
            close_date=(closed or created + timedelta(days=60)).date(),
            closed_at=closed,
        )
    return {"assets": assets, "versions": {**versions, "case_v2": v2}, "deals": deals}


def reference(model: str, basis: str) -> dict[tuple[int, int | None], Decimal]:
    """Credit per (asset, version): `rules.credits` per touch, added up by asset in Python.
    The data-driven models share each deal among its channels by the engine's channel shares
    (tested against their own references elsewhere), then evenly within a channel."""
    options = rules.Options(basis=basis)
    by_touch = {ct.touchpoint_id: (ct.asset_id, ct.version_id) for ct in ContentTouch.objects.all()}
    shares = None
    if model in engine.DATA_DRIVEN:
        bounds = compute.period(*compute.default_period(TODAY))
        shares = engine.channel_shares(tables.load(connect()), model, options, bounds)
    found: dict = defaultdict(lambda: Decimal("0.00"))
    for deal in Opportunity.objects.select_related("primary_lead"):
        if basis == "revenue" and deal.stage != "won":
            continue
        journey = rules_journey(deal)
        if shares is None:
            money = rules.credits(journey, model, options)
        else:
            window = rules.window(journey, options)
            count = defaultdict(int)
            for touch in window:
                count[touch.channel] += 1
            part = {
                t.id: rules.Fraction(shares.get(t.channel, 0.0)) / count[t.channel] for t in window
            }
            whole = sum(part.values())
            weights = {i: p / whole for i, p in part.items()} if whole else {}
            money = rules._split(journey.amount, weights)
        for touch_id, cents in money.items():
            if touch_id in by_touch:
                found[by_touch[touch_id]] += cents
    return dict(found)


def stored(basis: str = "pipeline", models=influence.MODELS) -> influence.Figures:
    """The worker's refresh on TODAY, then the stored figures as the pages read them."""
    if not InfluenceRun.objects.exists():
        influence.refresh(today=TODAY)
    return influence.figures(basis, models)


def engine_credits(found: influence.Figures, model: str) -> dict:
    return {
        (asset, version): Decimal(cents).scaleb(-2)
        for asset, version, cents, _ in found.credits[model]
        if cents
    }


@pytest.mark.parametrize("basis", rules.BASES)
def test_every_model_credits_each_asset_as_the_reference_does_to_the_cent(company, basis):
    found = stored(basis)

    for model in influence.MODELS:
        expected = {key: value for key, value in reference(model, basis).items() if value}
        assert engine_credits(found, model) == expected, model
    # Nothing vacuous: every sent asset earns something under linear.
    assert len({asset for asset, _ in engine_credits(found, "linear")}) == 3
    # Stored per touch, and only for content touches: the eight sends, never the search ads.
    touches = set(ContentCredit.objects.values_list("touchpoint_id", flat=True))
    assert touches <= set(ContentTouch.objects.values_list("touchpoint_id", flat=True))
    assert len(touches) >= 6


def test_an_asset_is_split_by_version(company):
    found = stored()
    case = company["assets"]["case"]

    versions = influence.by_version(found, "linear", case)

    expected = reference("linear", "pipeline")
    v1, v2 = company["versions"]["case"], company["versions"]["case_v2"]
    assert versions == [
        # v2 went to ann (Acme's two deals) and cat (Globex's): three deals.
        {"version": 2, "credit": expected[case.pk, v2.pk], "opportunities": 3},
        {"version": 1, "credit": expected[case.pk, v1.pk], "opportunities": 2},
    ]


def test_won_and_lost_deals_are_compared_with_their_sample_sizes(company):
    found = stored()

    roi = influence.win_rates(found, company["assets"]["roi"].pk)

    # The ROI one-pager reached Acme's won deal and lost deal and Initech's lost deal;
    # the one closed deal without it, Globex's, was won.
    assert roi == {
        "with_n": 3,
        "with_won": 1,
        "with_rate": 1 / 3,
        "without_n": 1,
        "without_won": 1,
        "without_rate": 1.0,
    }


def run_cli(*args) -> dict:
    out = StringIO()
    call_command("content", "influence", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_cli_computes_when_nothing_is_stored_and_lists_every_asset_unused_ones_with_zero(
    company, time_machine
):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC))

    result = run_cli("--model", "u_shaped", "--basis", "revenue", "--json")

    expected = defaultdict(Decimal)
    for (asset, _), credit in reference("u_shaped", "revenue").items():
        expected[asset] += credit
    assets = company["assets"]
    assert result["model"] == "u_shaped" and result["basis"] == "revenue"
    assert set(result) == {"model", "basis", "computed_at", "period", "stale", "total", "assets"}
    assert result["period"] == {"from": "2025-07-01", "to": "2026-06-30"}
    assert result["computed_at"].startswith("2026-06-30T12:00") and not result["stale"]
    assert InfluenceRun.objects.count() == 1
    by_id = {row["id"]: row for row in result["assets"]}
    assert set(by_id) == {asset.pk for asset in assets.values()}
    for name in ("case", "deck", "roi"):
        assert Decimal(by_id[assets[name].pk]["credit"]) == expected[assets[name].pk]
    assert by_id[assets["unused"].pk] == {
        "id": assets["unused"].pk,
        "title": "Pricing sheet",
        "owner": "mona",
        "credit": "0.00",
        "opportunities": 0,
        "won": 0,
    }
    assert Decimal(result["total"]) == sum(expected.values())
    credits = [Decimal(row["credit"]) for row in result["assets"]]
    assert credits == sorted(credits, reverse=True)


def test_the_cli_refuses_an_unknown_model_listing_the_models(db):
    with pytest.raises(CommandError, match="choose one of first_touch.*shapley") as refused:
        call_command("content", "influence", "--model", "loudest")
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="Unknown basis 'bookings'"):
        call_command("content", "influence", "--model", "linear", "--basis", "bookings")


def test_the_api_gives_influence_by_asset_and_one_asset_under_every_model(
    company, cast, api, time_machine
):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC))
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    unused = company["assets"]["unused"]
    tasks.refresh_influence.call()  # the worker's turn

    listed = api("get", "/content/influence", token, model="markov", basis="pipeline")
    one = api("get", f"/assets/{company['assets']['deck'].pk}/influence", token)

    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()["assets"]}
    assert rows[unused.pk]["credit"] == "0.00" and len(rows) == 4
    assert listed.json()["period"] == {"from": "2025-07-01", "to": "2026-06-30"}
    assert listed.json()["computed_at"].startswith("2026-06-30T12:00")
    body = one.json()
    assert body["computed_at"] == listed.json()["computed_at"]
    assert set(body["bases"]) == {"pipeline", "revenue"}
    assert set(body["bases"]["pipeline"]["models"]) == set(influence.MODELS)
    deck = (company["assets"]["deck"].pk, company["versions"]["deck"].pk)
    expected = reference("shapley", "revenue").get(deck, Decimal(0))
    assert Decimal(body["bases"]["revenue"]["models"]["shapley"]["credit"]) == expected > 0


def test_the_api_answers_an_unknown_model_in_json(db, cast, api):
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]

    response = api("get", "/content/influence", token, model="loudest")

    assert response.status_code == 422
    assert "choose one of first_touch" in response.json()["detail"]
    assert api("get", "/content/influence").status_code == 401
    assert api("get", "/assets/999999/influence", token).status_code == 404


def test_the_page_ranks_assets_by_credit_with_owners_and_kinds(company, cast, login, time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC))
    influence.refresh()
    page = login(cast["vera"]).get("/content/influence/", {"model": "linear"})

    assert page.status_code == 200
    html = page.content.decode()
    rows = [row["title"] for row in page.context["page"].object_list]
    assert rows[-1] == "Pricing sheet" and len(rows) == 4
    credits = [row["credit"] for row in page.context["page"].object_list]
    assert credits == sorted(credits, reverse=True) and credits[0] > 0
    assert "By owner" in html and "One-pager" in html and 'data-chart="' in html
    assert "<script>" not in html.replace('<script id="chart-data', "")


def test_the_page_refuses_an_unknown_model_and_anonymous_readers(db, cast, client, login):
    assert client.get("/content/influence/").status_code == 302

    page = login(cast["vera"]).get("/content/influence/", {"model": "loudest"})

    assert page.status_code == 400
    assert "choose one of first_touch" in page.content.decode()


def test_the_asset_page_shows_its_influence_and_the_library_sorts_by_it(
    company, cast, login, time_machine
):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC))
    influence.refresh()
    client = login(cast["alice"])
    deck = company["assets"]["deck"]

    page = client.get(f"/content/{deck.pk}/?tab=influence")
    listed = client.get("/content/", {"sort": "influence"})

    card = page.context["influence"]["bases"]["pipeline"]
    assert card["models"]["w_shaped"]["credit"] > 0
    assert "Influence on revenue" in page.content.decode()
    titles = [asset.title for asset in listed.context["page"].object_list]
    expected = [row["title"] for row in influence.by_asset(influence.figures(), "w_shaped")]
    assert titles == expected


# --- Stored, never computed by a request ----------------------------------------------------

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_refreshes() -> list:
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return list(
        DBTaskResult.objects.filter(
            task_path="accord.content.tasks.refresh_influence", status=TaskResultStatus.READY
        ).values_list("run_after", flat=True)
    )


def test_with_nothing_stored_no_door_computes_and_the_worker_is_asked_once(
    company, cast, login, api, settings, time_machine
):
    settings.TASKS = DATABASE_QUEUE
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False)
    # The worker's own turn is ten minutes away.
    tasks.schedule_influence(datetime(2026, 6, 30, 12, 10, tzinfo=UTC))
    client = login(cast["alice"])
    token = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    deck = company["assets"]["deck"]

    page = client.get("/content/influence/")
    card = client.get(f"/content/{deck.pk}/?tab=influence")
    listed = api("get", "/content/influence", token)
    one = api("get", f"/assets/{deck.pk}/influence", token)
    library = client.get("/content/", {"sort": "influence"})

    assert not InfluenceRun.objects.exists() and not ContentCredit.objects.exists()
    # Asked once, and now rather than at the worker's next turn.
    assert queued_refreshes() == [datetime(2026, 6, 30, 12, tzinfo=UTC)]
    for response in (page, card):
        html = response.content.decode()
        assert response.status_code == 200
        assert "Influence has not been computed yet" in html
        assert "last requested" in html
    assert page.context["page"].object_list == []
    assert listed.status_code == 200
    assert listed.json() == {
        "model": "w_shaped",
        "basis": "pipeline",
        "computed_at": None,
        "period": None,
        "stale": False,
        "total": "0.00",
        "assets": [],
    }
    assert one.status_code == 200
    assert one.json() == {
        "id": deck.pk, "title": "Platform deck", "computed_at": None, "bases": {}
    }  # fmt: skip
    # The library still sorts, every asset at 0: by title.
    titles = [asset.title for asset in library.context["page"].object_list]
    assert library.status_code == 200 and titles == sorted(titles)


def test_the_workers_refresh_stores_and_the_page_shows_the_figures_with_their_freshness(
    company, cast, login, time_machine
):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False)
    client = login(cast["vera"])

    tasks.refresh_influence.call()
    page = client.get("/content/influence/", {"model": "linear"})

    run = InfluenceRun.objects.get()
    assert (run.period_start, run.period_end) == (date(2025, 7, 1), date(2026, 6, 30))
    html = page.content.decode()
    assert "Jul 1, 2025 to Jun 30, 2026" in html and "computed" in html
    assert "has changed since" not in html
    assert page.context["found"].computed_at == datetime(2026, 6, 30, 12, tzinfo=UTC)
    expected = defaultdict(Decimal)
    for (asset, _), credit in reference("linear", "pipeline").items():
        expected[asset] += credit
    shown = {row["id"]: row["credit"] for row in page.context["page"].object_list if row["credit"]}
    assert shown == {asset: credit for asset, credit in expected.items() if credit}

    # Nothing changed: the next turn computes nothing.
    time_machine.move_to(datetime(2026, 6, 30, 12, 10, tzinfo=UTC), tick=False)
    assert influence.refresh() is None and InfluenceRun.objects.get() == run

    # A deal grows: the page says its figures are behind until the next turn replaces them.
    deal = company["deals"]["globex"]
    Opportunity.objects.filter(pk=deal.pk).update(amount=Decimal("43333.33"))
    behind = client.get("/content/influence/", {"model": "linear"}).content.decode()
    assert "the data has changed since" in behind
    tasks.refresh_influence.call()
    (newer,) = InfluenceRun.objects.all()
    assert newer.pk != run.pk
    assert not ContentCredit.objects.filter(run=run).exists()
    fresh = client.get("/content/influence/", {"model": "linear"})
    assert "has changed since" not in fresh.content.decode()
    assert fresh.context["total"] > page.context["total"]


def test_the_cli_refresh_computes_and_stores_again(company, time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False)
    first = influence.refresh()
    time_machine.move_to(datetime(2026, 6, 30, 13, tzinfo=UTC), tick=False)

    printed = run_cli("--model", "linear", "--json")  # stored: read, not computed
    assert printed["computed_at"] == "2026-06-30T12:00:00Z"
    out = StringIO()
    call_command("content", "influence", "--model", "linear", "--refresh", stdout=out)

    (run,) = InfluenceRun.objects.all()
    assert run.pk != first.pk and run.computed_at == datetime(2026, 6, 30, 13, tzinfo=UTC)
    text = out.getvalue()
    assert "2025-07-01 to 2026-06-30; computed 2026-06-30 13:00" in text
    assert "Acme case study" in text


def test_owners_credit_adds_up_their_assets_stored_credit(company, cast, time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False)
    assert influence.by_owner("linear") is None  # never computed
    influence.refresh()

    owners = influence.by_owner("linear", "pipeline")

    expected = defaultdict(Decimal)
    for (asset, _), credit in reference("linear", "pipeline").items():
        expected[Asset.objects.get(pk=asset).owner_id] += credit
    mike, mona = cast["mike"].pk, cast["mona"].pk
    assert owners[mike]["credit"] == expected[mike] > 0
    assert owners[mona]["credit"] == expected[mona] > 0
    assert owners[mike]["assets"] == 2 and owners[mona]["assets"] == 2
    # Mike's case study and ROI one-pager reached Acme's two deals, Globex's and Initech's.
    assert owners[mike]["opportunities"] == 4


def test_stored_credits_roll_up_by_asset_version_and_owner_on_another_engine():
    """The roll-up is plain Ibis: the same sums on DuckDB as on the app database."""
    import ibis

    names = engine.STORED_CREDITS.names
    stored = ibis.memtable(
        [
            dict(zip(names, row, strict=True))
            for row in [
                (1, "pipeline", "linear", 10, 100, 7, 70, 250),
                (1, "pipeline", "linear", 11, 100, 7, 70, 250),
                (1, "pipeline", "linear", 12, 101, 7, 71, 5),
                (1, "pipeline", "linear", 13, 101, 8, None, 1),
            ]
        ],
        schema=engine.STORED_CREDITS,
    )

    by_asset = sorted(
        (r["asset_id"], r["version_id"], r["cents"], r["opportunities"])
        for r in engine.rolled_up(stored).to_pyarrow().to_pylist()
    )
    by_owner = engine.rolled_up_by_group(stored, {7: 42, 8: 42}).to_pyarrow().to_pylist()

    assert by_asset == [(7, 70, 500, 1), (7, 71, 5, 1), (8, None, 1, 1)]
    assert by_owner == [{"model": "linear", "group_id": 42, "cents": 506, "opportunities": 2}]


def test_the_owner_scorecard_shows_the_revenue_credited_to_their_assets(
    company, cast, client, time_machine
):
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False)
    client.force_login(cast["vera"])
    assert "not computed yet" in client.get("/content/owners/").text
    influence.refresh()

    rows = {row.owner.pk: row for row in scorecard.table(date(2026, 6, 30))}

    mike = rows[cast["mike"].pk]
    revenue = influence.by_owner(basis="revenue")[cast["mike"].pk]
    assert mike.credited_revenue == revenue["credit"] > 0
    assert mike.credited_pipeline == influence.by_owner()[cast["mike"].pk]["credit"]
    page = client.get(f"/content/owners/{cast['mike'].pk}/").text
    assert f"${revenue['credit']:,.0f}" in page


def test_deals_no_content_reached_are_left_out_of_the_work_not_out_of_the_figures(
    company, channels
):
    """Hooli's won deal saw a webinar and no content. The engine weighs only the journeys
    with content in them, yet every model's credits still equal the reference's over every
    deal, and Hooli's win still counts among the closed deals without the ROI one-pager."""
    hooli = Account.objects.create(name="Hooli", created_at=at(1, 1))
    fay = Lead.objects.create(
        email="fay@example.com", account=hooli, status_changed_at=at(1, 3), created_at=at(1, 3)
    )
    Touchpoint.objects.create(
        lead=fay, channel=channels["webinar"], kind="webinar", occurred_at=at(1, 8)
    )
    won = Opportunity.objects.create(
        name="hooli", account=hooli, primary_lead=fay, amount=Decimal("12000.00"), stage="won",
        created_at=at(2, 1), close_date=date(2026, 4, 2), closed_at=at(4, 2),
    )  # fmt: skip

    reached = engine.with_content_deals_only(tables.load(connect()))
    weighed = {r["opportunity_id"] for r in tables.rows(reached.opportunities)}
    assert won.pk not in weighed
    assert {deal.pk for deal in company["deals"].values()} <= weighed

    found = stored()
    for model in influence.MODELS:
        expected = {k: v for k, v in reference(model, "pipeline").items() if v}
        assert engine_credits(found, model) == expected, model
    roi = influence.win_rates(found, company["assets"]["roi"].pk)
    assert (roi["without_n"], roi["without_won"]) == (2, 2)
