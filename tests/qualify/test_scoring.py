"""Lead definitions: reading rules, scoring in Python and in SQL alike, rescoring leads."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.analytics import scoring
from accord.crm.models import Account, Campaign, Lead, LeadStatusChange, Touchpoint
from accord.qualify import sql
from accord.qualify.models import LeadDefinition, Qualification
from accord.qualify.scoring import explain, rescore
from tests.factories import T0

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
THRESHOLDS = {"A": 60, "B": 30, "C": 10}


def rule_fit(field, op, value=None, points=10, **extra):
    return {"type": "fit", "field": field, "op": op, "value": value, "points": points, **extra}


def rule_touch(points, **extra):
    return {"type": "engagement", "points": points, **extra}


def parse(rules, grades=("A", "B"), minimum=40, thresholds=THRESHOLDS):
    return scoring.parse(rules, thresholds, grades, minimum)


# Reading a definition ------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules, thresholds, grades, minimum, where, words",
    [
        ([rule_fit("shoe_size", "equals", "9")], THRESHOLDS, ["A"], 0, "rule 1", "unknown field"),
        ([rule_fit("employees", "contains", "9")], THRESHOLDS, ["A"], 0, "rule 1", "cannot be"),
        ([rule_fit("title", "equals", "")], THRESHOLDS, ["A"], 0, "rule 1", "is empty"),
        (
            [rule_fit("title", "contains", "vp", points=0)],
            THRESHOLDS,
            ["A"],
            0,
            "rule 1",
            "0 points",
        ),
        (
            [rule_fit("employees", "between", [500, 100])],
            THRESHOLDS,
            ["A"],
            0,
            "rule 1",
            "above the maximum",
        ),
        (
            [rule_fit("title", "contains", "vp", points=80)],
            {"A": 10, "B": 30, "C": 5},
            ["A"],
            0,
            "grades",
            "fall from A to C",
        ),
        (
            [rule_fit("title", "contains", "vp", points=80)],
            THRESHOLDS,
            [],
            0,
            "MQL condition",
            "at least one grade",
        ),
        (
            [rule_fit("title", "contains", "vp", points=20)],
            THRESHOLDS,
            ["A"],
            0,
            "MQL condition",
            "needs more fit points",
        ),
        (
            [rule_fit("title", "contains", "vp", points=80)],
            THRESHOLDS,
            ["A"],
            50,
            "MQL condition",
            "engagement rules",
        ),
        (
            [rule_fit("title", "contains", "vp", points=80), rule_touch(10, cap=30)],
            THRESHOLDS,
            ["A"],
            50,
            "MQL condition",
            "capped rules",
        ),
        ([rule_touch(10, half_life_days=-3)], THRESHOLDS, ["D"], 0, "rule 1", "half-life"),
        ([], THRESHOLDS, ["D"], 0, "rules", "at least one rule"),
        ([{"type": "mood", "points": 3}], THRESHOLDS, ["D"], 0, "rule 1", "type must be"),
    ],
)
def test_a_bad_definition_says_where_and_why(rules, thresholds, grades, minimum, where, words):
    with pytest.raises(scoring.DefinitionError) as caught:
        scoring.parse(rules, thresholds, grades, minimum)
    assert any(w == where and words in m for w, m in caught.value.problems), caught.value


def test_engagement_rules_may_only_name_known_kinds_channels_and_campaigns():
    known = {"kinds": {"webinar"}, "channels": {"events"}, "campaigns": {4}}
    with pytest.raises(scoring.DefinitionError) as caught:
        scoring.parse(
            [
                rule_touch(5, touch_kind="seance"),
                rule_touch(5, channel="tv"),
                rule_touch(5, campaign=9),
            ],
            THRESHOLDS,
            ["D"],
            0,
            known=known,
        )
    messages = [m for _, m in caught.value.problems]
    assert messages == [
        "unknown touchpoint kind 'seance'",
        "unknown channel 'tv'",
        "there is no campaign with id 9",
    ]


def test_the_python_reference_grades_scores_caps_and_decays():
    definition = parse(
        [
            rule_fit("title", "contains", "vp", points=40),
            rule_fit("employees", "between", [200, 5000], points=25),
            rule_fit("email_domain", "one_of", ["gmail.com", "yahoo.com"], points=-50),
            rule_touch(30, touch_kind="demo_request"),
            rule_touch(5, touch_kind="web_visit", cap=10),
            rule_touch(20, touch_kind="webinar", half_life_days=10),
        ]
    )
    lead = scoring.LeadFacts(title=" VP Sales ", email="x@acme.example", employees=800)
    touches = [
        scoring.TouchFacts("web_visit", "organic_search", None, NOW - timedelta(days=d))
        for d in (1, 2, 3, 4)
    ] + [
        scoring.TouchFacts("webinar", "webinar", None, NOW - timedelta(days=10)),
        scoring.TouchFacts("demo_request", "direct", None, NOW + timedelta(days=1)),  # future
    ]
    result = scoring.evaluate(definition, lead, touches, NOW)
    assert (result.fit_points, result.grade) == (65, "A")
    assert result.score == 20  # web visits capped at 10, the webinar halved to 10
    assert result.passes is False  # 20 < 40
    gmail = scoring.evaluate(definition, scoring.LeadFacts(email="x@GMAIL.com"), [], NOW)
    assert (gmail.fit_points, gmail.grade) == (-50, "D")


# The same numbers in SQL ---------------------------------------------------------------

TITLES = ["VP Marketing", " vp sales ", "Director of IT", "Student", "", "CTO", "Geschäftsführer"]
DOMAINS = ["gmail.com", "Acme.example", "uni.edu", "rival.example"]
INDUSTRIES = ["Software", "software ", "Retail", ""]
KINDS = ["web_visit", "webinar", "demo_request", "email_open"]
CHANNEL_KEYS = ["webinar", "paid_search", "outbound_sdr"]

text_value = st.sampled_from(
    [
        "vp",
        "VP Sales",
        "director",
        "student",
        "gmail.com",
        "acme.example",
        "software",
        "us",
        "DE",
        "web",
        "paid_search",
        "ß",
        "ä",
    ]
)
fit_rules = st.one_of(
    st.builds(
        rule_fit,
        st.sampled_from(["title", "email_domain", "source", "industry", "country"]),
        st.sampled_from(["equals", "contains", "starts_with", "is_empty"]),
        text_value,
        st.integers(-40, 40).filter(bool),
    ),
    st.builds(
        rule_fit,
        st.sampled_from(["title", "email_domain", "source", "industry", "country"]),
        st.just("one_of"),
        st.lists(text_value, min_size=1, max_size=3),
        st.integers(-40, 40).filter(bool),
    ),
    st.builds(
        rule_fit,
        st.just("employees"),
        st.just("between"),
        st.tuples(st.sampled_from([None, 10, 250]), st.sampled_from([None, 1000, 60000]))
        .filter(lambda v: v != (None, None))
        .map(list),
        st.integers(-40, 40).filter(bool),
    ),
    st.builds(
        rule_fit,
        st.just("employees"),
        st.sampled_from(["equals", "is_empty"]),
        st.sampled_from([250, 1600]),
        st.integers(-40, 40).filter(bool),
    ),
)
engagement_rules = st.builds(
    lambda points, kind, channel, cap, half_life: rule_touch(
        points, touch_kind=kind, channel=channel, cap=cap, half_life_days=half_life
    ),
    st.integers(-15, 30).filter(bool),
    st.sampled_from(["", *KINDS]),
    st.sampled_from(["", *CHANNEL_KEYS]),
    st.sampled_from([None, 5, 25]),
    st.sampled_from([None, 3.5, 30]),
)
leads = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.sampled_from(TITLES),
            "domain": st.sampled_from(DOMAINS),
            "source": st.sampled_from([None, *CHANNEL_KEYS]),
            "account": st.one_of(
                st.none(),
                st.tuples(
                    st.sampled_from(INDUSTRIES),
                    st.sampled_from(["US", "de", ""]),
                    st.sampled_from([None, 5, 250, 1600, 50000]),
                ),
            ),
            "touches": st.lists(
                st.tuples(
                    st.sampled_from(KINDS),
                    st.sampled_from(CHANNEL_KEYS),
                    st.booleans(),
                    st.integers(-5 * 86400, 400 * 86400),  # seconds before NOW (negative: after)
                ),
                max_size=6,
            ),
        }
    ),
    min_size=1,
    max_size=6,
)


def _store(dataset, channels) -> list[tuple[Lead, scoring.LeadFacts, list]]:
    campaign = Campaign.objects.create(
        name="Spring", channel=channels["webinar"], starts_on=T0.date()
    )
    stored = []
    for number, row in enumerate(dataset):
        account = None
        if row["account"]:
            industry, country, employees = row["account"]
            account = Account.objects.create(
                name=f"Co {number}",
                industry=industry,
                country=country,
                employees=employees,
                created_at=T0,
            )
        lead = Lead.objects.create(
            email=f"p{number}@{row['domain']}",
            title=row["title"],
            account=account,
            source=channels[row["source"]] if row["source"] else None,
            status_changed_at=T0,
            created_at=T0,
        )
        touches = []
        for kind, channel, in_campaign, seconds in row["touches"]:
            at = NOW - timedelta(seconds=seconds, microseconds=123)
            Touchpoint.objects.create(
                lead=lead,
                channel=channels[channel],
                kind=kind,
                occurred_at=at,
                campaign=campaign if in_campaign else None,
            )
            touches.append(
                scoring.TouchFacts(kind, channel, campaign.pk if in_campaign else None, at)
            )
        facts = scoring.LeadFacts(
            title=lead.title,
            email=lead.email,
            source=row["source"] or "",
            industry=account.industry if account else "",
            country=account.country if account else "",
            employees=account.employees if account else None,
        )
        stored.append((lead, facts, touches))
    return stored, campaign


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dataset=leads,
    fits=st.lists(fit_rules, max_size=4),
    engagements=st.lists(engagement_rules, max_size=4),
    campaign_rule=st.booleans(),
)
def test_sql_scores_every_lead_exactly_as_the_python_reference(
    channels, dataset, fits, engagements, campaign_rule
):
    with transaction.atomic():
        stored, campaign = _store(dataset, channels)
        rules = fits + engagements
        if campaign_rule:
            rules.append(rule_touch(7, campaign=campaign.pk))
        if not rules:
            rules = [rule_fit("title", "is_empty", None, 5)]
        definition = scoring.parse(rules, THRESHOLDS, ["A", "B", "C", "D"], 0)
        query, params = sql.scores_query(definition, as_of_epoch=NOW.timestamp())
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(query, params)
            got = {lead_id: (fit, grade, score) for lead_id, fit, grade, score in cursor.fetchall()}
        for lead, facts, touches in stored:
            expected = scoring.evaluate(definition, facts, touches, NOW)
            assert got[lead.pk] == (expected.fit_points, expected.grade, expected.score), (
                lead.email,
                lead.title,
                rules,
            )
        transaction.set_rollback(True)


# Rescoring -----------------------------------------------------------------------------


@pytest.fixture
def definition(cast):
    return LeadDefinition.objects.create(
        version=1,
        name="Fit and intent",
        status=LeadDefinition.Status.ACTIVE,
        rules=[
            rule_fit("title", "contains", "vp", points=40),
            rule_fit("industry", "equals", "manufacturing", points=30),
            rule_touch(50, touch_kind="demo_request"),
            rule_touch(5, touch_kind="web_visit", cap=20),
        ],
        grade_thresholds=THRESHOLDS,
        mql_grades=["A", "B"],
        mql_min_score=40,
        created_at=T0,
    )


def _touch(lead, channels, kind, at):
    return Touchpoint.objects.create(
        lead=lead, channel=channels["webinar"], kind=kind, occurred_at=at
    )


def test_rescoring_promotes_new_leads_that_pass_and_records_when_and_under_which_version(
    definition, make_lead, channels
):
    passing = make_lead("vp@acme.example", title="VP Operations")
    _touch(passing, channels, "demo_request", T0 + timedelta(days=1))
    weak = make_lead("ic@acme.example", title="Engineer", account=None)
    _touch(weak, channels, "demo_request", T0 + timedelta(days=1))
    run = rescore(definition, now=NOW)
    assert (run.leads_scored, run.promoted) == (2, 1)
    passing.refresh_from_db()
    weak.refresh_from_db()
    assert (passing.status, passing.fit_grade, passing.engagement_score) == ("mql", "A", 50)
    assert (weak.status, weak.fit_grade, weak.engagement_score) == ("new", "D", 50)
    assert passing.scored_at == NOW and passing.status_changed_at == NOW
    change = LeadStatusChange.objects.get(lead=passing, to_status="mql")
    assert (change.from_status, change.changed_at) == ("new", NOW)
    assert "v1" in change.reason
    q = Qualification.objects.get(lead=passing)
    assert (q.definition, q.at, q.fit_grade, q.score) == (definition, NOW, "A", 50)


def test_a_rescore_never_demotes_and_never_promotes_twice(definition, make_lead, channels):
    sql_lead = make_lead("sql@acme.example", title="Engineer", status=Lead.Status.SQL)
    mql = make_lead("vp@acme.example", title="VP Operations")
    _touch(mql, channels, "demo_request", T0)
    rescore(definition, now=NOW)
    Touchpoint.objects.filter(lead=mql).delete()
    run = rescore(definition, now=NOW + timedelta(days=1))
    assert run.promoted == 0
    mql.refresh_from_db()
    sql_lead.refresh_from_db()
    assert (mql.status, mql.engagement_score) == ("mql", 0)  # score falls, status stays
    assert sql_lead.status == "sql"
    assert Qualification.objects.filter(lead=mql).count() == 1


def test_a_recycled_lead_comes_back_only_after_it_is_touched_again(definition, make_lead, channels):
    lead = make_lead(
        "vp@acme.example",
        title="VP Operations",
        status=Lead.Status.RECYCLED,
        created_at=T0 + timedelta(days=10),
    )
    _touch(lead, channels, "demo_request", T0 + timedelta(days=2))  # before it was recycled
    assert rescore(definition, now=NOW).promoted == 0
    _touch(lead, channels, "web_visit", T0 + timedelta(days=20))
    assert rescore(definition, now=NOW).promoted == 1
    lead.refresh_from_db()
    assert lead.status == "mql"
    assert LeadStatusChange.objects.get(lead=lead, to_status="mql").from_status == "recycled"


def test_rescoring_a_few_leads_leaves_the_others_alone(definition, make_lead, channels):
    one = make_lead("one@acme.example", title="VP Operations")
    other = make_lead("other@acme.example", title="VP Operations")
    for lead in (one, other):
        _touch(lead, channels, "demo_request", T0)
    run = rescore(definition, now=NOW, lead_ids=[one.pk])
    assert (run.leads_scored, run.promoted) == (1, 1)
    other.refresh_from_db()
    assert (other.status, other.scored_at) == ("new", None)


def test_the_explanation_matches_the_stored_scores(definition, make_lead, channels):
    lead = make_lead("vp@acme.example", title="VP Operations")
    _touch(lead, channels, "web_visit", T0)
    rescore(definition, now=NOW)
    lead.refresh_from_db()
    explained = explain(lead, definition)
    assert (explained.grade, explained.score) == (lead.fit_grade, lead.engagement_score)
    assert [r.describe() for r, _ in explained.fit] == [
        "Job title contains 'vp'",
        "Account industry equals 'manufacturing'",
    ]
