"""The demo company played out in memory: `simulate()` turns the parameters in
`company.py` into a World of plain dataclasses with `random.Random(seed)` and nothing else.
No database here (the model classes are read for their choices only); `persist.py` writes
the World and `build.py` puts it all together.
"""

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from accord.analytics.months import add_months, days_in
from accord.demo.company import (
    ACCEPT,
    ACCEPT_WITHOUT_FOLLOW_UP,
    ACCOUNT_EXECUTIVES,
    ACCOUNT_PICK_POWER,
    ACCOUNTS_PER_LEAD,
    AE_OWNER_SHARE,
    AFTER_TOUCHES_BASE,
    AFTER_TOUCHES_PER_QUALITY,
    AK,
    ALWAYS_ON,
    AMOUNT_FLOOR,
    AMOUNT_MEDIAN_AT_100,
    AMOUNT_RANGE,
    AMOUNT_SIGMA,
    AMOUNT_SIZE_POWER,
    ATTEMPT_RATE,
    ATTEMPT_WINDOW_DAYS,
    BAD_RECORD_SHARE,
    CHANNEL,
    CHANNEL_KEYS,
    CHANNEL_SEASON,
    CHANNELS,
    CK,
    CONTENT_DAYS,
    CONTENT_EFFECT_CAP,
    CONTENT_HABIT,
    CONTENT_WINDOW,
    COUNTRIES,
    CYCLE_MEDIAN_DAYS,
    CYCLE_RANGE_DAYS,
    CYCLE_SIGMA,
    DECK_USE,
    DIRECT_FOLLOW_UP,
    DIRECT_OPPORTUNITIES_PER_TWO_YEARS,
    DIRECT_SOURCES,
    DISCOVERY_KINDS,
    EARLY_DISQUALIFY,
    EMPLOYEES_MEDIAN,
    EMPLOYEES_RANGE,
    EMPLOYEES_SIGMA,
    ENGAGEMENT_CAP,
    ENGAGEMENT_POINTS,
    EVENT_COST,
    EVENT_NAMES,
    EXTRA_ATTEMPTS,
    FIRST_NAMES,
    FIRST_RESPONSE_HOURS,
    FIT_GRADES,
    FIT_POINTS,
    FREEMAIL_DOMAINS,
    GROWTH_PER_YEAR,
    HIGH_INTENT,
    HIGH_INTENT_CHANNELS,
    INDUSTRIES,
    INDUSTRY_FIT,
    INDUSTRY_SUFFIXES,
    LAST_NAMES,
    LATER_DAYS,
    LAUNCH_MONTHLY_COST,
    LAUNCHES,
    LEADS_PER_TWO_YEARS,
    MQL_THRESHOLD,
    NAME_PREFIXES,
    NAME_QUALIFIERS,
    NAME_ROOTS,
    NEGLIGENT_DILIGENCE,
    NEVER_FOLLOW_UP_POWER,
    NEVER_FOLLOW_UP_SCALE,
    NO_FOLLOW_UP_EFFECT,
    NOT_BUYERS,
    OPPORTUNITY,
    OPPORTUNITY_PRODUCTS,
    OPS_PEOPLE,
    ORDINARY_DILIGENCE,
    OTHER_INDUSTRY,
    PERSISTENCE_EFFECT,
    PERSONA_FIT,
    PERSONAS,
    PRE_DEAL_SENDS,
    PRE_TOUCHES_MEAN,
    Q_CENTER,
    QUALITY_BASE,
    QUALITY_NOISE,
    REASSIGN_SHARE,
    REP_ZONES,
    REPS,
    SDRS,
    SEASON,
    SENIORITIES,
    SENIORITY_FIT,
    SENIORITY_TITLES,
    SLOW_EFFECT,
    SOON_DAYS,
    SOON_SHARE,
    SOURCE_LOYALTY,
    SPEED_EFFECT,
    SQL,
    STAGE,
    STAGE_PATH,
    STALE_MQL_RECYCLED,
    TK,
    TOUCH_DISPERSION,
    TURN_DOWN,
    VERY_DILIGENT_DILIGENCE,
    WEBINAR_MONTHLY_COST,
    WEBINAR_TOPICS,
    WEEKDAY,
    WIN,
    WORKDAY,
    S,
    ascii_slug,
)
from accord.demo.content import DEAL_STAGES, catalogue, hidden_quality

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


# --- The simulated world (plain Python; persist.py writes it) ------------------------


@dataclass(slots=True, eq=False)
class SimAccount:
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    owner: str
    created: int = 0
    pk: int | None = None

    @property
    def fit(self) -> float:
        return INDUSTRY_FIT[self.industry] + size_fit(self.employees)


@dataclass(slots=True, eq=False)
class SimCampaign:
    name: str
    channel: str
    kind: str
    starts_on: date
    ends_on: date | None
    owner: str
    weight: float
    costs: list[tuple[date, Decimal]] = field(default_factory=list)
    pk: int | None = None


@dataclass(slots=True, eq=False)
class SimLead:
    email: str
    first_name: str
    last_name: str
    title: str
    seniority: str
    account: SimAccount | None
    source: str
    created: int
    fit: float
    fit_grade: str
    quality: float  # hidden: never stored, only drives outcomes
    owners: list = field(default_factory=list)  # (at, from, to, by)
    touches: list = field(default_factory=list)  # (at, channel, kind, campaign)
    statuses: list = field(default_factory=list)  # (at, from, to, by, reason)
    activities: list = field(default_factory=list)  # (at, user, kind, outcome)
    engagement: int = 0
    mql_at: int | None = None
    mql_owner: str | None = None
    first_response_hours: float | None = None
    attempts: int = 0
    opportunity: "SimOpportunity | None" = None
    sends: list = field(default_factory=list)  # (at, user, asset index, version) before a deal
    pk: int | None = None

    @property
    def status(self) -> str:
        return self.statuses[-1][2]

    @property
    def owner(self) -> str:
        return self.owners[-1][2]

    def owner_at(self, at: int) -> str:
        return [to for when, _, to, _ in self.owners if when <= at][-1]


@dataclass(slots=True, eq=False)
class SimOpportunity:
    name: str
    account: SimAccount
    lead: SimLead | None
    owner: str
    source: str
    amount: Decimal
    created: int
    close_date: date
    closed: int | None
    stages: list  # (at, from, to)
    quality: float  # hidden
    pk: int | None = None
    content: list = field(default_factory=list)  # (at, user, asset index, version, send|use)

    @property
    def stage(self) -> str:
        return self.stages[-1][2]


@dataclass(eq=False)
class World:
    seed: int
    scale: float
    months: int
    start: datetime
    until: datetime
    diligence: dict[str, float]
    campaigns: list[SimCampaign]
    accounts: list[SimAccount]
    leads: list[SimLead]
    opportunities: list[SimOpportunity]
    library: list = field(default_factory=list)  # content.PlannedAsset, by asset index
    hidden: list = field(default_factory=list)  # content.HiddenQuality, by asset index
    content_since: datetime | None = None  # when content sends began to be tracked


# --- Small helpers ------------------------------------------------------------------------


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _session(webinar: "SimCampaign") -> int:
    """When a webinar campaign's live session is held: 16:00 UTC on the 15th of its last
    month, the month its name gives."""
    return _ts(webinar.ends_on.replace(day=15)) + 16 * HOUR


def as_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam >= 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _count(rng: random.Random, mean: float) -> int:
    # Gamma-Poisson: engagement is lumpier than Poisson, a few leads touch us dozens of times.
    if mean <= 0:
        return 0
    return _poisson(rng, rng.gammavariate(TOUCH_DISPERSION, mean / TOUCH_DISPERSION))


def size_fit(employees: int) -> float:
    """Fit from company size: best between a few hundred and a few thousand people."""
    return 0.6 - 0.35 * (math.log10(employees) - 3.2) ** 2


def fit_grade(fit: float) -> str:
    for floor, grade in FIT_GRADES:
        if fit >= floor:
            return grade
    return "D"


# Evening and weekend follow-ups spread over the next working morning (see _working_time).
MORNING_SPREAD = 90 * MINUTE


def _working_time(ts: int, zone: ZoneInfo) -> int:
    """`ts` if it falls in working hours; else the next working morning's start plus up to 90
    minutes taken from `ts` itself (its seconds modulo 90 minutes), so evening calls spread
    over the morning instead of piling up at 8:00. Draws nothing from the random stream, so
    every outcome of the simulation stays as it was; only the times move."""
    local = datetime.fromtimestamp(ts, zone)
    opens, closes = WORKDAY
    if local.weekday() < 5 and opens <= local.hour < closes:
        return ts
    day = local.date()
    if local.hour >= closes or local.weekday() >= 5:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    morning = datetime.combine(day, time(opens), zone)
    return int(morning.timestamp()) + ts % MORNING_SPREAD


def speed_effect(hours: float) -> float:
    for under, effect in SPEED_EFFECT:
        if hours < under:
            return effect
    return SLOW_EFFECT


# --- Simulation ---------------------------------------------------------------------------


class _Simulation:
    def __init__(self, seed: int, scale: float, months: int, until: date) -> None:
        self.rng = random.Random(seed)
        self.seed, self.scale, self.months = seed, scale, months
        self.until_day = until
        self.start_day = add_months(until, -months)
        self.until = _ts(until)
        self.start = _ts(self.start_day)
        self.emails: set[str] = set()
        self.account_names: set[str] = set()
        self.domains: set[str] = set()
        self.leads: list[SimLead] = []
        self.opportunities: list[SimOpportunity] = []
        # Content draws come from their own stream so the rest of the story keeps its draws.
        self.crng = random.Random(seed * 104_729 + 11)
        self.library = catalogue(seed, until)
        self.hidden = hidden_quality(self.library, seed)
        self.content_since = max(self.start, self.until - CONTENT_DAYS * DAY)

    def run(self) -> World:
        self._assign_diligence()
        self._assign_content_habits()
        self._plan_days()
        self._plan_campaigns()
        self._create_accounts()
        self._create_leads()
        self._create_direct_opportunities()
        self._send_before_deals()
        self._date_accounts()
        self._cut_at_until()
        return World(
            seed=self.seed,
            scale=self.scale,
            months=self.months,
            start=as_datetime(self.start),
            until=as_datetime(self.until),
            diligence=self.diligence,
            campaigns=self.campaigns,
            accounts=self.accounts,
            leads=self.leads,
            opportunities=sorted(self.opportunities, key=lambda o: o.created),
            library=self.library,
            hidden=self.hidden,
            content_since=as_datetime(self.content_since),
        )

    # People ---------------------------------------------------------------------------

    def _assign_diligence(self) -> None:
        rng = self.rng
        reps = list(REPS)
        rng.shuffle(reps)
        outliers = NEGLIGENT_DILIGENCE + VERY_DILIGENT_DILIGENCE
        self.diligence = {rep: value for rep, value in zip(reps, outliers, strict=False)}
        for rep in reps[len(outliers) :]:
            self.diligence[rep] = round(rng.uniform(*ORDINARY_DILIGENCE), 2)

    def _assign_content_habits(self) -> None:
        crng = self.crng
        median, sigma = CONTENT_HABIT
        self.content_habit = {
            rep: round(crng.lognormvariate(math.log(median), sigma), 2) for rep in REPS
        }
        self.deck_use = {rep: round(crng.uniform(*DECK_USE), 2) for rep in REPS}

    # Calendar -------------------------------------------------------------------------

    def _day_weight(self, day: date) -> float:
        years = (day - self.until_day).days / 365.25
        return GROWTH_PER_YEAR**years * SEASON[day.month] * WEEKDAY[day.weekday()]

    def _days(self, first: date) -> list[date]:
        return [first + timedelta(days=n) for n in range((self.until_day - first).days)]

    def _plan_days(self) -> None:
        self.days = self._days(self.start_day)
        self.day_cw = list(accumulate(self._day_weight(day) for day in self.days))
        two_years = self._days(add_months(self.until_day, -24))
        # Volume is set for a 24-month window; other windows keep the same daily rate.
        self.volume = self.day_cw[-1] / sum(self._day_weight(day) for day in two_years)
        first_month = date(self.start_day.year, self.start_day.month, 1)
        last_month = date(self.until_day.year, self.until_day.month, 1)
        if last_month == self.until_day:
            last_month = add_months(last_month, -1)
        self.month_starts = []
        month = add_months(first_month, -3)  # anonymous visits precede the window
        while month <= last_month:
            self.month_starts.append(month)
            month = add_months(month, 1)
        self.month_ts = [_ts(m) for m in self.month_starts]
        self.window_months = [m for m in self.month_starts if m >= first_month]

    def _sample_times(self, count: int) -> list[int]:
        rng = self.rng
        picks = rng.choices(range(len(self.days)), cum_weights=self.day_cw, k=count)
        # Office hours in the Americas and Europe, in UTC.
        return sorted(
            _ts(self.days[i]) + int(rng.triangular(7, 23, 15) * HOUR) + rng.randrange(HOUR)
            for i in picks
        )

    # Campaigns ------------------------------------------------------------------------

    def _month_fraction(self, month: date) -> float:
        """The share of a calendar month that lies inside the window (spend to date)."""
        days = days_in(month)
        end = add_months(month, 1)
        inside = (min(end, self.until_day) - max(month, self.start_day)).days
        return max(0.0, min(1.0, inside / days))

    def _cost(self, month: date, dollars: float) -> Decimal:
        years = (month - self.until_day).days / 365.25
        amount = dollars * self.scale * GROWTH_PER_YEAR**years * self.rng.uniform(0.9, 1.1)
        return Decimal(str(round(amount * self._month_fraction(month), 2)))

    def _campaign(self, name, channel, kind, months, owner, monthly) -> SimCampaign:
        end = add_months(months[-1], 1) - timedelta(days=1)
        campaign = SimCampaign(
            name=name,
            channel=channel,
            kind=kind,
            starts_on=months[0],
            ends_on=end,
            owner=owner,
            weight=1 + max(monthly) / 1000,
        )
        for month, dollars in zip(months, monthly, strict=True):
            if month in self.window_set:
                campaign.costs.append((month, self._cost(month, dollars)))
        return campaign

    def _plan_campaigns(self) -> None:
        months = self.window_months
        self.window_set = set(months)
        count = len(months)
        campaigns = []
        for plan in ALWAYS_ON:
            running = months[int(plan.starts_after * count) :]
            monthly = [plan.monthly_cost] * len(running)
            campaign = self._campaign(
                plan.name, plan.channel, plan.kind, running, plan.owner, monthly
            )
            campaign.ends_on = None  # always-on programmes keep running
            campaigns.append(campaign)
        if count >= 6:
            for name, at in LAUNCHES:
                running = months[int(at * count) : int(at * count) + 3]
                campaigns.append(
                    self._campaign(name, "paid_social", CK.LAUNCH, running, "marketing.manager",
                                   [LAUNCH_MONTHLY_COST] * len(running))
                )  # fmt: skip
        for n, first in enumerate(range(0, count, 2)):
            running = [add_months(months[first], i) for i in range(2)]
            topic = WEBINAR_TOPICS[n % len(WEBINAR_TOPICS)]
            campaigns.append(
                self._campaign(f"Webinar: {topic} ({running[-1]:%b %Y})", "webinar", CK.WEBINAR,
                               running, "marketer", [WEBINAR_MONTHLY_COST] * 2)
            )  # fmt: skip
        for n, first in enumerate(range(-1, count, 3)):
            running = [add_months(months[0], first + i) for i in range(3)]
            event = EVENT_NAMES[n % len(EVENT_NAMES)]
            campaigns.append(
                self._campaign(f"{event} {running[1]:%Y}", "events", CK.EVENT, running,
                               "olivia.chen", list(EVENT_COST))
            )  # fmt: skip
        self.campaigns = campaigns
        # Which campaign a touch in a channel and month belongs to, weighted by its budget.
        self.campaign_pick: dict[tuple[str, int], tuple[list, list]] = {}
        for index, month in enumerate(self.month_starts):
            for campaign in campaigns:
                end = campaign.ends_on or date.max
                if campaign.starts_on <= month <= end:
                    pick = self.campaign_pick.setdefault((campaign.channel, index), ([], []))
                    pick[0].append(campaign)
                    pick[1].append((pick[1][-1] if pick[1] else 0) + campaign.weight)

    def _campaign_at(self, channel: str, at: int) -> SimCampaign | None:
        pick = self.campaign_pick.get((channel, bisect_right(self.month_ts, at) - 1))
        if pick is None:
            return None
        if len(pick[0]) == 1:
            return pick[0][0]
        return self.rng.choices(pick[0], cum_weights=pick[1])[0]

    # Accounts -------------------------------------------------------------------------

    def _company_name(self, industry: str) -> str:
        rng = self.rng
        suffixes = INDUSTRY_SUFFIXES[industry]
        for attempt in range(12):
            stem = rng.choice(NAME_PREFIXES) + rng.choice(NAME_ROOTS)
            if attempt % 3 == 2:
                stem = rng.choice(LAST_NAMES)
            name = f"{stem} {rng.choice(suffixes)}"
            if attempt >= 8:
                name = f"{name} {rng.choice(NAME_QUALIFIERS)}"
            if name not in self.account_names:
                break
        n = 2
        while name in self.account_names:  # only at very large scales
            name = f"{stem} {rng.choice(suffixes)} {n}"
            n += 1
        self.account_names.add(name)
        return name

    def _domain(self, name: str, country: str) -> str:
        slug = "-".join(ascii_slug(word) for word in name.split() if ascii_slug(word))
        domain = f"{slug}.example"
        if domain in self.domains:
            domain = f"{slug}-{country.lower()}.example"
        n = 2
        while domain in self.domains:
            domain = f"{slug}{n}.example"
            n += 1
        self.domains.add(domain)
        return domain

    def _create_accounts(self) -> None:
        rng = self.rng
        count = max(10, round(LEADS_PER_TWO_YEARS * self.scale * self.volume * ACCOUNTS_PER_LEAD))
        industries = [name for name, _, _ in INDUSTRIES]
        industry_cw = list(accumulate(share for _, share, _ in INDUSTRIES))
        countries = [code for code, _ in COUNTRIES]
        country_cw = list(accumulate(share for _, share in COUNTRIES))
        low, high = EMPLOYEES_RANGE
        self.accounts = []
        for _ in range(count):
            industry = rng.choices(industries, cum_weights=industry_cw)[0]
            country = rng.choices(countries, cum_weights=country_cw)[0]
            employees = rng.lognormvariate(math.log(EMPLOYEES_MEDIAN), EMPLOYEES_SIGMA)
            employees = int(min(high, max(low, employees)))
            if employees > 1000:
                employees = round(employees, -1)  # big companies report round numbers
            name = self._company_name(industry)
            self.accounts.append(
                SimAccount(
                    name=name,
                    domain=self._domain(name, country),
                    industry=industry,
                    employees=employees,
                    country=country,
                    owner=rng.choice(ACCOUNT_EXECUTIVES),
                )
            )
        self.account_cw = list(accumulate(a.employees**ACCOUNT_PICK_POWER for a in self.accounts))

    def _pick_account(self) -> SimAccount:
        return self.rng.choices(self.accounts, cum_weights=self.account_cw)[0]

    def _date_accounts(self) -> None:
        rng = self.rng
        first_seen: dict[int, int] = {}
        for lead in self.leads:
            if lead.account is not None:
                key = id(lead.account)
                first_seen[key] = min(first_seen.get(key, lead.created), lead.created)
        for opportunity in self.opportunities:
            key = id(opportunity.account)
            first_seen[key] = min(first_seen.get(key, opportunity.created), opportunity.created)
        for account in self.accounts:
            seen = first_seen.get(id(account))
            if seen is None:  # a target account from a purchased list, not yet engaged
                account.created = rng.randrange(self.start - 180 * DAY, self.until)
            else:
                account.created = seen - rng.randrange(MINUTE, 3 * DAY)

    # Leads ----------------------------------------------------------------------------

    def _email(self, first: str, last: str, account: SimAccount | None) -> str:
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        if account is None:
            local += str(self.rng.randint(1, 99))
            domain = self.rng.choice(FREEMAIL_DOMAINS)
        else:
            domain = account.domain
        email, n = f"{local}@{domain}", 2
        while email in self.emails:
            email, n = f"{local}{n}@{domain}", n + 1
        self.emails.add(email)
        return email

    def _source_weights(self) -> dict[int, list[float]]:
        weights = {}
        for month in range(1, 13):
            weights[month] = list(
                accumulate(
                    spec.share * CHANNEL_SEASON.get(spec.key, {}).get(month, 1.0)
                    for spec in CHANNELS
                )
            )
        return weights

    def _create_leads(self) -> None:
        rng = self.rng
        count = round(LEADS_PER_TWO_YEARS * self.scale * self.volume)
        source_cw = self._source_weights()
        self.seniority_keys = [key for key, _, _, _ in SENIORITIES]
        self.seniority_cw = list(accumulate(share for _, share, _, _ in SENIORITIES))
        self.discovery_keys = [spec.key for spec in CHANNELS if spec.discovery]
        self.discovery_cw = list(accumulate(spec.discovery for spec in CHANNELS if spec.discovery))
        for created in self._sample_times(count):
            month = as_datetime(created).month
            source = rng.choices(CHANNEL_KEYS, cum_weights=source_cw[month])[0]
            lead = self._new_lead(created, source)
            self._assign_owner(lead)
            self._touch(lead)
            self._progress(lead)
            self.leads.append(lead)

    def _new_lead(self, created: int, source: str) -> SimLead:
        rng = self.rng
        seniority = rng.choices(self.seniority_keys, cum_weights=self.seniority_cw)[0]
        account = None if seniority in NOT_BUYERS else self._pick_account()
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        fit = SENIORITY_FIT[seniority] + (account.fit if account else 0.0)
        noise = rng.gauss(0, QUALITY_NOISE)
        return SimLead(
            email=self._email(first, last, account),
            first_name=first,
            last_name=last,
            title=rng.choice(SENIORITY_TITLES[seniority]),
            seniority=seniority,
            account=account,
            source=source,
            created=created,
            fit=fit,
            fit_grade=fit_grade(fit),
            quality=_logistic(QUALITY_BASE + fit + CHANNEL[source].quality + noise),
        )

    def _assign_owner(self, lead: SimLead) -> None:
        rng = self.rng
        account = lead.account
        if lead.source == "outbound_sdr" or account is None:
            owner = rng.choice(SDRS)
        elif lead.source == "partner" or rng.random() < AE_OWNER_SHARE:
            owner = account.owner
        else:
            owner = rng.choice(SDRS)
        lead.owners.append((lead.created, None, owner, None))
        if rng.random() < REASSIGN_SHARE:
            if owner in SDRS:
                pool, manager = SDRS, "sdr.manager"
            else:
                pool, manager = ACCOUNT_EXECUTIVES, "sales.manager"
            new_owner = rng.choice([rep for rep in pool if rep != owner])
            at = lead.created + rng.randrange(HOUR, 45 * DAY)
            lead.owners.append((at, owner, new_owner, manager))

    def _kind(self, channel: str, quality: float) -> str:
        kinds = CHANNEL[channel].kinds
        if len(kinds) == 1:
            return kinds[0][0]
        tilt = 0.25 + 1.5 * quality
        weights = [w * tilt if kind in HIGH_INTENT else w for kind, w in kinds]
        return self.rng.choices([kind for kind, _ in kinds], weights)[0]

    def _touch(self, lead: SimLead) -> None:
        rng = self.rng
        q, created, source = lead.quality, lead.created, lead.source
        spec = CHANNEL[source]
        touches = []
        for _ in range(_count(rng, PRE_TOUCHES_MEAN)):
            channel = rng.choices(self.discovery_keys, cum_weights=self.discovery_cw)[0]
            at = created - rng.randrange(10 * MINUTE, 45 * DAY)
            touches.append((at, channel, rng.choice(DISCOVERY_KINDS[channel])))
        if source == "events":  # the badge scan comes before the list import
            touches.append((created - rng.randrange(10 * MINUTE, 4 * HOUR), source, TK.EVENT))
        converting = TK.DEMO_REQUEST if rng.random() < spec.demo_share * (0.5 + q) else TK.FORM_FILL
        touches.append((created, source, converting))
        if source == "webinar" and rng.random() < 0.6:  # registered, then attended
            touches.append((created + rng.randrange(DAY, 14 * DAY), source, TK.WEBINAR))
        # Leads come back through many channels, most through nurture, search and the site;
        # good leads lean to high-intent channels and keep returning through their source.
        tilt = 0.4 + 1.6 * q
        weights = [
            other.revisit * (tilt if other.key in HIGH_INTENT_CHANNELS else 1.0)
            + (SOURCE_LOYALTY if other.key == source else 0)
            for other in CHANNELS
        ]
        n_after = _count(rng, spec.intensity * (AFTER_TOUCHES_BASE + AFTER_TOUCHES_PER_QUALITY * q))
        for channel in rng.choices(CHANNEL_KEYS, weights, k=n_after):
            days = SOON_DAYS if rng.random() < SOON_SHARE else LATER_DAYS
            at = created + MINUTE + int(rng.expovariate(1 / (days * DAY)))
            touches.append((at, channel, self._kind(channel, q)))
        touches.sort()
        placed = [(at, ch, kind, self._campaign_at(ch, at)) for at, ch, kind in touches]
        # Nobody attends a webinar before it is held: an attendance picked in the month its
        # campaign opens registration moves to the session, in the month the webinar is named.
        placed = [
            (max(at, _session(campaign)), ch, kind, campaign)
            if kind == TK.WEBINAR and campaign is not None and campaign.kind == CK.WEBINAR
            else (at, ch, kind, campaign)
            for at, ch, kind, campaign in placed
        ]
        placed.sort(key=lambda touch: touch[0])
        lead.touches = placed

    # Lifecycle ------------------------------------------------------------------------

    def _mql_time(self, lead: SimLead) -> int | None:
        """Marketing automation: MQL once fit points plus engagement reach the threshold."""
        score = FIT_POINTS[lead.fit_grade]
        for at, _, kind, _ in lead.touches:
            score += ENGAGEMENT_POINTS[kind]
            if at >= lead.created and (kind == TK.DEMO_REQUEST or score >= MQL_THRESHOLD):
                return at + self.rng.randrange(MINUTE, 30 * MINUTE)
        return None

    def _progress(self, lead: SimLead) -> None:
        rng = self.rng
        lead.statuses.append((lead.created, "", S.NEW, None, ""))
        mql_at = self._mql_time(lead)
        early = None
        if rng.random() < EARLY_DISQUALIFY.get(lead.seniority, 0.0):
            early = (rng.randrange(DAY, 20 * DAY), "student or job seeker")
        elif rng.random() < BAD_RECORD_SHARE:
            early = (rng.randrange(HOUR, 10 * DAY), rng.choice(("duplicate", "bad data")))
        if early and (mql_at is None or lead.created + early[0] < mql_at):
            at = lead.created + early[0]
            lead.statuses.append((at, S.NEW, S.DISQUALIFIED, rng.choice(OPS_PEOPLE), early[1]))
            return
        if mql_at is None:
            return
        lead.mql_at = mql_at
        lead.statuses.append((mql_at, S.NEW, S.MQL, None, ""))
        self._follow_up(lead)

    def _follow_up(self, lead: SimLead) -> None:
        rng = self.rng
        mql_at = lead.mql_at
        owner = lead.mql_owner = lead.owner_at(mql_at)
        diligence = self.diligence[owner]
        if rng.random() < NEVER_FOLLOW_UP_SCALE * (1 - diligence) ** NEVER_FOLLOW_UP_POWER:
            draw = rng.random()
            if draw < ACCEPT_WITHOUT_FOLLOW_UP and lead.seniority not in NOT_BUYERS:
                # The rep accepts it but never logs a touch.
                at = mql_at + rng.randrange(2 * DAY, 20 * DAY)
                lead.statuses.append((at, S.MQL, S.ACCEPTED, owner, ""))
                self._qualify(lead, at, NO_FOLLOW_UP_EFFECT, owner)
            elif draw < ACCEPT_WITHOUT_FOLLOW_UP + STALE_MQL_RECYCLED:  # ops sweeps stale MQLs
                at = mql_at + rng.randrange(30 * DAY, 90 * DAY)
                lead.statuses.append((at, S.MQL, S.RECYCLED, rng.choice(OPS_PEOPLE), ""))
            return
        a, b = FIRST_RESPONSE_HOURS
        delay = MINUTE + int(rng.expovariate(1 / (a + b * (1 - diligence) ** 2)) * HOUR)
        zone = REP_ZONES[owner in SDRS]
        first = _working_time(mql_at + delay, zone)  # reps call in their working hours
        p_attempt = ATTEMPT_RATE[0] + ATTEMPT_RATE[1] * diligence
        attempts = 1 + sum(rng.random() < p_attempt for _ in range(EXTRA_ATTEMPTS))
        times = [first] + sorted(
            _working_time(first + rng.randrange(HOUR, ATTEMPT_WINDOW_DAYS * DAY), zone)
            for _ in range(attempts - 1)
        )
        lead.first_response_hours = delay / HOUR  # the rep's speed, as drawn
        lead.attempts = attempts
        follow = speed_effect(lead.first_response_hours) + PERSISTENCE_EFFECT * (attempts - 1)
        if lead.seniority in NOT_BUYERS:
            accepted = False
        else:
            accepted = rng.random() < _logistic(self._logit(ACCEPT, lead.quality, follow))
        reached = rng.randrange(attempts) if accepted else attempts - 1
        for n, at in enumerate(times):
            kind = rng.choices((AK.CALL, AK.EMAIL, AK.LINKEDIN), (0.45, 0.4, 0.15))[0]
            lead.activities.append((at, owner, kind, _outcome(rng, kind, n == reached)))
        decided = times[reached] + rng.randrange(HOUR // 2, 2 * DAY)
        if accepted:
            lead.statuses.append((decided, S.MQL, S.ACCEPTED, owner, ""))
            self._qualify(lead, decided, follow, owner)
        elif lead.seniority in NOT_BUYERS:
            to = S.REJECTED if rng.random() < 0.7 else S.DISQUALIFIED
            lead.statuses.append((decided, S.MQL, to, owner, "student or job seeker"))
        else:
            self._turn_down(lead, decided, S.MQL, owner)

    @staticmethod
    def _logit(params: tuple[float, float, float], quality: float, follow: float) -> float:
        base, per_quality, per_follow = params
        return base + per_quality * (quality - Q_CENTER) + per_follow * follow

    def _turn_down(self, lead: SimLead, at: int, current: str, by: str) -> None:
        rng = self.rng
        to = rng.choices([s for s, _ in TURN_DOWN], [w for _, w in TURN_DOWN])[0]
        early = current == S.MQL
        if to == S.REJECTED:
            reasons = {
                "not a fit": 1 + (3 if lead.fit_grade in "CD" else 0),
                "no budget": 2,
                "no authority": 2 if lead.seniority in ("manager", "individual") else 0.5,
                "unreachable": (2 if lead.attempts <= 2 else 0.5) if early else 0,
                "duplicate": 0.4 if early else 0,
                "competitor": 0.2,
                "bad data": 0.3 if early else 0,
            }
        elif to == S.RECYCLED:
            reasons = {"no budget": 2, "unreachable": 1 if early else 0.2, "": 1}
        else:
            reasons = {"competitor": 1, "bad data": 1 if early else 0, "duplicate": 1}
        reason = rng.choices(list(reasons), list(reasons.values()))[0]
        lead.statuses.append((at, current, to, by, reason))

    def _qualify(self, lead: SimLead, accepted_at: int, follow: float, owner: str) -> None:
        rng = self.rng
        q = lead.quality
        sql_at = accepted_at + DAY + int(rng.expovariate(1 / (6 * DAY)))
        if rng.random() >= _logistic(self._logit(SQL, q, follow)):
            self._turn_down(lead, sql_at, S.ACCEPTED, owner)
            return
        lead.statuses.append((sql_at, S.ACCEPTED, S.SQL, owner, ""))
        if lead.first_response_hours is not None:
            meeting = sql_at - rng.randrange(HOUR, 3 * HOUR)
            lead.activities.append((meeting, owner, AK.MEETING, "Discovery call held"))
        opportunity_at = sql_at + rng.randrange(DAY, 10 * DAY)
        if rng.random() >= _logistic(self._logit(OPPORTUNITY, q, follow)):
            self._turn_down(lead, opportunity_at, S.SQL, owner)
            return
        lead.statuses.append((opportunity_at, S.SQL, S.OPPORTUNITY, owner, ""))
        opportunity = self._open_opportunity(
            lead.account, lead, lead.source, opportunity_at, q, follow
        )
        lead.opportunity = opportunity
        if opportunity.closed is not None and opportunity.stage == STAGE.WON:
            lead.statuses.append((opportunity.closed, S.OPPORTUNITY, S.CUSTOMER, owner, ""))

    # Opportunities --------------------------------------------------------------------

    def _amount(self, employees: int) -> Decimal:
        median = AMOUNT_MEDIAN_AT_100 * (employees / 100) ** AMOUNT_SIZE_POWER
        amount = AMOUNT_FLOOR + self.rng.lognormvariate(math.log(median), AMOUNT_SIGMA)
        low, high = AMOUNT_RANGE
        return Decimal(int(min(high, max(low, amount))))

    def _open_opportunity(self, account, lead, source, created, quality, follow):
        rng = self.rng
        amount = self._amount(account.employees)
        cycle = rng.lognormvariate(math.log(CYCLE_MEDIAN_DAYS), CYCLE_SIGMA)
        cycle *= (float(amount) / 60_000) ** 0.2  # bigger deals take longer
        cycle = min(CYCLE_RANGE_DAYS[1], max(CYCLE_RANGE_DAYS[0], cycle)) * DAY
        content, effect = self._deal_content(account, lead, created, cycle)
        logit = self._logit(WIN, quality, follow)
        won = rng.random() < _logistic(logit)
        lost_at = rng.uniform(0.4, 1.0) if not won else None  # the draws the story always made
        won = self._content_moves(won, logit, effect)
        if won:
            closed = created + int(cycle)
        else:
            lost_at = lost_at if lost_at is not None else self.crng.uniform(0.4, 1.0)
            closed = created + int(max(CYCLE_RANGE_DAYS[0] * DAY, cycle * lost_at))
        stages, previous = [], ""
        for stage, share in STAGE_PATH:
            at = created + int(share * cycle)
            if at >= closed:
                break
            stages.append((at, previous, stage))
            previous = stage
        stages.append((closed, previous, STAGE.WON if won else STAGE.LOST))
        opportunity = SimOpportunity(
            name=f"{account.name}: {rng.choice(OPPORTUNITY_PRODUCTS)}",
            account=account,
            lead=lead,
            owner=account.owner,
            source=source,
            amount=amount,
            created=created,
            close_date=as_datetime(created + int(cycle)).date(),
            closed=closed,
            stages=stages,
            quality=quality,
            content=content,
        )
        self.opportunities.append(opportunity)
        return opportunity

    def _create_direct_opportunities(self) -> None:
        """Deals sales and partners find themselves, with no marketing lead behind them."""
        rng = self.rng
        count = round(DIRECT_OPPORTUNITIES_PER_TWO_YEARS * self.scale * self.volume)
        sources = [key for key, _ in DIRECT_SOURCES]
        weights = [w for _, w in DIRECT_SOURCES]
        for created in self._sample_times(count):
            account = self._pick_account()
            source = rng.choices(sources, weights)[0]
            fit = account.fit + SENIORITY_FIT["director"]  # sales calls on decision makers
            noise = rng.gauss(0, QUALITY_NOISE)
            quality = _logistic(QUALITY_BASE + fit + CHANNEL[source].quality + noise)
            self._open_opportunity(account, None, source, created, quality, DIRECT_FOLLOW_UP)

    # Content -----------------------------------------------------------------------------

    def _pick_asset(self, at: int, stages: frozenset, personas: tuple, industry: str):
        """An asset sendable on the day of `at` that fits one of `stages`, or None."""
        day = as_datetime(at).date()
        picks, weights = [], []
        for index, plan in enumerate(self.library):
            popularity = self.hidden[index].popularity
            if not popularity or not stages & set(plan.stages) or not plan.sendable_on(day):
                continue
            weight = popularity * (PERSONA_FIT if set(personas) & set(plan.personas) else 1)
            if plan.industry and plan.industry != industry:
                weight *= OTHER_INDUSTRY
            picks.append(index)
            weights.append(weight)
        return self.crng.choices(picks, weights)[0] if picks else None

    def _deal_content(self, account, lead, created: int, cycle: float) -> tuple[list, float]:
        """What the deal's AE sends or shows early in the deal (its first 3-30%, before a
        loss can close it), and how much those assets move its win logit: the causal part."""
        if created < self.content_since:
            return [], 0.0
        crng, owner = self.crng, account.owner
        personas = PERSONAS[lead.seniority if lead is not None else "director"]
        content = []
        for _ in range(_poisson(crng, self.content_habit[owner])):
            at = created + int(crng.uniform(*CONTENT_WINDOW) * cycle)
            at = _working_time(at, REP_ZONES[False])
            index = self._pick_asset(at, DEAL_STAGES, personas, account.industry)
            if index is None:
                continue
            plan = self.library[index]
            shown = plan.kind == "deck" and crng.random() < self.deck_use[owner]
            kind = "use" if lead is None or shown else "send"
            content.append((at, owner, index, plan.version_on(as_datetime(at).date()), kind))
        lift = sum(self.hidden[index].lift for index in {c[2] for c in content})
        return content, max(-CONTENT_EFFECT_CAP, min(CONTENT_EFFECT_CAP, lift))

    def _content_moves(self, won: bool, logit: float, effect: float) -> bool:
        """The outcome once the deal's content is counted: a lost deal turns won (or a won
        one lost) with the chance that makes P(won) = logistic(logit + effect) exactly. The
        draw comes from the content stream, so every other draw of the story stays as it was."""
        if not effect:
            return won
        before, after = _logistic(logit), _logistic(logit + effect)
        if effect > 0 and not won:
            return self.crng.random() < (after - before) / (1 - before)
        if effect < 0 and won:
            return self.crng.random() >= (before - after) / before
        return won

    def _send_before_deals(self) -> None:
        """Sends to leads while they are accepted or SQL, from their owner at the time. In
        the model these move nothing: only content used on a deal changes its outcome."""
        crng = self.crng
        for lead in self.leads:
            statuses = lead.statuses
            personas = PERSONAS[lead.seniority]
            industry = lead.account.industry if lead.account else ""
            for n, (start, _, status, _, _) in enumerate(statuses):
                if status not in (S.ACCEPTED, S.SQL):
                    continue
                end = statuses[n + 1][0] if n + 1 < len(statuses) else self.until
                end = min(end, self.until)
                begin = max(start, self.content_since)
                if end <= begin:
                    continue
                owner = lead.owner_at(start)
                for _ in range(_poisson(crng, PRE_DEAL_SENDS * self.content_habit[owner])):
                    at = _working_time(crng.randrange(begin, end), REP_ZONES[owner in SDRS])
                    if at >= end:
                        continue
                    index = self._pick_asset(at, frozenset({status}), personas, industry)
                    if index is not None:
                        day = as_datetime(at).date()
                        sender = lead.owner_at(at)
                        lead.sends.append((at, sender, index, self.library[index].version_on(day)))
            lead.sends.sort()

    # Nothing happens on or after --until -------------------------------------------------

    def _cut_at_until(self) -> None:
        until = self.until
        self.opportunities = [o for o in self.opportunities if o.created < until]
        for opportunity in self.opportunities:
            opportunity.stages = [s for s in opportunity.stages if s[0] < until]
            opportunity.content = [c for c in opportunity.content if c[0] < until]
            if opportunity.closed >= until:
                opportunity.closed = None  # still open; close_date stays the expected one
            else:
                opportunity.close_date = as_datetime(opportunity.closed).date()
        for lead in self.leads:
            lead.touches = [t for t in lead.touches if t[0] < until]
            lead.statuses = [s for s in lead.statuses if s[0] < until]
            lead.owners = [o for o in lead.owners if o[0] < until]
            lead.activities = [a for a in lead.activities if a[0] < until]
            if lead.mql_at is not None and lead.mql_at >= until:
                lead.mql_at = lead.mql_owner = lead.first_response_hours = None
                lead.attempts = 0
            if lead.opportunity is not None and lead.opportunity.created >= until:
                lead.opportunity = None
            if lead.first_response_hours is not None and not lead.activities:
                lead.first_response_hours, lead.attempts = None, 0
            lead.engagement = min(
                ENGAGEMENT_CAP, sum(ENGAGEMENT_POINTS[kind] for _, _, kind, _ in lead.touches)
            )


def _outcome(rng: random.Random, kind: str, reached: bool) -> str:
    if kind == AK.CALL:
        return "Connected" if reached else rng.choice(("No answer", "Left voicemail"))
    if kind == AK.EMAIL:
        return "Replied" if reached else "Sent"
    return "Replied" if reached else rng.choice(("Connection request sent", "Message sent"))


def simulate(*, seed: int = 7, scale: float = 1.0, months: int = 24, until: date) -> World:
    """Simulate the demo company without touching the database."""
    if scale <= 0 or months < 1:
        raise ValueError("scale must be positive and months at least 1")
    return _Simulation(seed, scale, months, until).run()
