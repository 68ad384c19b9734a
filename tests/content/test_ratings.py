"""Rating content on deals: the rubric both teams sign (through the shared sign-off), a rep's
rating after sending or using an asset on a lead, the refusals at the page and the API,
old ratings kept with their versions, and the figures on the asset and in the library."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count

from accord.content import actions, ratings
from accord.content.models import Rating, Rubric, Usage
from accord.people import tokens
from accord.people.models import AuditLog, Notification

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

LABELS = ["Wrong", "Dated", "Mostly right", "Right", "Exact"]
CRITERIA = [
    {"name": "Accuracy", "labels": LABELS},
    {"name": "Stage fit", "labels": ["Wrong stage", "Early", "Fair", "Good", "Exactly this stage"]},
    {"name": "Buyer reaction", "labels": ["Put off", "Ignored", "Read", "Engaged", "Asked for more"],
     "weight": 2},
]  # fmt: skip
GOOD = {"accuracy": 4, "stage_fit": 5, "buyer_reaction": 3}


@pytest.fixture
def rubric(cast):
    """v1, drafted by mona (a marketing manager), proposed, signed by carol and victor."""
    draft = ratings.create_rubric(cast["mona"], name="Default", criteria=CRITERIA)
    ratings.propose(cast["mona"], draft)
    ratings.approve(cast["carol"], draft)
    return ratings.approve(cast["victor"], draft)


@pytest.fixture
def deal(cast, make_asset, make_lead):
    """alice sent the published case study (v1) to her lead dana."""
    asset = make_asset(owner="mike", status="published")
    lead = make_lead("dana@acme.example", owner="alice")
    use(cast["alice"], asset, lead)
    return asset, lead


def use(user, asset, lead, kind=Usage.Kind.SEND, version=None, at=T0):
    return Usage.objects.create(
        asset=asset,
        version=version or asset.versions.order_by("-number").first(),
        user=user,
        kind=kind,
        lead=lead,
        occurred_at=at,
    )


# The rubric's sign-off.


def test_one_side_alone_does_not_activate_a_rubric_and_the_proposer_cannot_sign(cast):
    draft = ratings.create_rubric(cast["carol"], name="Default", criteria=CRITERIA)
    ratings.propose(cast["carol"], draft)

    with pytest.raises(ValidationError, match="You proposed this rubric"):
        ratings.approve(cast["carol"], draft)
    ratings.approve(cast["victor"], draft)
    with pytest.raises(ValidationError, match="You have already approved this rubric"):
        ratings.approve(cast["victor"], draft)

    draft.refresh_from_db()
    assert draft.status == Rubric.Status.PROPOSED and ratings.active_rubric() is None


def test_a_member_cannot_sign_and_a_viewer_cannot_draft(cast):
    draft = ratings.create_rubric(cast["mona"], name="Default", criteria=CRITERIA)
    ratings.propose(cast["mona"], draft)
    with pytest.raises(PermissionDenied):
        ratings.approve(cast["alice"], draft)
    with pytest.raises(PermissionDenied):
        ratings.create_rubric(cast["vera"], name="Mine", criteria=CRITERIA)
    with pytest.raises(PermissionDenied):
        ratings.create_rubric(cast["alice"], name="Mine", criteria=CRITERIA)
    assert draft.approvals.count() == 0 and Rubric.objects.count() == 1


def test_both_sides_activate_a_rubric_and_retire_the_one_before(cast, rubric):
    assert rubric.status == Rubric.Status.ACTIVE and rubric.active_from is not None
    second = ratings.change_rubric(cast["mona"], rubric, name="Sharper", criteria=CRITERIA[:3])
    assert second.number == 2 and second.status == Rubric.Status.DRAFT  # v1 is not edited
    ratings.propose(cast["mona"], second)
    ratings.approve(cast["victor"], second)
    assert ratings.active_rubric() == rubric  # one side: v1 still in force
    ratings.approve(cast["carol"], second)

    rubric.refresh_from_db()
    assert (rubric.status, ratings.active_rubric()) == (Rubric.Status.RETIRED, second)
    actions_logged = set(AuditLog.objects.filter(action__startswith="rubric.").values_list(
        "action", flat=True))  # fmt: skip
    assert {"rubric.created", "rubric.proposed", "rubric.approved", "rubric.retired"} <= (
        actions_logged
    )
    # The proposer heard that it is active.
    assert Notification.objects.filter(user=cast["mona"], title__contains="v2 is active").exists()


def test_a_declined_rubric_needs_a_reason_and_leaves_the_active_one(cast, rubric):
    second = ratings.create_rubric(cast["mona"], name="Other", criteria=CRITERIA)
    ratings.propose(cast["mona"], second)
    with pytest.raises(ValidationError, match="Say why"):
        ratings.decline(cast["victor"], second, "no")
    ratings.decline(cast["victor"], second, "Buyer reaction weighs too much for us.")

    second.refresh_from_db()
    assert second.status == Rubric.Status.DECLINED and ratings.active_rubric() == rubric
    with pytest.raises(ValidationError, match="only a proposed rubric"):
        ratings.approve(cast["carol"], second)


def test_a_rubric_needs_three_to_six_criteria_each_with_five_labels_and_a_positive_weight(cast):
    with pytest.raises(ValidationError) as two:
        ratings.create_rubric(cast["mona"], name="Short", criteria=CRITERIA[:2])
    assert "3 to 6 criteria" in str(two.value)
    bad = [*CRITERIA[:2], {"name": "Tone", "labels": LABELS[:4], "weight": -1}]
    with pytest.raises(ValidationError) as labels:
        ratings.create_rubric(cast["mona"], name="Bad", criteria=bad)
    assert "Tone: give a label for each point" in str(labels.value)
    assert "Tone: a weight must be a number above 0" in str(labels.value)
    assert not Rubric.objects.exists()


def test_the_rubric_pages_sign_and_decline_through_the_same_verbs(client, cast):
    client.force_login(cast["mona"])
    form = {"name": "Default", "note": ""}
    for slot, criterion in enumerate(CRITERIA):
        form[f"c{slot}_name"] = criterion["name"]
        form[f"c{slot}_weight"] = criterion.get("weight", "")
        for point, label in enumerate(criterion["labels"], start=1):
            form[f"c{slot}_l{point}"] = label
    response = client.post("/content/rubric/new/", form)
    draft = Rubric.objects.get()
    assert response.status_code == 302 and draft.criteria[2]["weight"] == 2
    client.post(f"/content/rubric/{draft.pk}/propose/")

    client.force_login(cast["alice"])
    assert client.post(f"/content/rubric/{draft.pk}/approve/").status_code == 403
    client.force_login(cast["carol"])
    client.post(f"/content/rubric/{draft.pk}/approve/")
    client.force_login(cast["victor"])
    page = client.get(f"/content/rubric/{draft.pk}/")
    assert "Approve for sales" in page.text and "Carol" in page.text
    client.post(f"/content/rubric/{draft.pk}/approve/")

    listing = client.get("/content/rubric/")
    assert "In force: v1 Default" in listing.text and "Asked for more" in listing.text


def test_a_rubric_form_with_two_criteria_is_refused_on_the_page(client, cast):
    client.force_login(cast["mona"])
    form = {"name": "Short", "c0_name": "Accuracy", "c1_name": "Fit"}
    for slot in (0, 1):
        form.update({f"c{slot}_l{p}": f"point {p}" for p in range(1, 6)})
    response = client.post("/content/rubric/new/", form)
    assert response.status_code == 400 and "3 to 6 criteria" in response.text
    assert not Rubric.objects.exists()


# Rating.


def test_a_rep_rates_the_version_she_sent_and_the_asset_shows_the_figures(
    client, cast, rubric, deal
):
    asset, lead = deal
    client.force_login(cast["alice"])
    page = client.get(f"/content/{asset.pk}/")
    assert "Rate it on a deal" in page.text and "Asked for more" in page.text

    response = client.post(
        f"/content/{asset.pk}/ratings/",
        {"lead": lead.pk, "score_accuracy": 4, "score_stage_fit": 5, "score_buyer_reaction": 3,
         "comment": "Her CFO liked the numbers."},
    )  # fmt: skip

    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.version.number, rating.rubric, rating.scores) == (1, rubric, GOOD)
    assert float(rating.score) == pytest.approx((4 + 5 + 2 * 3) / 4)
    assert response.url == f"/content/{asset.pk}/?tab=ratings#ratings"  # to the new rating
    shown = client.get(response.url).text
    assert "Her CFO liked the numbers." in shown and "too few ratings" in shown
    assert "Rate it on a deal" not in shown  # nothing left to rate


def test_the_rate_forms_labels_point_at_its_own_fields_beside_the_suggestion_form(
    client, cast, rubric, deal
):
    asset, _lead = deal
    client.force_login(cast["alice"])

    page = client.get(f"/content/{asset.pk}/").text

    assert 'id="suggest"' in page and "Rate it on a deal" in page  # both forms are shown
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    rate_form = page[page.index('class="stack rate-form"') :]
    assert '<label for="id_rate_comment">Comment' in rate_form
    assert '<textarea name="comment" cols="40" rows="2" maxlength="1000" id="id_rate_comment"' in (
        rate_form
    )


@pytest.mark.parametrize(
    ("scores", "field", "message"),
    [
        ({**GOOD, "accuracy": 7}, "score_accuracy", "Accuracy: 7 is outside the scale"),
        ({**GOOD, "stage_fit": 0}, "score_stage_fit", "Stage fit: 0 is outside the scale"),
        ({"accuracy": 4, "stage_fit": 5}, "score_buyer_reaction", "Buyer reaction: give a score"),
    ],
)
def test_a_score_off_the_scale_or_missing_is_refused_on_the_page_naming_the_criterion(
    client, cast, rubric, deal, scores, field, message
):
    asset, lead = deal
    client.force_login(cast["alice"])
    data = {"lead": lead.pk, **{f"score_{k}": v for k, v in scores.items()}}

    response = client.post(f"/content/{asset.pk}/ratings/", data)

    assert response.status_code == 400 and message in response.text
    assert response.context["rate_form"].errors[field]
    assert not Rating.objects.exists()


def test_rating_twice_on_the_same_version_and_deal_is_refused_but_a_new_version_may_be_rated(
    client, cast, rubric, deal
):
    asset, lead = deal
    ratings.rate(cast["alice"], asset, lead, GOOD)
    client.force_login(cast["alice"])
    data = {"lead": lead.pk, **{f"score_{k}": v for k, v in GOOD.items()}}

    again = client.post(f"/content/{asset.pk}/ratings/", data)
    assert again.status_code == 400 and "You already rated v1" in again.text

    v2 = actions.add_version(cast["mike"], asset, url="https://files.example/v2.pdf", note="new")
    use(cast["alice"], asset, lead, kind=Usage.Kind.USE, version=v2, at=T0 + timedelta(days=9))
    assert client.post(f"/content/{asset.pk}/ratings/", data).status_code == 302
    assert sorted(Rating.objects.values_list("version__number", flat=True)) == [1, 2]


def test_rating_without_having_sent_or_used_it_on_that_lead_is_refused(
    client, cast, rubric, deal, make_lead
):
    asset, lead = deal
    other = make_lead("eve@acme.example", owner="bob")
    Usage.objects.create(
        asset=asset, user=cast["bob"], kind=Usage.Kind.VIEW, lead=other, occurred_at=T0
    )  # fmt: skip  (a view is not a use)
    client.force_login(cast["bob"])
    page = client.get(f"/content/{asset.pk}/")
    assert "Rate it on a deal" not in page.text and "after you send it" in page.text

    data = {"lead": other.pk, **{f"score_{k}": v for k, v in GOOD.items()}}
    response = client.post(f"/content/{asset.pk}/ratings/", data)
    on_alices = client.post(f"/content/{asset.pk}/ratings/", {**data, "lead": lead.pk})

    assert response.status_code == 400 and "You have not sent or used" in response.text
    assert on_alices.status_code == 400 and "You have not sent or used" in on_alices.text
    assert not Rating.objects.exists()


def test_a_viewer_sees_ratings_but_is_refused_rating(client, cast, rubric, deal):
    asset, lead = deal
    use(cast["vera"], asset, lead)
    client.force_login(cast["vera"])
    assert "Rate it on a deal" not in client.get(f"/content/{asset.pk}/").text

    data = {"lead": lead.pk, **{f"score_{k}": v for k, v in GOOD.items()}}
    assert client.post(f"/content/{asset.pk}/ratings/", data).status_code == 403
    with pytest.raises(PermissionDenied):
        ratings.rate(cast["vera"], asset, lead, GOOD)
    client.logout()
    assert client.post(f"/content/{asset.pk}/ratings/", data).status_code == 302  # to log in
    assert not Rating.objects.exists()


def test_without_an_active_rubric_nobody_rates(client, cast, deal):
    asset, lead = deal
    with pytest.raises(ValidationError, match="No rating rubric is active"):
        ratings.rate(cast["alice"], asset, lead, GOOD)
    client.force_login(cast["alice"])
    assert "No rating rubric is active yet" in client.get(f"/content/{asset.pk}/").text


def test_a_new_rubric_keeps_the_old_ratings_tagged_with_their_rubric_and_version(
    client, cast, rubric, deal
):
    asset, lead = deal
    ratings.rate(cast["alice"], asset, lead, GOOD, "first")
    second = ratings.create_rubric(cast["mona"], name="Sharper", criteria=CRITERIA)
    ratings.propose(cast["mona"], second)
    ratings.approve(cast["carol"], second)
    ratings.approve(cast["victor"], second)
    actions.add_version(cast["mike"], asset, url="https://files.example/v2.pdf", note="new")

    client.force_login(cast["sam"])
    page = client.get(f"/content/{asset.pk}/?tab=ratings")

    old = page.context["ratings_page"].object_list[0]
    assert (old.rubric.number, old.version.number, old.comment) == (1, 1, "first")
    figures = page.context["figures"]
    assert (figures.rubric, figures.count, figures.older) == (second, 0, 1)
    assert "1 older rating used an earlier rubric" in page.text and "Retired" in page.text


def test_the_figures_give_each_criterion_a_90_percent_interval_from_two_ratings(
    cast, rubric, deal, make_lead
):
    from accord.content import queries

    asset, lead = deal
    ratings.rate(cast["alice"], asset, lead, GOOD)
    assert queries.rating_figures(asset).overall.too_few
    other = make_lead("finn@acme.example", owner="bob")
    use(cast["bob"], asset, other)
    ratings.rate(cast["bob"], asset, other, {"accuracy": 2, "stage_fit": 5, "buyer_reaction": 5})

    figures = queries.rating_figures(asset)
    accuracy = figures.criteria[0].summary
    # Mean 3, s = √2, n = 2: 3 ± t(0.95, 1) · √2/√2 = 3 ± 6.3138, cut to the scale.
    assert (accuracy.mean, accuracy.low, accuracy.high) == (3, 1, 5)
    stage = figures.criteria[1].summary
    assert (stage.mean, stage.low, stage.high) == (5, 5, 5)
    # (4 + 5 + 2·3) / 4 = 3.75 and (2 + 5 + 2·5) / 4 = 4.25.
    assert figures.overall.mean == pytest.approx((3.75 + 4.25) / 2)


# The library.


def test_the_library_filters_assets_rated_below_3_and_sorts_by_rating(
    client, cast, rubric, make_asset, make_lead
):
    good = make_asset(title="Good story", status="published")
    poor = make_asset(title="Poor story", status="published")
    make_asset(title="Unrated story", status="published")
    lead = make_lead("gus@acme.example", owner="alice")
    for asset, scores in (
        (good, GOOD),
        (poor, {"accuracy": 2, "stage_fit": 3, "buyer_reaction": 1}),
    ):
        use(cast["alice"], asset, lead)
        ratings.rate(cast["alice"], asset, lead, scores)
    client.force_login(cast["alice"])

    below = client.get("/content/", {"rated": "below3"}).context["page"].object_list
    best = client.get("/content/", {"sort": "rating"}).context["page"].object_list
    low = client.get("/content/", {"sort": "rating_low"}).context["page"].object_list

    assert [a.title for a in below] == ["Poor story"]
    assert [a.title for a in best] == ["Good story", "Poor story", "Unrated story"]
    assert [a.title for a in low] == ["Poor story", "Good story", "Unrated story"]


# The API.


def test_the_api_rates_with_a_write_token_and_lists_the_ratings_with_their_figures(
    api, cast, rubric, deal
):
    asset, lead = deal
    token = tokens.issue_token(cast["alice"], name="phone", scope="write")[1]

    made = api("post", f"/assets/{asset.pk}/ratings", token, body={"lead": lead.pk,
               "scores": GOOD, "comment": "Worked."})  # fmt: skip
    listed = api("get", f"/assets/{asset.pk}/ratings", token)
    active = api("get", "/rubrics/active", token)

    assert made.status_code == 201 and made.json()["version"] == 1
    body = listed.json()
    assert body["rubric"] == 1 and body["overall"]["too_few"] is True
    assert body["ratings"][0]["scores"] == GOOD and body["ratings"][0]["comment"] == "Worked."
    assert [c["key"] for c in active.json()["criteria"]] == ["accuracy", "stage_fit",
                                                             "buyer_reaction"]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"scores": {**GOOD, "accuracy": 9}}, 422, "scores.accuracy: Accuracy: 9 is outside"),
        ({"scores": {"accuracy": 4}}, 422, "Stage fit: give a score"),
        ({"lead": 999999}, 422, "lead: There is no lead 999999"),
        ({"lead": "other"}, 422, "lead: You have not sent or used"),
        ({"twice": True}, 422, "lead: You already rated v1"),
    ],
)
def test_the_api_refuses_bad_ratings_in_json_naming_the_field(
    api, cast, rubric, deal, make_lead, body, status, message
):
    asset, lead = deal
    token = tokens.issue_token(cast["alice"], name="phone", scope="write")[1]
    if body.pop("twice", False):
        ratings.rate(cast["alice"], asset, lead, GOOD)
    if body.get("lead") == "other":
        body["lead"] = make_lead("hal@acme.example", owner="alice").pk
    before = Rating.objects.count()

    response = api("post", f"/assets/{asset.pk}/ratings", token, body={"lead": lead.pk,
                   "scores": GOOD, **body})  # fmt: skip

    assert response.status_code == status and message in response.json()["detail"]
    assert Rating.objects.count() == before


def test_the_api_refuses_a_read_token_a_viewer_and_rating_without_a_rubric(api, cast, deal):
    asset, lead = deal
    read = tokens.issue_token(cast["alice"], name="read", scope="read")[1]
    body = {"lead": lead.pk, "scores": GOOD}

    assert api("get", "/rubrics/active", read).status_code == 404
    no_rubric = api("post", f"/assets/{asset.pk}/ratings", tokens.issue_token(
        cast["alice"], name="w", scope="write")[1], body=body)  # fmt: skip
    assert no_rubric.status_code == 422 and "No rating rubric" in no_rubric.json()["detail"]
    assert api("post", f"/assets/{asset.pk}/ratings", read, body=body).status_code == 403
    assert api("post", f"/assets/{asset.pk}/ratings", None, body=body).status_code == 401
    use(cast["vera"], asset, lead)
    draft = ratings.create_rubric(cast["mona"], name="Default", criteria=CRITERIA)
    ratings.propose(cast["mona"], draft)
    ratings.approve(cast["carol"], draft)
    ratings.approve(cast["victor"], draft)
    vera = tokens.issue_token(cast["vera"], name="w", scope="write")[1]
    viewer = api("post", f"/assets/{asset.pk}/ratings", vera, body=body)
    assert viewer.status_code == 403 and "Viewers" in viewer.json()["detail"]
    assert not Rating.objects.exists()


# The demo.


def test_the_demo_rates_from_the_usage_rows_and_good_assets_rate_better(
    cast, make_asset, make_lead
):
    import random

    from accord.demo import content_ratings

    rubric = ratings.create_rubric(cast["mona"], name="Default", criteria=content_ratings.RUBRIC)
    ratings.propose(cast["mona"], rubric)
    ratings.approve(cast["carol"], rubric)
    rubric = ratings.approve(cast["victor"], rubric)
    assets = [make_asset(title=f"Story {n}", status="published") for n in range(8)]
    leads = [make_lead(f"lead{n}@acme.example", owner="alice") for n in range(25)]
    for asset in assets:
        for lead in leads:
            for rep in ("alice", "bob", "sam"):
                use(cast[rep], asset, lead, kind=Usage.Kind.USE)
    use(cast["alice"], assets[0], leads[0])  # sent as well: still one rating on that deal

    written = content_ratings.rate_demo(random.Random(3), rubric=rubric, seed=7, until=None)

    assert written == Rating.objects.count() > 0
    assert not (
        Rating.objects.values("rater", "version", "lead").annotate(n=Count("id")).filter(n__gt=1)
    )
    quality = {a.pk: content_ratings.asset_quality(7, a.pk) for a in assets}
    best, worst = max(quality, key=quality.get), min(quality, key=quality.get)
    mean = {
        pk: sum(float(r) for r in Rating.objects.filter(asset=pk).values_list("score", flat=True))
        / max(1, Rating.objects.filter(asset=pk).count())
        for pk in (best, worst)
    }
    assert mean[best] > mean[worst]
    assert written < 3 * 8 * 25  # not every use is rated: reps rate by habit


def test_the_library_reads_each_assets_rating_and_count_from_the_ratings_index_alone(
    cast, rubric, deal
):
    """EXPLAIN on this engine: a page of the library computes its rows' rating and number of
    ratings without reading the ratings table (about 190 ratings an asset at scale 10)."""
    from django.db import connection
    from django.utils import timezone

    from accord.content import queries

    asset, lead = deal
    ratings.rate(cast["alice"], asset, lead, GOOD)
    rows = queries.with_recent_uses(queries.assets(), timezone.localdate())
    sql, params = rows.order_by().filter(pk__in=[asset.pk]).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table of one rating: without these the planner reads the table whatever.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        cursor.execute(f"{explain} {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    # Both figures (the mean and the count), each from the index alone.
    read_alone = (
        "USING COVERING INDEX content_rating_asset_score"
        if connection.vendor == "sqlite"
        else "Index Only Scan using content_rating_asset_score"
    )
    assert plan.count(read_alone) == 2, plan
    rated = rows.get(pk=asset.pk)
    assert (rated.rating_count, rated.rating) == (1, Rating.objects.get().score)
