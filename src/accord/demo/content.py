"""The demo company's content library: about 60 assets that the content team and marketing
(Northwind has no product marketing team: its demand-gen people own the decks, battlecards
and pricing) keep for sales. Most are published; some are overdue for review and a few of
those stale; a few are expired, archived or still drafts. Versions are links (no files to
ship). Written in bulk, with the audit trail the verbs would have left."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from accord.content.models import REVIEW_EVERY, Asset, AssetVersion, Persona, Review
from accord.demo.company import INDUSTRIES, OPPORTUNITY_PRODUCTS, ascii_slug
from accord.people.models import AuditLog, Team, User

K = Asset.Kind
P = Persona
CONTENT_OWNERS = ("content.manager", "writer", "julia.rossi")
MARKETING_OWNERS = ("marketing.manager", "marketer", "olivia.chen")
# Kind, title pattern ({industry}, {product}), stages, personas, who writes it.
CATALOGUE = (
    (K.CASE_STUDY, "{industry}: {product} cut reporting time by half", ("sql", "opportunity"),
     (P.CHAMPION, P.ECONOMIC_BUYER), CONTENT_OWNERS),
    (K.ONE_PAGER, "{product} at a glance for {industry}", ("mql", "accepted"),
     (P.EXECUTIVE, P.END_USER), CONTENT_OWNERS),
    (K.WHITEPAPER, "The {industry} data stack in 2026", ("new", "mql"),
     (P.TECHNICAL, P.EXECUTIVE), CONTENT_OWNERS),
    (K.DECK, "{product} first-call deck ({industry})", ("accepted", "sql"),
     (P.CHAMPION, P.ECONOMIC_BUYER), MARKETING_OWNERS),
    (K.BATTLECARD, "{product} vs the warehouse incumbents", ("sql", "opportunity"),
     (P.TECHNICAL, P.CHAMPION), MARKETING_OWNERS),
    (K.PRICING_SHEET, "{product} pricing and packaging", ("opportunity",),
     (P.ECONOMIC_BUYER, P.PROCUREMENT), MARKETING_OWNERS),
    (K.EMAIL_TEMPLATE, "Follow-up after a {product} demo", ("accepted", "sql"),
     (P.CHAMPION,), CONTENT_OWNERS),
    (K.VIDEO, "{product} in five minutes", ("mql", "accepted"), (P.END_USER, P.TECHNICAL),
     CONTENT_OWNERS),
    (K.ROI_CALCULATOR, "{product} ROI calculator for {industry}", ("sql", "opportunity"),
     (P.ECONOMIC_BUYER, P.EXECUTIVE), MARKETING_OWNERS),
)  # fmt: skip
ASSETS = 60
# How often each owner reviews by the due date (the rest review late): owners differ, and the
# owner scorecard shows it.
ON_TIME = {"content.manager": 0.9, "writer": 0.55, "julia.rossi": 0.8,
           "marketing.manager": 0.7, "marketer": 0.4, "olivia.chen": 0.85}  # fmt: skip
REGIONS = ("EMEA", "North America", "APAC", "LATAM", "mid-market", "enterprise")
CHANGES = ("Refreshed customer logos", "New pricing tiers", "Updated benchmark figures",
           "Shorter intro", "Fixed a wrong quote")  # fmt: skip


@dataclass(frozen=True)
class PlannedAsset:
    """One asset of the library as planned, before it is written: what the simulation needs
    to know to use it on deals (which stages and personas it fits, when it could be sent)."""

    title: str
    kind: str
    stages: tuple[str, ...]
    personas: tuple[str, ...]
    industry: str
    product: str
    owner: str  # username
    team: str  # Team.Kind
    status: str
    created: date
    published: date | None
    review_by: date | None
    reviewed: date | None
    versions: int
    last: date  # when the newest version was added

    @property
    def retired(self) -> date | None:
        """The day an expired or archived asset stopped being sendable: its review lapsed."""
        if self.status in (Asset.Status.EXPIRED, Asset.Status.ARCHIVED):
            return self.review_by
        return None

    def sendable_on(self, day: date) -> bool:
        if self.published is None or day < self.published:
            return False
        return self.retired is None or day < self.retired

    def version_on(self, day: date) -> int:
        """The newest version number added on or before `day`."""
        number = 1
        for n in range(2, self.versions + 1):
            if self.created + (self.last - self.created) * (n - 1) / (self.versions - 1) <= day:
                number = n
        return number


def catalogue(seed: int, until: date) -> list[PlannedAsset]:
    """The library `install(seed, until)` writes, as plain data (no database)."""
    return _plan(random.Random(seed * 7919 + 20), until)


def _plan(rng: random.Random, until: date) -> list[PlannedAsset]:
    industries = [name for name, _, _ in INDUSTRIES]
    seen: set[str] = set()
    plans: list[PlannedAsset] = []
    while len(plans) < ASSETS:
        kind, pattern, stages, personas, owners = CATALOGUE[len(plans) % len(CATALOGUE)]
        title = pattern.format(
            industry=rng.choice(industries), product=rng.choice(OPPORTUNITY_PRODUCTS)
        )
        if title in seen:  # a pattern without an industry runs out of titles: add a region
            title = f"{title} ({rng.choice(REGIONS)})"
        if title in seen:
            continue
        seen.add(title)
        owner = rng.choice(owners)
        team = Team.Kind.CONTENT if owners is CONTENT_OWNERS else Team.Kind.MARKETING
        created = until - timedelta(days=rng.randint(160, 540))
        status, published, review_by = _life(rng, len(plans), created, until)
        versions = 1 + (rng.random() < 0.35) + (rng.random() < 0.15)
        last = created + timedelta(days=rng.randint(0, 40) * (versions - 1))
        plans.append(
            PlannedAsset(
                title=title, kind=kind, stages=stages, personas=personas,
                industry=next((name for name in industries if name in title), ""),
                product=next((name for name in OPPORTUNITY_PRODUCTS if name in title), ""),
                owner=owner, team=team, status=status, created=created, published=published,
                review_by=review_by, reviewed=_last_review(published, review_by),
                versions=versions, last=last,
            )
        )  # fmt: skip
    return plans


def install(seed: int, until: date) -> int:
    """Write the library as of `until` (the demo's today); how many assets."""
    rng = random.Random(seed * 7919 + 20)
    users = {
        u.username: u for u in User.objects.filter(username__in=CONTENT_OWNERS + MARKETING_OWNERS)
    }
    teams = {
        t.kind: t for t in Team.objects.filter(kind__in=(Team.Kind.CONTENT, Team.Kind.MARKETING))
    }
    assets, plans = [], []
    for p in _plan(rng, until):
        owner = users[p.owner]
        kind = p.kind
        # An expired or archived asset was last changed when it was retired.
        changed = max(p.last, p.published or p.created, p.reviewed or p.created,
                      p.retired or p.created)  # fmt: skip
        assets.append(
            Asset(
                title=p.title, kind=kind, owner=owner, owner_team=teams[p.team],
                stages=list(p.stages), personas=list(p.personas), industry=p.industry,
                product=p.product,
                tags=[kind.replace("_", " ")] + (["pricing"] if kind == K.PRICING_SHEET else []),
                status=p.status, published_at=_at(p.published), review_by=p.review_by,
                reviewed_at=_at(p.reviewed), created_at=_at(p.created), updated_at=_at(changed),
            )
        )  # fmt: skip
        plans.append((owner, p.created, p.versions, p.last, p.published))
    Asset.objects.bulk_create(assets)
    rows, log = [], []
    for asset, (owner, created, count, last, published) in zip(assets, plans, strict=True):
        slug = ascii_slug(asset.title)[:60]
        for number in range(1, count + 1):
            day = (
                created if number == 1 else created + (last - created) * (number - 1) / (count - 1)
            )
            note = "First version" if number == 1 else rng.choice(CHANGES)
            url = f"https://files.northwind.example/content/{slug}-v{number}.pdf"
            rows.append(AssetVersion(asset=asset, number=number, url=url, note=note,
                                     created_by=owner, created_at=_at(day)))  # fmt: skip
            log.append(_entry(owner, "content.version_added", asset, day,
                              f"Version {number} of {asset.title}"))  # fmt: skip
        log.append(_entry(owner, "content.asset_created", asset, created, f"Added {asset.title}"))
        if published:
            log.append(_entry(owner, "content.asset_published", asset, published,
                              f"Published {asset.title}"))  # fmt: skip
        if asset.reviewed_at:
            log.append(_entry(owner, "content.asset_reviewed", asset, asset.reviewed_at.date(),
                              f"Reviewed {asset.title}"))  # fmt: skip
        if asset.status in (Asset.Status.EXPIRED, Asset.Status.ARCHIVED):
            verb = "expired" if asset.status == Asset.Status.EXPIRED else "archived"
            log.append(_entry(owner, f"content.asset_{verb}", asset, asset.updated_at.date(),
                              f"{verb.title()} {asset.title}"))  # fmt: skip
    AssetVersion.objects.bulk_create(rows)
    AuditLog.objects.bulk_create(log)
    Review.objects.bulk_create(
        Review(asset=asset, due=due, reviewed_on=day, reviewed_by=asset.owner, owner=asset.owner)
        for asset, (_, _, _, _, published) in zip(assets, plans, strict=True)
        for due, day in _reviews(rng, asset, published)
    )
    return len(assets)


def _reviews(rng: random.Random, asset: Asset, published: date | None) -> list[tuple[date, date]]:
    """(due, reviewed on) of every review since publishing, walking back from the last one:
    each review set the next due date 90 days on; the owner's habit decides how late each
    came. The first answered the due date publishing set."""
    if published is None or asset.reviewed_at is None:
        return []
    on_time = ON_TIME.get(asset.owner.username, 0.7)
    reviewed, found = asset.reviewed_at.date(), []
    while reviewed - published >= timedelta(days=30):
        late = -rng.randint(0, 7) if rng.random() < on_time else rng.randint(2, 35)
        due = reviewed - timedelta(days=late)
        if due - REVIEW_EVERY <= published + timedelta(days=14):
            found.append((published + REVIEW_EVERY, reviewed))
            break
        found.append((due, reviewed))
        reviewed = due - REVIEW_EVERY
    return found


def _life(rng: random.Random, index: int, created: date, until: date):
    """Status, publishing day and review-by date: 4 drafts, 4 expired, 3 archived; of the
    published, about one in five overdue for review (some long enough to be stale)."""
    if index % 15 == 14:
        return Asset.Status.DRAFT, None, None
    published = created + timedelta(days=rng.randint(1, 20))
    if index % 15 == 13:
        return Asset.Status.EXPIRED, published, published + REVIEW_EVERY
    if index % 20 == 12:
        return Asset.Status.ARCHIVED, published, published + REVIEW_EVERY
    if rng.random() < 0.2:
        return Asset.Status.PUBLISHED, published, until - timedelta(days=rng.randint(1, 28))
    return Asset.Status.PUBLISHED, published, until + timedelta(days=rng.randint(0, 89))


def _last_review(published: date | None, review_by: date | None) -> date | None:
    """The review that set this review-by date, if it was not the publishing itself."""
    if published is None or review_by is None or review_by - REVIEW_EVERY <= published:
        return None
    return review_by - REVIEW_EVERY


def _at(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(10), tzinfo=UTC)


def _entry(actor, action: str, asset: Asset, day: date, summary: str) -> AuditLog:
    return AuditLog(actor=actor, action=action, object_type=asset._meta.label_lower,
                    object_id=str(asset.pk), summary=summary, at=_at(day))  # fmt: skip


# --- The hidden truth about the library (never stored) ------------------------------------

# The deal stages: an asset fitting them can be sent or shown while a deal is open.
DEAL_STAGES = frozenset({"sql", "opportunity"})
GOOD_KINDS = (K.CASE_STUDY, K.ROI_CALCULATOR, K.BATTLECARD)
BAD_KINDS = (K.DECK, K.PRICING_SHEET, K.EMAIL_TEMPLATE)
GOOD_ASSETS, GOOD_LIFT = 6, 1.0  # added to the win logit of a deal the asset is used on
BAD_ASSETS, BAD_LIFT = 4, -0.4  # reps like them (popular) but buyers are put off
NEVER_USED_PUBLISHED = 6  # besides the drafts, nobody reaches for these
POPULARITY_SIGMA = 0.5
BAD_POPULARITY = 1.6


@dataclass(frozen=True)
class HiddenQuality:
    lift: float  # on the win logit of a deal it was used on
    popularity: float  # how readily people reach for it; 0: never used


def hidden_quality(plans: list[PlannedAsset], seed: int) -> list[HiddenQuality]:
    """Per asset of `catalogue(seed, until)`: a few help win (GOOD_LIFT), a few are used but
    do not help (BAD_LIFT), most are neutral, and about ten (the drafts and a few published
    ones) are never used."""
    rng = random.Random(seed * 7919 + 21)
    published = [i for i, p in enumerate(plans) if p.published is not None]
    never = set(rng.sample(published, NEVER_USED_PUBLISHED))
    never |= {i for i, p in enumerate(plans) if p.published is None}
    on_deals = [i for i in published if i not in never and DEAL_STAGES & set(plans[i].stages)]
    good_pool = [i for i in on_deals if plans[i].kind in GOOD_KINDS]
    good = set(rng.sample(good_pool, min(GOOD_ASSETS, len(good_pool))))
    bad_pool = [i for i in on_deals if plans[i].kind in BAD_KINDS]
    bad = set(rng.sample(bad_pool, min(BAD_ASSETS, len(bad_pool))))
    hidden = []
    for i in range(len(plans)):
        popularity = rng.lognormvariate(0, POPULARITY_SIGMA)
        if i in never:
            hidden.append(HiddenQuality(0.0, 0.0))
        elif i in good:
            hidden.append(HiddenQuality(GOOD_LIFT, popularity))
        elif i in bad:
            hidden.append(HiddenQuality(BAD_LIFT, popularity * BAD_POPULARITY))
        else:
            hidden.append(HiddenQuality(0.0, popularity))
    return hidden
