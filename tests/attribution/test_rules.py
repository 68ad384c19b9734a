"""Rule-based attribution, the reference: exact money per touch for every model.

Hand-worked journeys pin the rules (the arithmetic is in the comments): one touch, two,
five with distinct milestones, milestones that merge, no touch between milestones,
touches outside the lookback and after the close, pipeline against revenue, the other
U-shape, time decay. Hypothesis then checks on random journeys that every model's credits
add up to the amount to the cent, are never negative, and ignore the input order.
"""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.analytics.attribution.rules import (
    DEFAULTS,
    MILESTONES,
    MODELS,
    Journey,
    Options,
    Touch,
    Unattributed,
    attribute,
    credits,
    milestones,
    weights,
    window,
)

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # every journey's opportunity opens here
REVENUE = Options(basis="revenue")


def touch(id, days, channel="web"):
    """A touch `days` after the opportunity opened (negative: before)."""
    return Touch(id, OPENED + timedelta(days=days), channel)


def journey(*touches, amount="1000.00", lead=None, won=None, opportunity=1):
    """Lead created and deal won `lead` and `won` days after the opportunity opened."""
    return Journey(
        opportunity=opportunity,
        amount=None if amount is None else Decimal(amount),
        created_at=OPENED,
        lead_created_at=None if lead is None else OPENED + timedelta(days=lead),
        closed_won_at=None if won is None else OPENED + timedelta(days=won),
        touches=touches,
    )


def money(**by_touch):
    """money(t1="400.00") -> {1: Decimal("400.00")}"""
    return {int(name[1:]): Decimal(value) for name, value in by_touch.items()}


# Five touches, the lead created at touch 3: first touch 1, lead creation 3, opportunity
# creation 5; touches 2 and 4 lie between milestones.
FIVE = journey(
    touch(1, -100, "ads"),
    touch(2, -60, "email"),
    touch(3, -40, "form"),
    touch(4, -20, "event"),
    touch(5, -5, "web"),
    lead=-40,
)

# The same, won 30 days after opening, with a touch before the lookback (0), two after the
# opportunity opened (6, and 7 at the very moment of the close) and one after the close (8).
LONG = journey(
    touch(0, -400),
    *FIVE.touches,
    touch(6, 10),
    touch(7, 30),
    touch(8, 31),
    amount="700.00",
    lead=-40,
    won=30,
)


# Given five touches with distinct milestones (pipeline, 1,000.00)
@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", money(t1="1000", t2="0", t3="0", t4="0", t5="0")),
        ("lead_creation", money(t1="0", t2="0", t3="1000", t4="0", t5="0")),
        ("last_touch", money(t1="0", t2="0", t3="0", t4="0", t5="1000")),
        # 1,000 / 5
        ("linear", money(t1="200", t2="200", t3="200", t4="200", t5="200")),
        # 40% first, 40% lead creation, 20% to touch 2, the only touch between them;
        # touches 4 and 5 come after lead creation and get nothing
        ("u_shaped", money(t1="400", t2="200", t3="400", t4="0", t5="0")),
        # 30% each to touches 1, 3, 5; 10% / 2 to touches 2 and 4
        ("w_shaped", money(t1="300", t2="50", t3="300", t4="50", t5="300")),
        # 22.5% each to touches 1, 3, 5, and the open deal's closed-won 22.5% to the last
        # touch, 5 (225 + 225 = 450); 10% / 2 to touches 2 and 4
        ("full_path", money(t1="225", t2="50", t3="225", t4="50", t5="450")),
    ],
)
def test_five_touches_with_distinct_milestones(model, expected):
    assert credits(FIVE, model) == expected


def test_five_touches_place_their_milestones():
    assert milestones(FIVE) == {"first_touch": 1, "lead_creation": 3, "opportunity_creation": 5}


def test_u_shape_can_follow_the_last_touch_instead_of_lead_creation():
    # 40% first (400), 40% last before the opportunity (400), 20% / 3 to touches 2, 3, 4:
    # 6,666.67 cents each, floored to 6,666; the 2 cents left go to the earlier touches of
    # the equal remainders, 2 and 3
    last_touch = Options(u_shape="last_touch")

    assert credits(FIVE, "u_shaped", last_touch) == money(
        t1="400", t2="66.67", t3="66.67", t4="66.66", t5="400"
    )


def test_weights_are_exact_fractions_summing_to_one():
    assert weights(FIVE, "w_shaped") == {
        1: Fraction(3, 10),
        2: Fraction(1, 20),
        3: Fraction(3, 10),
        4: Fraction(1, 20),
        5: Fraction(3, 10),
    }


def test_the_window_leaves_out_touches_before_the_lookback_and_after_the_close():
    assert [t.id for t in window(LONG)] == [1, 2, 3, 4, 5]
    assert [t.id for t in window(LONG, REVENUE)] == [1, 2, 3, 4, 5, 6, 7]


def test_the_lookback_is_inclusive_and_configurable():
    edge = journey(
        Touch(1, OPENED - timedelta(days=365, microseconds=1), "ads"),
        Touch(2, OPENED - timedelta(days=365), "ads"),
        Touch(3, OPENED, "web"),  # at the very moment the opportunity opens
        Touch(4, OPENED + timedelta(microseconds=1), "web"),
    )

    assert [t.id for t in window(edge)] == [2, 3]
    assert [t.id for t in window(FIVE, Options(lookback_days=50))] == [3, 4, 5]


def test_a_shorter_lookback_moves_the_first_touch():
    # Touches 3, 4, 5 remain; 3 is first touch and lead creation: 1,000 / 3 in linear is
    # 33,333.33 cents each, and the one cent left goes to the earliest touch
    short = Options(lookback_days=50)

    assert milestones(FIVE, short)["first_touch"] == 3
    assert credits(FIVE, "linear", short) == money(t3="333.34", t4="333.33", t5="333.33")


# Given the long journey on revenue basis (won, 700.00): touches 1 to 7 count
@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # The single-touch models keep their pipeline milestones
        ("first_touch", money(t1="700", t2="0", t3="0", t4="0", t5="0", t6="0", t7="0")),
        ("lead_creation", money(t1="0", t2="0", t3="700", t4="0", t5="0", t6="0", t7="0")),
        ("last_touch", money(t1="0", t2="0", t3="0", t4="0", t5="700", t6="0", t7="0")),
        # 700 / 7
        ("linear", money(t1="100", t2="100", t3="100", t4="100", t5="100", t6="100", t7="100")),
        # 40% = 280 to touches 1 and 3, 20% = 140 to touch 2
        ("u_shaped", money(t1="280", t2="140", t3="280", t4="0", t5="0", t6="0", t7="0")),
        # 30% = 210 to touches 1, 3, 5; 10% / 2 = 35 to 2 and 4; nothing after touch 5
        ("w_shaped", money(t1="210", t2="35", t3="210", t4="35", t5="210", t6="0", t7="0")),
        # 22.5% = 157.50 to touches 1, 3, 5 and 7 (closed won); 10% = 70 / 3 to 2, 4, 6:
        # 2,333.33 cents each, floored to 2,333, the cent left to the earliest, touch 2
        (
            "full_path",
            money(
                t1="157.50",
                t2="23.34",
                t3="157.50",
                t4="23.33",
                t5="157.50",
                t6="23.33",
                t7="157.50",
            ),
        ),
    ],
)
def test_revenue_basis_credits_the_won_amount_up_to_the_close(model, expected):
    assert credits(LONG, model, REVENUE) == expected


def test_revenue_basis_adds_the_closed_won_milestone():
    assert milestones(LONG, REVENUE) == {
        "first_touch": 1,
        "lead_creation": 3,
        "opportunity_creation": 5,
        "closed_won": 7,
    }


def test_pipeline_basis_on_the_same_journey_stops_at_the_opportunity():
    # Touches 1 to 5: 700 / 5
    assert credits(LONG, "linear") == money(t1="140", t2="140", t3="140", t4="140", t5="140")
    assert "closed_won" not in milestones(LONG)


# Given first touch and lead creation on one touch: the lead was created 200 days before
# the opportunity, before any touch, so lead creation is the first touch after it
MERGED = journey(touch(1, -100), touch(2, -50), touch(3, -10), lead=-200)


@pytest.mark.parametrize(
    ("model", "options", "expected"),
    [
        # 40% + 40% on touch 1, nothing between the milestones: touch 1 takes the 20% too
        ("u_shaped", DEFAULTS, money(t1="1000", t2="0", t3="0")),
        # 40% first, 40% last touch (3), 20% to touch 2
        ("u_shaped", Options(u_shape="last_touch"), money(t1="400", t2="200", t3="400")),
        # 30% + 30% on touch 1, 30% on touch 3, 10% to touch 2
        ("w_shaped", DEFAULTS, money(t1="600", t2="100", t3="300")),
        # 22.5% + 22.5% on touch 1, 22.5% + 22.5% (closed won, pending) on touch 3, 10% to 2
        ("full_path", DEFAULTS, money(t1="450", t2="100", t3="450")),
    ],
)
def test_merged_milestones_add_their_shares(model, options, expected):
    assert milestones(MERGED)["lead_creation"] == 1
    assert credits(MERGED, model, options) == expected


# Given two touches, the lead created at the second one: no touch between milestones
TWO = journey(touch(1, -30), touch(2, -3), lead=-3)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", money(t1="1000", t2="0")),
        ("lead_creation", money(t1="0", t2="1000")),
        ("last_touch", money(t1="0", t2="1000")),
        ("linear", money(t1="500", t2="500")),
        # 40 : 40, the 20% spread shared in proportion: 50% each
        ("u_shaped", money(t1="500", t2="500")),
        # 30 : (30 + 30) = 1/3 : 2/3, i.e. 33,333.33 and 66,666.67 cents: floored to
        # 33,333 and 66,666, the cent left to the larger remainder, touch 2
        ("w_shaped", money(t1="333.33", t2="666.67")),
        # 22.5 : (22.5 + 22.5 + 22.5 pending) = 1/4 : 3/4
        ("full_path", money(t1="250", t2="750")),
    ],
)
def test_two_touches_share_the_spread_in_proportion(model, expected):
    assert credits(TWO, model) == expected


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("options", [Options(), REVENUE, Options(u_shape="last_touch")])
def test_one_touch_gets_everything_under_every_model(model, options):
    single = journey(touch(1, -10), amount="1234.56", won=5)

    assert credits(single, model, options) == money(t1="1234.56")


def test_lead_creation_is_the_last_touch_at_or_before_the_lead():
    between = journey(*FIVE.touches, lead=-50)  # between touch 2 (-60) and touch 3 (-40)

    assert milestones(between)["lead_creation"] == 2


def test_a_lead_created_after_its_opportunity_counts_as_created_with_it():
    late = journey(*FIVE.touches, lead=10)

    assert milestones(late)["lead_creation"] == 5
    assert milestones(journey(*LONG.touches, lead=10, won=30), REVENUE)["lead_creation"] == 5


def test_an_unknown_lead_creation_counts_as_the_opportunitys_creation():
    unknown = journey(*FIVE.touches, lead=None)

    assert milestones(unknown)["lead_creation"] == 5
    # U-shaped then gives 40% to touch 1 and to touch 5, 20% / 3 to touches 2, 3, 4
    assert credits(unknown, "u_shaped") == credits(FIVE, "u_shaped", Options(u_shape="last_touch"))


def test_revenue_touches_all_after_the_opportunity_place_its_milestones_on_the_first():
    # No touch before the opportunity opened: first touch, lead creation and opportunity
    # creation fall on touch 1, closed won on touch 2
    after = journey(touch(1, 5), touch(2, 10), amount="100.00", lead=-3, won=20)

    assert milestones(after, REVENUE) == {
        "first_touch": 1,
        "lead_creation": 1,
        "opportunity_creation": 1,
        "closed_won": 2,
    }
    # 67.5% : 22.5% = 3/4 : 1/4
    assert credits(after, "full_path", REVENUE) == money(t1="75", t2="25")
    # 90% on touch 1 and no touch between milestones: touch 1 takes it all
    assert credits(after, "w_shaped", REVENUE) == money(t1="100", t2="0")


def test_touches_at_the_same_moment_are_ordered_by_id():
    same = journey(touch(9, -10), touch(4, -10), touch(7, -10), amount="100.00")

    assert milestones(same) == {"first_touch": 4, "lead_creation": 9, "opportunity_creation": 9}
    # 10,000 / 3 = 3,333.33 cents each; the cent left goes to the first touch, 4
    assert credits(same, "linear") == money(t4="33.34", t7="33.33", t9="33.33")
    assert list(credits(same, "linear")) == [4, 7, 9]


# Given touches 14 and 7 days before the opportunity opened, one as it opened and one 7 days
# later, at the close (1,500.00)
DECAY = journey(touch(1, -14), touch(2, -7), touch(3, 0), touch(4, 7), amount="1500.00", won=7)


def test_time_decay_halves_a_touchs_weight_every_half_life():
    # Pipeline: ages 14, 7, 0 days from the opening -> 1/4 : 1/2 : 1 = 1 : 2 : 4 over 7.
    # 150,000 cents x 1/7, 2/7, 4/7 = 21,428.57, 42,857.14, 85,714.29 -> floored they leave
    # one cent, which goes to the largest remainder (.57), touch 1
    assert weights(DECAY, "time_decay") == {1: Fraction(1, 7), 2: Fraction(2, 7), 3: Fraction(4, 7)}
    assert credits(DECAY, "time_decay") == money(t1="214.29", t2="428.57", t3="857.14")


def test_time_decay_on_revenue_counts_age_from_the_close():
    # Ages 21, 14, 7, 0 days from the close -> 1 : 2 : 4 : 8 over 15, of 1,500
    assert credits(DECAY, "time_decay", REVENUE) == money(t1="100", t2="200", t3="400", t4="800")


def test_time_decay_half_life_is_configurable():
    # Half-life 3.5 days: ages 14, 7, 0 are 4, 2, 0 half-lives -> 1/16 : 1/4 : 1 = 1 : 4 : 16
    # over 21. 150,000 cents x 1/21, 4/21, 16/21 = 7,142.86, 28,571.43, 114,285.71 ->
    # floored they leave two cents, to the largest remainders: touch 1 (.86), touch 3 (.71)
    fast = Options(half_life_days=3.5)

    assert credits(DECAY, "time_decay", fast) == money(t1="71.43", t2="285.71", t3="1142.86")


def test_a_journey_without_touches_has_no_weights_or_credits():
    assert window(journey()) == ()
    assert milestones(journey()) == {}
    assert weights(journey(), "w_shaped") == {}
    assert credits(journey(), "w_shaped") == {}


def test_a_zero_amount_credits_zero_to_every_touch():
    assert credits(journey(touch(1, -3), touch(2, -1), amount="0"), "linear") == money(
        t1="0", t2="0"
    )


def test_attribute_reports_journeys_it_cannot_credit_as_unattributed():
    # Account touches 1 and 2 serve opportunities 10 and 11; opportunity 12 has no touch at
    # all, 13 only one before its lookback, 14 no amount
    shared = (touch(1, -30, "ads"), touch(2, -10, "email"))
    journeys = [
        journey(*shared, amount="500.00", opportunity=11),
        journey(*shared, amount="300.00", opportunity=10),
        journey(amount="250.00", opportunity=12),
        journey(touch(3, -400), amount="125.50", opportunity=13),
        journey(*shared, amount=None, opportunity=14),
    ]

    result = attribute(journeys, "linear")

    assert [(c.opportunity, c.touch.id, c.amount) for c in result.credits] == [
        (10, 1, Decimal("150.00")),
        (10, 2, Decimal("150.00")),
        (11, 1, Decimal("250.00")),
        (11, 2, Decimal("250.00")),
    ]
    assert result.unattributed == (
        Unattributed(12, Decimal("250.00"), "no touchpoints"),
        Unattributed(13, Decimal("125.50"), "no touchpoints in the window"),
        Unattributed(14, None, "no amount"),
    )
    assert result.total_credited == Decimal("800.00")
    assert result.total_unattributed == Decimal("375.50")
    assert result.total_amount == Decimal("1175.50")
    assert result.per_touch() == {1: Decimal("400.00"), 2: Decimal("400.00")}
    assert result.per_channel() == {"ads": Decimal("400.00"), "email": Decimal("400.00")}


def test_attribute_on_revenue_leaves_out_opportunities_that_were_not_won():
    journeys = [
        journey(touch(1, -3), amount="900.00", opportunity=1, won=20),
        journey(touch(2, -3), amount="400.00", opportunity=2),
    ]

    result = attribute(journeys, "first_touch", REVENUE)

    assert result.not_won == (2,)
    assert [(c.opportunity, c.amount) for c in result.credits] == [(1, Decimal("900.00"))]
    assert result.total_amount == Decimal("900.00")


def test_attribute_keeps_the_weights_with_the_money():
    result = attribute([FIVE], "w_shaped")

    assert {c.touch.id: c.weight for c in result.credits} == weights(FIVE, "w_shaped")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            journey(touch(1, -3), amount="-1.00", opportunity=7),
            "opportunity 7: amount -1.00 is negative",
        ),
        (
            journey(touch(1, -3), amount="10.005", opportunity=7),
            "opportunity 7: amount 10.005 has a fraction of a cent",
        ),
        (
            journey(touch(1, -3), amount="NaN", opportunity=7),
            "opportunity 7: amount Decimal('NaN') is not a finite Decimal",
        ),
        (
            Journey(7, 10.5, OPENED, None, None, ()),
            "opportunity 7: amount 10.5 is not a finite Decimal",
        ),
        (
            Journey(7, Decimal(1), datetime(2026, 3, 2, 9), None, None, ()),
            "opportunity 7: created_at 2026-03-02 09:00:00 has no time zone",
        ),
        (
            Journey(7, Decimal(1), OPENED, datetime(2026, 1, 5), None, ()),
            "opportunity 7: lead_created_at 2026-01-05 00:00:00 has no time zone",
        ),
        (
            Journey(7, Decimal(1), OPENED, None, datetime(2026, 5, 1), ()),
            "opportunity 7: closed_won_at 2026-05-01 00:00:00 has no time zone",
        ),
        (
            Journey(7, Decimal(1), OPENED, None, None, (Touch(3, datetime(2026, 2, 1), "ads"),)),
            "opportunity 7: touch 3 at 2026-02-01 00:00:00 has no time zone",
        ),
        (
            journey(touch(1, -3), touch(1, -2), opportunity=7),
            "opportunity 7: touch 1 appears more than once",
        ),
        (
            journey(touch(1, -3), won=-1, opportunity=7),
            "opportunity 7: closed_won_at is before created_at",
        ),
    ],
)
def test_bad_journeys_are_refused_naming_the_opportunity(bad, message):
    with pytest.raises(ValueError) as error:
        attribute([bad], "linear")
    assert str(error.value) == message
    with pytest.raises(ValueError) as error:
        credits(bad, "linear")
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"basis": "bookings"},
            "unknown basis 'bookings': use one of pipeline, revenue",
        ),
        (
            {"u_shape": "opportunity"},
            "unknown u_shape 'opportunity': use one of lead_creation, last_touch",
        ),
        ({"lookback_days": 0}, "lookback_days must be a whole number above 0, not 0"),
        ({"lookback_days": -30}, "lookback_days must be a whole number above 0, not -30"),
        ({"lookback_days": 1.5}, "lookback_days must be a whole number above 0, not 1.5"),
        ({"lookback_days": 1096}, "lookback_days must be at most 1095 (three years), not 1096"),
        ({"half_life_days": 0}, "half_life_days must be a number above 0, not 0"),
        ({"half_life_days": -7.0}, "half_life_days must be a number above 0, not -7.0"),
        ({"half_life_days": float("inf")}, "half_life_days must be a number above 0, not inf"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError) as error:
        Options(**options)
    assert str(error.value) == message


def test_an_unknown_model_is_refused():
    message = (
        "unknown model 'last_click': use one of first_touch, lead_creation, last_touch, "
        "linear, u_shaped, w_shaped, full_path, time_decay"
    )
    for call in (attribute, lambda j, m: credits(j[0], m), lambda j, m: weights(j[0], m)):
        with pytest.raises(ValueError) as error:
            call([FIVE], "last_click")
        assert str(error.value) == message


def test_revenue_credit_of_an_opportunity_not_won_is_refused():
    with pytest.raises(ValueError) as error:
        credits(FIVE, "linear", REVENUE)
    assert str(error.value) == "opportunity 1 is not won: it has no revenue to attribute"


def test_credits_without_an_amount_are_refused():
    with pytest.raises(ValueError) as error:
        credits(journey(touch(1, -3), amount=None, opportunity=7), "linear")
    assert str(error.value) == "opportunity 7 has no amount to attribute"


def test_an_opportunity_given_twice_is_refused():
    with pytest.raises(ValueError) as error:
        attribute([FIVE, FIVE], "linear")
    assert str(error.value) == "opportunity 1 appears more than once"


# Random journeys: touch times in hours around the opening, with the edges (the lookback's
# start, the opening itself) and shared instants drawn often; several time zones.
ZONES = [UTC, timezone(timedelta(hours=-5)), ZoneInfo("Europe/London")]
CHANNELS = ["ads", "email", "event", "web"]
hours = st.one_of(
    st.integers(min_value=-400 * 24, max_value=60 * 24),
    st.sampled_from([-365 * 24, -24, 0, 24]),
)


@st.composite
def journeys(draw, opportunity=1):
    zone = draw(st.sampled_from(ZONES))
    opened = OPENED.astimezone(zone)
    ids = draw(st.lists(st.integers(min_value=1, max_value=50), unique=True, max_size=8))
    touches = tuple(
        Touch(i, opened + timedelta(hours=draw(hours)), draw(st.sampled_from(CHANNELS)))
        for i in ids
    )
    lead = draw(st.none() | hours)
    won = draw(st.none() | st.integers(min_value=0, max_value=60 * 24))
    return Journey(
        opportunity=opportunity,
        amount=Decimal(draw(st.integers(min_value=0, max_value=10**9))).scaleb(-2),
        created_at=opened,
        lead_created_at=None if lead is None else opened + timedelta(hours=lead),
        closed_won_at=None if won is None else opened + timedelta(hours=won),
        touches=touches,
    )


options = st.builds(
    Options,
    lookback_days=st.integers(min_value=1, max_value=400),
    half_life_days=st.sampled_from([0.001, 1, 7.0, 30.5]),
    u_shape=st.sampled_from(["lead_creation", "last_touch"]),
)


def basis_for(journey, options):
    """Revenue basis where the journey was won, pipeline otherwise."""
    return replace(options, basis="revenue" if journey.closed_won_at else "pipeline")


@settings(deadline=None, database=None, max_examples=300)
@given(journey=journeys(), options=options, revenue=st.booleans())
def test_every_model_credits_exactly_the_amount_and_never_less_than_zero(journey, options, revenue):
    options = basis_for(journey, options) if revenue else options
    touches = window(journey, options)

    for model in MODELS:
        shares = weights(journey, model, options)
        money = credits(journey, model, options)

        assert list(money) == [t.id for t in touches]
        assert all(share >= 0 for share in shares.values())
        assert all(amount >= 0 for amount in money.values())
        if touches:
            assert sum(shares.values()) == 1
            assert sum(money.values()) == journey.amount


@settings(deadline=None, database=None, max_examples=300)
@given(journey=journeys(), options=options, seed=st.integers())
def test_the_order_of_the_touches_changes_nothing(journey, options, seed):
    options = basis_for(journey, options)
    shuffled = list(journey.touches)
    random.Random(seed).shuffle(shuffled)
    again = replace(journey, touches=tuple(shuffled))

    assert window(again, options) == window(journey, options)
    assert milestones(again, options) == milestones(journey, options)
    for model in MODELS:
        assert credits(again, model, options) == credits(journey, model, options)


@settings(deadline=None, database=None)
@given(journey=journeys(), options=options)
def test_milestones_come_in_funnel_order(journey, options):
    options = basis_for(journey, options)
    place = {t.id: i for i, t in enumerate(window(journey, options))}
    found = milestones(journey, options)

    positions = [place[found[name]] for name in MILESTONES if name in found]

    assert positions == sorted(positions)


@settings(deadline=None, database=None)
@given(
    journeys=st.lists(st.integers(min_value=1, max_value=5), max_size=5, unique=True).flatmap(
        lambda ids: st.tuples(*(journeys(opportunity=i) for i in ids))
    ),
    model=st.sampled_from(MODELS),
    options=options,
    revenue=st.booleans(),
)
def test_credited_and_unattributed_add_up_to_the_total(journeys, model, options, revenue):
    options = replace(options, basis="revenue" if revenue else "pipeline")
    counted = [j for j in journeys if options.basis == "pipeline" or j.closed_won_at is not None]

    result = attribute(journeys, model, options)

    assert result.total_credited + result.total_unattributed == result.total_amount
    assert result.total_amount == sum((j.amount for j in counted), Decimal(0))
    assert sorted(result.not_won) == sorted(j.opportunity for j in journeys if j not in counted)
