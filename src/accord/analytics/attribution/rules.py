"""Rule-based attribution: how one opportunity's amount is shared among its touchpoints.

This is the reference, written for exactness rather than speed: plain Python, exact
fractions, no Django, no I/O. The set-based version that runs in the engine must give the
same credits; the tests hold the two against each other on random journeys.

Journey. An opportunity with the touchpoints of the leads of its account (and its primary
lead). Touches are put in order by (time, id), so touches at the same instant are ordered
by id: "first" takes the smaller id, "last" the larger. Input order never matters.

Window. Basis "pipeline" credits the opportunity's amount when it is created; basis
"revenue" credits the amount of a won opportunity when it closes (an opportunity that is
not won has no revenue: `attribute` lists it in `not_won`, the single-journey functions
refuse it). A touch counts when it is no more than `lookback_days` (days of 24 hours)
before the opportunity's creation, and no later than the conversion moment: the creation
(pipeline) or the close (revenue). Both ends are inclusive. Touches before the lookback or
after the conversion moment are left out.

Milestones, placed among the touches in the window:
- first touch: the first touch.
- lead creation: the last touch at or before the lead's creation; if there is none, the
  first touch after it. A lead created after its opportunity, or whose creation is unknown,
  counts as created with the opportunity, so this milestone never lies after the
  opportunity creation touch.
- opportunity creation: the last touch at or before the opportunity's creation; if there is
  none (possible only on revenue basis, when every touch came later), the first touch.
- closed won (revenue basis only): the last touch at or before the close, which is the last
  touch of the window.
In window order first touch <= lead creation <= opportunity creation <= closed won; several
milestones may fall on one touch.

Models. Each rule-based model gives fixed shares to milestones and spreads a share over
the touches between them:

    model          milestone shares                                  spread
    first_touch    first touch 100%                                  -
    lead_creation  lead creation 100%                                -
    last_touch     opportunity creation 100%                         -
    u_shaped       first touch 40%, lead creation 40%                20%
    w_shaped       first touch, lead creation, opportunity creation  10%
                   30% each
    full_path      first touch, lead creation, opportunity creation, 10%
                   closed won 22.5% each
    linear         every touch in the window equally
    time_decay     every touch in the window, halving every `half_life_days` before the
                   conversion moment: weight 2^-(age / half-life), normalised to sum to 1

- U-shaped follows HubSpot and Marketo Measure (first touch and lead creation); Google's
  and Salesforce's version ties the second 40% to the last touch instead: choose it with
  `u_shape="last_touch"` (the opportunity creation touch).
- Revenue basis keeps the pipeline milestones where they are (a "last touch" is still the
  last touch before the opportunity was created); only full path uses the close. W-shaped
  has three milestones on both bases.
- On pipeline basis the opportunity has not closed: full path gives the closed-won share to
  the last touch of the window, which is the opportunity creation touch (Marketo Measure
  holds it in a "pending" position on that touch the same way).
- Merging: a touch that holds several milestones gets the sum of their shares (first touch
  and lead creation on one touch in U-shaped: 80%).
- Spread: the touches strictly between the earliest and the latest milestone touch (in
  window order) that hold no milestone share it equally. Touches before the first or after
  the last milestone get nothing from a milestone model (in U-shaped, the touches after
  lead creation; in W-shaped, those after opportunity creation).
- No touch between the milestones: the spread share goes to the milestones in proportion
  to their shares, i.e. the milestone shares are scaled up to sum to 100%. So one touch
  gets 100% under every model, and under U-shaped a first touch and a separate lead
  creation touch with nothing between them get 50% each.

Every touch in the window appears in the weights and credits, with 0 when the model gives
it nothing. Weights are exact fractions summing to 1. Time decay computes its weights with
floats, relative to the newest touch (which weighs 1, so nothing underflows to zero), and
turns them into exact fractions before normalising.

Money. Amounts are Decimal, at least 0 and in whole cents. Each touch gets its exact share
in cents rounded down; the cents left over (fewer than the number of touches) go one each
to the touches with the largest remainders, equal remainders to the earlier touch. So the
credits of an opportunity always sum exactly to its amount.

Unattributed. An opportunity without a touch in its window keeps its amount: `attribute`
reports it as unattributed, with the reason, and never drops it. One without an amount is
reported the same way, with no amount.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

MODELS = (
    "first_touch",
    "lead_creation",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "full_path",
    "time_decay",
)
BASES = ("pipeline", "revenue")
U_SHAPES = ("lead_creation", "last_touch")
MILESTONES = ("first_touch", "lead_creation", "opportunity_creation", "closed_won")

# model -> (share of each milestone, share spread over the touches between them)
POSITIONS: dict[str, tuple[dict[str, Fraction], Fraction]] = {
    "first_touch": ({"first_touch": Fraction(1)}, Fraction(0)),
    "lead_creation": ({"lead_creation": Fraction(1)}, Fraction(0)),
    "last_touch": ({"opportunity_creation": Fraction(1)}, Fraction(0)),
    "u_shaped": (
        {"first_touch": Fraction(40, 100), "lead_creation": Fraction(40, 100)},
        Fraction(20, 100),
    ),
    "w_shaped": (
        {
            "first_touch": Fraction(30, 100),
            "lead_creation": Fraction(30, 100),
            "opportunity_creation": Fraction(30, 100),
        },
        Fraction(10, 100),
    ),
    "full_path": (
        {name: Fraction(225, 1000) for name in MILESTONES},
        Fraction(10, 100),
    ),
}
CENT = Decimal("0.01")
MICROSECONDS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Touch:
    id: int
    at: datetime  # aware
    channel: str
    campaign: int | None = None
    content: int | None = None


@dataclass(frozen=True)
class Journey:
    opportunity: int
    amount: Decimal | None  # >= 0, whole cents; None when the opportunity has none
    created_at: datetime  # opportunity creation (aware)
    lead_created_at: datetime | None  # the primary (or earliest) lead's creation, if known
    closed_won_at: datetime | None  # None unless won
    touches: tuple[Touch, ...]  # any order


MAX_LOOKBACK_DAYS = 3 * 365


@dataclass(frozen=True)
class Options:
    basis: str = "pipeline"  # or "revenue"
    lookback_days: int = 365
    half_life_days: float = 7.0
    u_shape: str = "lead_creation"  # or "last_touch"

    def __post_init__(self):
        if self.basis not in BASES:
            raise ValueError(f"unknown basis {self.basis!r}: use one of {', '.join(BASES)}")
        if self.u_shape not in U_SHAPES:
            raise ValueError(f"unknown u_shape {self.u_shape!r}: use one of {', '.join(U_SHAPES)}")
        lookback = self.lookback_days
        if isinstance(lookback, bool) or not isinstance(lookback, int) or lookback <= 0:
            raise ValueError(f"lookback_days must be a whole number above 0, not {lookback!r}")
        if lookback > MAX_LOOKBACK_DAYS:
            raise ValueError(
                f"lookback_days must be at most {MAX_LOOKBACK_DAYS} (three years), not {lookback}"
            )
        half_life = self.half_life_days
        if (
            isinstance(half_life, bool)
            or not isinstance(half_life, int | float)
            or not math.isfinite(half_life)
            or half_life <= 0
        ):
            raise ValueError(f"half_life_days must be a number above 0, not {half_life!r}")


DEFAULTS = Options()


class Credit(NamedTuple):
    opportunity: int
    touch: Touch
    weight: Fraction
    amount: Decimal


class Unattributed(NamedTuple):
    opportunity: int
    amount: Decimal | None
    reason: str  # "no touchpoints", "no touchpoints in the window" or "no amount"


@dataclass(frozen=True)
class Result:
    model: str
    options: Options
    credits: tuple[Credit, ...]  # by opportunity, then touch order; zero credits included
    unattributed: tuple[Unattributed, ...]  # by opportunity
    not_won: tuple[int, ...]  # revenue basis: opportunities left out, having no revenue
    total_amount: Decimal  # every amount that counts = total_credited + total_unattributed
    total_credited: Decimal
    total_unattributed: Decimal

    def per_touch(self) -> dict[int, Decimal]:
        """Money per touch id, over all opportunities (accounts share their touches)."""
        return _sum_by(self.credits, lambda credit: credit.touch.id)

    def per_channel(self) -> dict[str, Decimal]:
        return _sum_by(self.credits, lambda credit: credit.touch.channel)


def window(journey: Journey, options: Options = DEFAULTS) -> tuple[Touch, ...]:
    """The touches that count, in order."""
    _check(journey)
    _require_won(journey, options)
    return _window(journey, options)


def milestones(journey: Journey, options: Options = DEFAULTS) -> dict[str, int]:
    """Milestone name -> touch id; closed_won on revenue basis only; empty with no touch."""
    _check(journey)
    _require_won(journey, options)
    return _milestones(journey, options, _window(journey, options))


def weights(journey: Journey, model: str, options: Options = DEFAULTS) -> dict[int, Fraction]:
    """Exact share of every touch in the window, summing to 1 (empty with no touch)."""
    _check_model(model)
    _check(journey)
    _require_won(journey, options)
    return _weights(journey, model, options, _window(journey, options))


def credits(journey: Journey, model: str, options: Options = DEFAULTS) -> dict[int, Decimal]:
    """Money per touch in the window, summing exactly to the amount (empty with no touch)."""
    _check_model(model)
    _check(journey)
    _require_won(journey, options)
    if journey.amount is None:
        raise ValueError(f"opportunity {journey.opportunity} has no amount to attribute")
    touches = _window(journey, options)
    return _split(journey.amount, _weights(journey, model, options, touches))


def attribute(journeys: Iterable[Journey], model: str, options: Options = DEFAULTS) -> Result:
    """Credits of every opportunity under one model; nothing is dropped silently."""
    _check_model(model)
    journeys = sorted(journeys, key=lambda journey: journey.opportunity)
    seen: set[int] = set()
    for journey in journeys:
        _check(journey)
        if journey.opportunity in seen:
            raise ValueError(f"opportunity {journey.opportunity} appears more than once")
        seen.add(journey.opportunity)

    rows: list[Credit] = []
    unattributed: list[Unattributed] = []
    not_won: list[int] = []
    for journey in journeys:
        if options.basis == "revenue" and journey.closed_won_at is None:
            not_won.append(journey.opportunity)
            continue
        if journey.amount is None:
            unattributed.append(Unattributed(journey.opportunity, None, "no amount"))
            continue
        touches = _window(journey, options)
        if not touches:
            reason = "no touchpoints in the window" if journey.touches else "no touchpoints"
            unattributed.append(Unattributed(journey.opportunity, journey.amount, reason))
            continue
        shares = _weights(journey, model, options, touches)
        money = _split(journey.amount, shares)
        rows.extend(
            Credit(journey.opportunity, touch, shares[touch.id], money[touch.id])
            for touch in touches
        )

    credited = sum((row.amount for row in rows), Decimal("0.00"))
    left = sum((row.amount for row in unattributed if row.amount is not None), Decimal("0.00"))
    return Result(
        model=model,
        options=options,
        credits=tuple(rows),
        unattributed=tuple(unattributed),
        not_won=tuple(not_won),
        total_amount=credited + left,
        total_credited=credited,
        total_unattributed=left,
    )


def _window(journey: Journey, options: Options) -> tuple[Touch, ...]:
    # In UTC, so that the lookback is days of 24 hours whatever the time zone's DST does.
    start = journey.created_at.astimezone(UTC) - timedelta(days=options.lookback_days)
    end = _conversion(journey, options)
    return tuple(sorted((t for t in journey.touches if start <= t.at <= end), key=_order))


def _conversion(journey: Journey, options: Options) -> datetime:
    if options.basis == "pipeline":
        return journey.created_at
    assert journey.closed_won_at is not None  # the callers checked it
    return journey.closed_won_at


def _milestones(journey: Journey, options: Options, touches: tuple[Touch, ...]) -> dict[str, int]:
    if not touches:
        return {}
    lead_created = journey.lead_created_at or journey.created_at
    found = {
        "first_touch": touches[0].id,
        "lead_creation": _at_or_before(touches, min(lead_created, journey.created_at)).id,
        "opportunity_creation": _at_or_before(touches, journey.created_at).id,
    }
    if options.basis == "revenue":
        found["closed_won"] = touches[-1].id
    return found


def _at_or_before(touches: tuple[Touch, ...], moment: datetime) -> Touch:
    """The last touch at or before the moment; if none, the first touch (the first after)."""
    earlier = [touch for touch in touches if touch.at <= moment]
    return earlier[-1] if earlier else touches[0]


def _weights(
    journey: Journey, model: str, options: Options, touches: tuple[Touch, ...]
) -> dict[int, Fraction]:
    if not touches:
        return {}
    if model == "linear":
        return {touch.id: Fraction(1, len(touches)) for touch in touches}
    if model == "time_decay":
        return _time_decay(touches, _conversion(journey, options), options.half_life_days)
    shares, spread = POSITIONS[model]
    if model == "u_shaped" and options.u_shape == "last_touch":
        shares = {
            "first_touch": shares["first_touch"],
            "opportunity_creation": shares["lead_creation"],
        }
    return _positions(touches, _milestones(journey, options, touches), shares, spread)


def _positions(
    touches: tuple[Touch, ...],
    placed: dict[str, int],
    shares: dict[str, Fraction],
    spread: Fraction,
) -> dict[int, Fraction]:
    fixed: dict[int, Fraction] = {}
    for name, share in shares.items():
        # Only closed_won can be missing (pipeline basis): the last touch holds it.
        touch_id = placed.get(name, touches[-1].id)
        fixed[touch_id] = fixed.get(touch_id, Fraction(0)) + share
    place = {touch.id: i for i, touch in enumerate(touches)}
    earliest = min(place[touch_id] for touch_id in fixed)
    latest = max(place[touch_id] for touch_id in fixed)
    between = [t.id for t in touches[earliest + 1 : latest] if t.id not in fixed]
    if not between:
        spread = Fraction(0)  # so the milestones share it in proportion
    total = sum(fixed.values()) + spread
    result = {touch.id: Fraction(0) for touch in touches}
    for touch_id, share in fixed.items():
        result[touch_id] = share / total
    for touch_id in between:
        result[touch_id] = spread / len(between) / total
    return result


def _time_decay(
    touches: tuple[Touch, ...], conversion: datetime, half_life_days: float
) -> dict[int, Fraction]:
    ages = {touch.id: (conversion - touch.at) // timedelta(microseconds=1) for touch in touches}
    newest = min(ages.values())
    half_life = half_life_days * MICROSECONDS_PER_DAY
    raw = {
        touch_id: Fraction(2.0 ** (-(age - newest) / half_life)) for touch_id, age in ages.items()
    }
    total = sum(raw.values())
    return {touch_id: weight / total for touch_id, weight in raw.items()}


def _split(amount: Decimal, shares: dict[int, Fraction]) -> dict[int, Decimal]:
    """Whole cents in proportion to the shares (in touch order), adding up to the amount."""
    cents = int(amount * 100)
    order = list(shares)  # touch order
    exact = [cents * shares[touch_id] for touch_id in order]
    whole = [math.floor(value) for value in exact]
    short = cents - sum(whole)
    by_remainder = sorted(range(len(order)), key=lambda i: (whole[i] - exact[i], i))
    for i in by_remainder[:short]:
        whole[i] += 1
    return {touch_id: Decimal(cent).scaleb(-2) for touch_id, cent in zip(order, whole, strict=True)}


def _sum_by(rows: Iterable[Credit], key) -> dict:
    totals: dict = {}
    for row in rows:
        totals[key(row)] = totals.get(key(row), Decimal("0.00")) + row.amount
    return totals


def _order(touch: Touch) -> tuple[datetime, int]:
    return touch.at, touch.id


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: use one of {', '.join(MODELS)}")


def _check(journey: Journey) -> None:
    """Say exactly what is wrong with a journey, naming its opportunity."""
    name = f"opportunity {journey.opportunity}"
    for field in ("created_at", "lead_created_at", "closed_won_at"):
        moment = getattr(journey, field)
        if moment is not None and not _aware(moment):
            raise ValueError(f"{name}: {field} {moment} has no time zone")
    if journey.closed_won_at is not None and journey.closed_won_at < journey.created_at:
        raise ValueError(f"{name}: closed_won_at is before created_at")
    amount = journey.amount
    if amount is not None:
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise ValueError(f"{name}: amount {amount!r} is not a finite Decimal")
        if amount < 0:
            raise ValueError(f"{name}: amount {amount} is negative")
        if amount % CENT:
            raise ValueError(f"{name}: amount {amount} has a fraction of a cent")
    ids: set[int] = set()
    for touch in journey.touches:
        if not _aware(touch.at):
            raise ValueError(f"{name}: touch {touch.id} at {touch.at} has no time zone")
        if touch.id in ids:
            raise ValueError(f"{name}: touch {touch.id} appears more than once")
        ids.add(touch.id)


def _require_won(journey: Journey, options: Options) -> None:
    if options.basis == "revenue" and journey.closed_won_at is None:
        raise ValueError(
            f"opportunity {journey.opportunity} is not won: it has no revenue to attribute"
        )


def _aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None
