"""The demo company's rating rubric and ratings.

The rubric (accuracy, fit to the buying stage, buyer reaction weighed double) is drafted and
proposed by the content manager and signed by the CMO and the VP Sales, through the verbs.
Ratings are read off the usage ledger: for each asset a rep sent or used on a lead, the rep
may rate it; reps differ in how often they do (a per-rep habit), and the scores lean on the
asset's hidden quality, so good assets rate well and the library's "rated below 3" finds the
weak ones. Written in bulk (the verb's rules hold: one per rep, version and deal)."""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from accord.analytics import ratings as arithmetic
from accord.content import ratings
from accord.content.models import Asset, Rating, Rubric, Usage
from accord.demo import content
from accord.people.models import AuditLog, User

RUBRIC = [
    {"key": "accuracy", "name": "Accuracy", "weight": 1,
     "labels": ["Wrong or out of date", "Several errors", "Mostly right", "Right",
                "Exact and current"]},
    {"key": "stage_fit", "name": "Fit to the buying stage", "weight": 1,
     "labels": ["Wrong stage", "Too early or late", "Usable", "Good fit", "Made for this stage"]},
    {"key": "buyer_reaction", "name": "Buyer reaction", "weight": 2,
     "labels": ["Put the buyer off", "Ignored", "Read it", "Engaged with it",
                "Asked for more"]},
]  # fmt: skip


# The rubric was agreed a little before the year of ratings the demo holds began.
AGREED_BEFORE = timedelta(days=380)


def install(seed: int, until) -> Rubric:
    """The default rubric, active, and the ratings the usage rows so far allow."""
    rubric = install_rubric(_moment(until) - AGREED_BEFORE if until else None)
    rate_demo(random.Random(seed * 7919 + 31), rubric=rubric, seed=seed, until=until)
    return rubric


def install_rubric(agreed: datetime | None = None) -> Rubric:
    """The default rubric drafted, proposed and signed through the verbs; dated `agreed` (a
    week of drafting and signing up to then), so that no rating predates it."""
    people = {
        u.username: u
        for u in User.objects.filter(username__in=("content.manager", "cmo", "vp.sales"))
    }
    drafted = agreed - timedelta(days=7) if agreed else None
    rubric = ratings.create_rubric(
        people["content.manager"],
        name="Default rubric",
        criteria=RUBRIC,
        note="What reps told us matters: is it right, does it fit the stage, did it land.",
        now=drafted,
    )
    ratings.propose(people["content.manager"], rubric, now=drafted)
    ratings.approve(people["cmo"], rubric)
    rubric = ratings.approve(people["vp.sales"], rubric)
    if agreed is not None:  # the verbs sign on the real clock: the demo's history is older
        Rubric.objects.filter(pk=rubric.pk).update(active_from=agreed)
        rubric.approvals.update(approved_at=agreed)
        AuditLog.objects.filter(
            object_type=rubric._meta.label_lower, object_id=str(rubric.pk)
        ).update(at=agreed)
        rubric.refresh_from_db()
    return rubric


def asset_quality(seed: int, asset_id: int, lift: float = 0.0) -> float:
    """How reps rate the asset on average, on the 1..5 scale: decent as a rule, higher for
    the assets that genuinely help win deals (`content.hidden_quality`, a positive lift),
    lower for those buyers are put off by (a negative one), with some spread of its own."""
    spread = random.Random(seed * 104729 + asset_id).gauss(0, 0.3)
    return min(4.8, max(1.4, 3.3 + 1.0 * lift + spread))


def rate_demo(rng: random.Random, *, rubric: Rubric, seed: int, until) -> int:
    """Ratings from the existing send and use rows; how many were written."""
    usages = (
        Usage.objects.filter(kind__in=ratings.USED, lead__isnull=False, user__isnull=False)
        .exclude(version=None)
        .order_by("occurred_at", "pk")
        .values_list("asset", "version", "user", "lead", "opportunity", "occurred_at")
    )
    habit: dict[int, float] = {}
    # The hidden truth, by title: what the simulation decided each asset does for a deal.
    lifts = {}
    if until is not None:
        plans = content.catalogue(seed, until)
        hidden = content.hidden_quality(plans, seed)
        lifts = {p.title: h.lift for p, h in zip(plans, hidden, strict=True)}
    titles = dict(Asset.objects.values_list("pk", "title"))
    seen: set[tuple[int, int, int]] = set()
    rows = []
    end = _moment(until)
    for asset_id, version_id, user_id, lead_id, opportunity_id, at in usages:
        if (user_id, version_id, lead_id) in seen:
            continue
        seen.add((user_id, version_id, lead_id))
        # Some reps rate nearly everything they use, others hardly ever.
        if rng.random() > habit.setdefault(user_id, rng.choice((0.1, 0.3, 0.5, 0.8))):
            continue
        quality = asset_quality(seed, asset_id, lifts.get(titles.get(asset_id), 0.0))
        scores = {c["key"]: min(5, max(1, round(rng.gauss(quality, 0.8)))) for c in rubric.criteria}
        when = at + timedelta(days=rng.randint(0, 10), hours=rng.randint(1, 8))
        rows.append(
            Rating(
                asset_id=asset_id,
                version_id=version_id,
                rubric=rubric,
                rater_id=user_id,
                lead_id=lead_id,
                opportunity_id=opportunity_id,
                scores=scores,
                score=Decimal(str(arithmetic.weighted_score(rubric.criteria, scores))).quantize(
                    Decimal("0.001"), ROUND_HALF_UP
                ),
                comment=_comment(rng, scores),
                created_at=min(when, end) if end else when,
            )
        )
    Rating.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


COMMENTS = {
    "low": ("The numbers are out of date.", "The buyer did not read past page one.",
            "Too generic for this account."),
    "high": ("The champion forwarded it to the CFO.", "Exactly what the buyer asked for.",
             "It shortened the evaluation."),
}  # fmt: skip


def _comment(rng: random.Random, scores: dict) -> str:
    if rng.random() > 0.3:
        return ""
    mean = sum(scores.values()) / len(scores)
    return rng.choice(COMMENTS["low" if mean < 3 else "high"])


def _moment(until) -> datetime | None:
    if until is None or isinstance(until, datetime):
        return until
    return datetime.combine(until, time(18), tzinfo=UTC)
