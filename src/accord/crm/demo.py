"""Northwind Analytics: the deterministic demo company.

Northwind Analytics sells a data platform to other businesses. `simulate()` plays out its
sales and marketing for `months` (24) months ending at the start of `until` (UTC) with
`random.Random(seed)` and nothing else, so the same seed, scale, months and until always
give the same rows; `build_demo_company()` writes them in one transaction. No prints here:
the commands `accord demo` and `accord stats` talk to people.

Later analytics (lead scoring, SLA clocks, attribution, lead value) are validated against
this model, so it is stated in full. Parameters are module constants named below; numbers
are for seed 7 at scale 1.

People. 30 users in 5 teams (PEOPLE; DEMO_LOGINS share DEMO_PASSWORD). The reps who own
leads are the account executives (rep + 8) and SDRs (sdr + 5). Each rep has a hidden
diligence d in [0.1, 0.95]: three negligent (0.12, 0.18, 0.25), three very diligent (0.88,
0.92, 0.95), the rest uniform in [0.4, 0.8]; which rep gets which depends on the seed.

Calendar. A day's weight is GROWTH_PER_YEAR (1.3) ** years-before-until x SEASON[month]
(August 0.60 and December 0.65 dips, Q1 and October-November highs) x WEEKDAY (weekends
~0.2). Lead creation days are drawn from these weights, at office hours (07-23 UTC,
triangular around 15). A 24-month window holds LEADS_PER_TWO_YEARS (20,000) x scale leads;
other windows keep the same daily rate.

Channels (CHANNELS): key, share of new leads, quality effect, touch intensity, cost.

    channel              group      share  quality  intensity  spend a month at until
    paid_search          marketing  0.16   -0.1     1.0        56k, three always-on
    paid_social          marketing  0.12   -0.5     0.9        37k, and two launches at 40k
    organic_search       marketing  0.14   +0.1     1.0         2k, SEO content
    webinar              marketing  0.08   +0.3     1.2         9k, a webinar every 2 months
    events               marketing  0.06   +0.4     1.1        8k, 85k, 8k around each event
    content_syndication  marketing  0.12   -0.8     0.7        37k
    email_nurture        marketing  0.04    0.0     1.0         4k
    partner              partner    0.05   +0.6     1.0        15k
    outbound_sdr         sales      0.09    0.0     0.8        20k, tools and lists
    direct               marketing  0.07   +0.5     1.1         0
    review_sites         marketing  0.04   +0.4     1.0        11k
    referral             marketing  0.03   +0.9     1.1        0.8k

Events also follow their own season (CHANNEL_SEASON: busy in spring and autumn, few in
July, August and December); webinars dip in summer and December. Monthly costs are the figure
above x scale x growth x uniform(0.9, 1.1), prorated for the first month and the month of
until (spend to date), as Decimal cents. About 44 campaigns for 24 months.

Accounts. ACCOUNTS_PER_LEAD (0.3) per lead: industry (INDUSTRIES, with a fit term from
Software +0.6 down to Government -0.5), employees log-normal (median 250, sigma 1.5,
clipped to 10-50,000), country (US 52%, GB, DE, CA, ...), owner a random account
executive. A lead's account is drawn with weight employees ** 0.45; accounts nobody came
from were bought lists (created at random up to 180 days before the window).

Leads. Seniority (SENIORITIES): C-level 5%, VP 8%, director 15%, manager 25%,
individual contributor 40%, student 4%, job seeker 3%; students and job seekers use
free-mail addresses and have no account. Observable fit:

    fit = industry fit + size_fit(employees) + seniority fit
    size_fit(e) = 0.6 - 0.35 * (log10(e) - 3.2) ** 2            (peak near 1,600 people)
    seniority fit: C +0.4, VP +0.7, director +0.6, manager +0.3, IC -0.2, student/seeker -3
    fit_grade: A if fit >= 1.1, B >= 0.6, C >= 0, else D

Hidden quality (never stored), the propensity to buy:

    q = logistic(-1.0 + fit + channel quality + Normal(0, 0.8))

Owner at creation: outbound leads and free-mail leads go to a random SDR; partner leads
and 35% of the rest to the account's AE; the others to a random SDR. One LeadOwnerChange
from nobody at created_at; 5% are reassigned within 45 days by the SDR or sales manager.

Touchpoints (about 12.5 per lead). Before the lead exists: Poisson-gamma (shape 2) mean 1.5
anonymous visits in the 45 days before, through discovery channels (search, ads, reviews,
referral, direct). At created_at: one form_fill, or a demo_request with probability
demo_share x (0.5 + q), in the source channel (events leads also get the badge-scan event
touch just before; 60% of webinar leads attend within two weeks). After: a count with mean
intensity x (4.3 + 16 q), each 7 days (half) or 90 days (half, exponential) later, through
channels weighted by `revisit` (nurture, organic search and direct most), +15 for the source
channel, with direct, webinar, events and review_sites weighted by (0.4 + 1.6 q); within a
channel, high-intent kinds (calculator, demo_request, webinar, event) are weighted by
(0.25 + 1.5 q). A touch belongs to a campaign of its channel running that month, chosen in
proportion to budget. Nothing on or after until.

Engagement and MQL. Points per kind (ENGAGEMENT_POINTS: email open 1 ... demo request 30)
plus FIT_POINTS (A 30, B 20, C 10, D 0). The lead becomes MQL a few minutes after the
first touch at or after created_at that brings the score to MQL_THRESHOLD (80), or after
any demo request (about 36% of leads). engagement_score stores the points of all touches
so far, capped at 100. Before MQL, ops disqualify half of students and job seekers
("student or job seeker") and 2% of records ("duplicate", "bad data") within days.

Follow-up. The MQL's owner at that moment never follows up with probability
0.85 x (1 - d) ** 1.2 (about 36% of MQLs company-wide: the black hole). Then, 4% are
accepted anyway without any logged activity (follow-up effect -1.5), 30% are recycled by
ops 30-90 days later, the rest stay MQL. Otherwise the first activity comes after
Exponential(mean 1 + 40 (1 - d) ** 2) hours, then 1 + Binomial(7, 0.15 + 0.7 d) attempts in
all over two weeks (call 45%, email 40%, LinkedIn 15%). Reps work Monday to Friday 8:00 to
18:00 in their team's zone: a follow-up that would fall outside is logged the next working
morning (the effect below still uses the drawn delay). The follow-up effect is

    follow = speed + 0.12 x (attempts - 1)
    speed = +0.9 under 1 h, +0.6 under 4 h, +0.3 under 24 h, 0 under 72 h, else -0.4

Follow-up does not depend on q: reps do not cherry-pick, so its effect is causal.

Conversion. Each step succeeds with logistic(base + k_q (q - 0.35) + k_f follow):

    MQL -> accepted (SAL)   base -0.4, k_q 4, k_f 1.0   (~77% of followed-up MQLs)
    accepted -> SQL         base -0.8, k_q 3, k_f 0.5   (~61%), 1 + Exp(6) days later
    SQL -> opportunity      base +0.8, k_q 2, k_f 0.3   (~84%), 1-10 days later
    opportunity -> won      base -2.6, k_q 4, k_f 0.3   (~25% of closed)

Students and job seekers are always turned down. The MQL decision comes 0.5-48 h after the
attempt that reached the lead (accepted) or the last attempt (not). A lead that fails a
step is rejected (62%, reason by features: not a fit, no budget, no authority,
unreachable, duplicate, competitor, bad data), recycled (28%: no budget, unreachable or
none) or disqualified (10%: competitor, bad data, duplicate). Every transition is a
LeadStatusChange; the first is "" -> new at created_at and Lead.status is the last.
A lead whose opportunity is lost stays "opportunity"; a won one becomes "customer" at
the close.

Opportunities (about 2,500). From leads reaching "opportunity" (account of the lead, owner
the account's AE, source the lead's source), plus DIRECT_OPPORTUNITIES_PER_TWO_YEARS (800)
x scale opened by sales (outbound_sdr 60%) and partners (40%) without a lead, with
q = logistic(-1.0 + account fit + 0.6 + channel quality + noise) and follow 0.5.
Amount = 20,000 + LogNormal(log(20,000 x (employees / 100) ** 0.35), 0.45), clipped to
25,000-300,000, whole dollars (median about 60k). Cycle = LogNormal(log 75 days, 0.45) x
(amount / 60,000) ** 0.2, clipped to 30-180 days; stages discovery, demo (15% of the cycle),
proposal (45%), negotiation (75%), won at 100%; a lost deal closes after
max(30 days, uniform(0.4, 1) x cycle) from the last stage reached. Deals closing after
until are still open, with close_date the expected close.
"""

import calendar
import math
import random
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from itertools import accumulate, islice
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Channel,
    Lead,
    LeadOwnerChange,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)
from accord.crm.queries import company_counts
from accord.people.models import Team, User

COMPANY_NAME = "Northwind Analytics"
EMAIL_DOMAIN = "northwind-analytics.example"
DEMO_PASSWORD = "accord-demo"  # noqa: S105 - public on purpose: printed for demo logins

BATCH_SIZE = 5000
MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

S = Lead.Status
TK = Touchpoint.Kind
AK = Activity.Kind
STAGE = Opportunity.Stage


# --- People ------------------------------------------------------------------------------

MARKETING = "Marketing"
SALES = "Sales"
SDR = "Sales development"
CONTENT = "Content"
OPS = "Sales & marketing operations"

TEAMS = (
    (MARKETING, Team.Kind.MARKETING, "America/New_York"),
    (SALES, Team.Kind.SALES, "America/New_York"),
    (SDR, Team.Kind.SDR, "America/Chicago"),
    (CONTENT, Team.Kind.CONTENT, "Europe/London"),
    (OPS, Team.Kind.SALES_OPS, "America/New_York"),
)


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    team: str
    first_name: str
    last_name: str
    title: str

    @property
    def email(self) -> str:
        return f"{_ascii_slug(self.first_name)}.{_ascii_slug(self.last_name)}@{EMAIL_DOMAIN}"


R = User.Role

# Printed by `accord demo` and the README; all share DEMO_PASSWORD.
DEMO_LOGINS = (
    Person("admin", R.ADMIN, OPS, "Priya", "Raman", "Revenue Systems Administrator"),
    Person("cmo", R.LEADER, MARKETING, "Helena", "Fischer", "Chief Marketing Officer"),
    Person("vp.sales", R.LEADER, SALES, "Marcus", "Bell", "VP of Sales"),
    Person("marketing.manager", R.MANAGER, MARKETING, "Sofia", "Alvarez", "Demand Gen Manager"),
    Person("sales.manager", R.MANAGER, SALES, "Daniel", "Okafor", "Regional Sales Manager"),
    Person("sdr.manager", R.MANAGER, SDR, "Grace", "Kim", "Sales Development Manager"),
    Person("content.manager", R.MANAGER, CONTENT, "Tom", "Whitaker", "Content Marketing Manager"),
    Person("ops.manager", R.MANAGER, OPS, "Nadia", "Petrova", "Revenue Operations Manager"),
    Person("marketer", R.MEMBER, MARKETING, "Liam", "O'Connor", "Marketing Programs Specialist"),
    Person("rep", R.MEMBER, SALES, "Jordan", "Reyes", "Account Executive"),
    Person("sdr", R.MEMBER, SDR, "Aisha", "Mensah", "Sales Development Representative"),
    Person("writer", R.MEMBER, CONTENT, "Emma", "Lindqvist", "Content Writer"),
    Person("analyst", R.MEMBER, OPS, "Kenji", "Watanabe", "Revenue Operations Analyst"),
    Person("viewer", R.VIEWER, OPS, "Ruth", "Adler", "Finance Business Partner"),
)

_AE_TITLES = ("Account Executive", "Senior Account Executive", "Enterprise Account Executive")
OTHER_PEOPLE = (
    Person("ethan.brooks", R.MEMBER, SALES, "Ethan", "Brooks", _AE_TITLES[1]),
    Person("maya.goldberg", R.MEMBER, SALES, "Maya", "Goldberg", _AE_TITLES[2]),
    Person("lucas.ferreira", R.MEMBER, SALES, "Lucas", "Ferreira", _AE_TITLES[0]),
    Person("hannah.schmidt", R.MEMBER, SALES, "Hannah", "Schmidt", _AE_TITLES[0]),
    Person("omar.haddad", R.MEMBER, SALES, "Omar", "Haddad", _AE_TITLES[2]),
    Person("chloe.dubois", R.MEMBER, SALES, "Chloé", "Dubois", _AE_TITLES[0]),
    Person("ben.carter", R.MEMBER, SALES, "Ben", "Carter", "Mid-Market Account Executive"),
    Person("isabel.novak", R.MEMBER, SALES, "Isabel", "Novak", _AE_TITLES[1]),
    Person("noah.jensen", R.MEMBER, SDR, "Noah", "Jensen", "Sales Development Representative"),
    Person("zoe.campbell", R.MEMBER, SDR, "Zoe", "Campbell", "Senior Sales Development Rep"),
    Person("diego.navarro", R.MEMBER, SDR, "Diego", "Navarro", "Sales Development Representative"),
    Person("fatima.rahman", R.MEMBER, SDR, "Fatima", "Rahman", "Sales Development Representative"),
    Person("ryan.murphy", R.MEMBER, SDR, "Ryan", "Murphy", "Business Development Representative"),
    Person("olivia.chen", R.MEMBER, MARKETING, "Olivia", "Chen", "Field Marketing Manager"),
    Person("samuel.adeyemi", R.MEMBER, MARKETING, "Samuel", "Adeyemi", "Paid Media Specialist"),
    Person("julia.rossi", R.MEMBER, CONTENT, "Julia", "Rossi", "Content Strategist"),
)
PEOPLE = DEMO_LOGINS + OTHER_PEOPLE

ACCOUNT_EXECUTIVES = ("rep",) + tuple(p.username for p in OTHER_PEOPLE if p.team == SALES)
SDRS = ("sdr",) + tuple(p.username for p in OTHER_PEOPLE if p.team == SDR)
REPS = ACCOUNT_EXECUTIVES + SDRS
OPS_PEOPLE = ("analyst", "ops.manager")

# Hidden follow-up diligence: a few clear outliers each way, the rest ordinary.
NEGLIGENT_DILIGENCE = (0.12, 0.18, 0.25)
VERY_DILIGENT_DILIGENCE = (0.95, 0.92, 0.88)
ORDINARY_DILIGENCE = (0.4, 0.8)


# --- Channels and campaigns --------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    name: str
    group: str
    share: float  # of new leads it sources
    quality: float  # added to the hidden quality logit
    intensity: float  # multiplies how often its leads come back
    demo_share: float  # chance its converting touch is a demo request (times 0.5 + q)
    kinds: tuple[tuple[str, float], ...]  # touch kinds when a lead comes back this way
    revisit: float  # weight of this channel among later touches
    discovery: float  # weight among anonymous touches before the lead exists


G = Channel.Group
CHANNELS = (
    ChannelSpec("paid_search", "Paid search", G.MARKETING, 0.16, -0.1, 1.0, 0.10,
                ((TK.AD_CLICK, 1),), 7, 0.20),
    ChannelSpec("paid_social", "Paid social", G.MARKETING, 0.12, -0.5, 0.9, 0.04,
                ((TK.AD_CLICK, 1),), 7, 0.15),
    ChannelSpec("organic_search", "Organic search", G.MARKETING, 0.14, 0.1, 1.0, 0.08,
                ((TK.WEB_VISIT, 0.6), (TK.CONTENT_VIEW, 0.4)), 18, 0.35),
    ChannelSpec("webinar", "Webinars", G.MARKETING, 0.08, 0.3, 1.2, 0.05,
                ((TK.WEBINAR, 0.7), (TK.FORM_FILL, 0.3)), 6, 0),
    ChannelSpec("events", "Events", G.MARKETING, 0.06, 0.4, 1.1, 0.06,
                ((TK.EVENT, 1),), 3, 0),
    ChannelSpec("content_syndication", "Content syndication", G.MARKETING, 0.12, -0.8, 0.7, 0.02,
                ((TK.CONTENT_VIEW, 1),), 4, 0.05),
    ChannelSpec("email_nurture", "Email nurture", G.MARKETING, 0.04, 0.0, 1.0, 0.06,
                ((TK.EMAIL_OPEN, 0.7), (TK.EMAIL_CLICK, 0.3)), 30, 0),
    ChannelSpec("partner", "Partners", G.PARTNER, 0.05, 0.6, 1.0, 0.15,
                ((TK.WEB_VISIT, 0.5), (TK.EVENT, 0.3), (TK.CONTENT_VIEW, 0.2)), 2, 0),
    ChannelSpec("outbound_sdr", "Outbound SDR", G.SALES, 0.09, 0.0, 0.8, 0.05,
                ((TK.EMAIL_OPEN, 0.7), (TK.EMAIL_CLICK, 0.3)), 3, 0),
    ChannelSpec("direct", "Direct", G.MARKETING, 0.07, 0.5, 1.1, 0.30,
                ((TK.WEB_VISIT, 0.6), (TK.CONTENT_VIEW, 0.15), (TK.CALCULATOR, 0.15),
                 (TK.DEMO_REQUEST, 0.1)), 14, 0.10),
    ChannelSpec("review_sites", "Review sites", G.MARKETING, 0.04, 0.4, 1.0, 0.20,
                ((TK.WEB_VISIT, 0.7), (TK.CONTENT_VIEW, 0.3)), 4, 0.10),
    ChannelSpec("referral", "Referrals", G.MARKETING, 0.03, 0.9, 1.1, 0.35,
                ((TK.WEB_VISIT, 1),), 2, 0.05),
)  # fmt: skip
CHANNEL = {spec.key: spec for spec in CHANNELS}
CHANNEL_KEYS = tuple(CHANNEL)

# Lead volume by channel also follows the season: field events cluster in spring and autumn.
CHANNEL_SEASON = {
    "events": {1: 0.8, 2: 1.4, 3: 1.6, 4: 1.3, 5: 1.0, 6: 0.8, 7: 0.3, 8: 0.2, 9: 1.3, 10: 1.7,
               11: 1.4, 12: 0.3},
    "webinar": {7: 0.7, 8: 0.5, 12: 0.5},
}  # fmt: skip

# Touch kinds and channels that show buying intent; better leads choose them more often.
HIGH_INTENT = frozenset({TK.CALCULATOR, TK.DEMO_REQUEST, TK.WEBINAR, TK.EVENT})
HIGH_INTENT_CHANNELS = frozenset({"direct", "webinar", "events", "review_sites"})
SOURCE_LOYALTY = 15  # added to the source channel's revisit weight

# An anonymous visitor reaches us through search, ads, reviews or a colleague's link.
DISCOVERY_KINDS = {
    "paid_search": (TK.AD_CLICK,),
    "paid_social": (TK.AD_CLICK,),
    "organic_search": (TK.WEB_VISIT, TK.CONTENT_VIEW),
    "content_syndication": (TK.CONTENT_VIEW,),
    "direct": (TK.WEB_VISIT,),
    "review_sites": (TK.WEB_VISIT,),
    "referral": (TK.WEB_VISIT,),
}


@dataclass(frozen=True)
class AlwaysOn:
    channel: str
    name: str
    kind: str
    monthly_cost: int  # dollars at scale 1, at --until (earlier months shrink with growth)
    owner: str
    starts_after: float = 0.0  # fraction of the window before it starts


CK = Campaign.Kind
ALWAYS_ON = (
    AlwaysOn("paid_search", "Google Ads: brand", CK.ALWAYS_ON, 18_000, "samuel.adeyemi"),
    AlwaysOn("paid_search", "Google Ads: data platform", CK.ALWAYS_ON, 32_000, "samuel.adeyemi"),
    AlwaysOn("paid_search", "Microsoft Ads: search", CK.ALWAYS_ON, 6_000, "samuel.adeyemi", 0.25),
    AlwaysOn("paid_social", "LinkedIn Ads: data leaders", CK.ALWAYS_ON, 28_000, "samuel.adeyemi"),
    AlwaysOn("paid_social", "LinkedIn Ads: retargeting", CK.ALWAYS_ON, 9_000, "marketer"),
    AlwaysOn("organic_search", "SEO: blog", CK.CONTENT, 1_500, "content.manager"),
    AlwaysOn("organic_search", "SEO: docs and guides", CK.CONTENT, 500, "writer"),
    AlwaysOn("content_syndication", "Syndication: data leaders network", CK.CONTENT, 22_000,
             "marketing.manager"),
    AlwaysOn("content_syndication", "Syndication: analyst report", CK.CONTENT, 15_000,
             "julia.rossi", 0.4),
    AlwaysOn("email_nurture", "Nurture: new leads", CK.NURTURE, 2_000, "marketer"),
    AlwaysOn("email_nurture", "Nurture: recycled leads", CK.NURTURE, 1_000, "marketer"),
    AlwaysOn("email_nurture", "Monthly newsletter", CK.NURTURE, 1_000, "writer"),
    AlwaysOn("partner", "Cloud marketplace listing", CK.ALWAYS_ON, 6_000, "marketing.manager"),
    AlwaysOn("partner", "SI partner co-marketing", CK.ALWAYS_ON, 9_000, "marketing.manager"),
    AlwaysOn("outbound_sdr", "Outbound: enterprise ABM", CK.OUTBOUND, 12_000, "sdr.manager"),
    AlwaysOn("outbound_sdr", "Outbound: mid-market", CK.OUTBOUND, 8_000, "sdr.manager"),
    AlwaysOn("direct", "Website: direct traffic", CK.ALWAYS_ON, 0, "marketing.manager"),
    AlwaysOn("review_sites", "G2 profile", CK.ALWAYS_ON, 8_000, "marketer"),
    AlwaysOn("review_sites", "Capterra listing", CK.ALWAYS_ON, 3_000, "marketer"),
    AlwaysOn("referral", "Customer referral program", CK.ALWAYS_ON, 800, "marketing.manager"),
)  # fmt: skip

LAUNCHES = (("Launch: Northwind Lakehouse", 1 / 3), ("Launch: Northwind AI Assist", 3 / 4))
LAUNCH_MONTHLY_COST = 40_000
WEBINAR_TOPICS = (
    "Modern data stack 101", "From dashboards to decisions", "Data quality that scales",
    "Finance analytics in a week", "Real-time supply chain visibility", "Governed self-service BI",
    "AI-ready data foundations", "Cutting warehouse costs", "Customer 360 without the pain",
    "Healthcare data compliance", "Retail demand forecasting", "Migrating off legacy BI",
)  # fmt: skip
WEBINAR_MONTHLY_COST = 9_000
EVENT_NAMES = (
    "Data Leaders Summit Chicago", "Analytics Expo London", "Northwind World Tour New York",
    "CDO Forum Berlin", "Cloud Data Conference", "Northwind World Tour London",
    "Finance Analytics Forum", "Healthcare Data Summit",
)  # fmt: skip
EVENT_COST = (8_000, 85_000, 8_000)  # promotion month, event month, follow-up month


# --- Accounts and people at them ---------------------------------------------------------

INDUSTRIES = (  # (name, share of accounts, fit)
    ("Software", 0.22, 0.6),
    ("Financial services", 0.14, 0.5),
    ("Healthcare", 0.12, 0.2),
    ("Manufacturing", 0.12, 0.1),
    ("Retail", 0.10, 0.0),
    ("Education", 0.06, -0.4),
    ("Government", 0.05, -0.5),
    ("Media", 0.06, 0.0),
    ("Logistics", 0.07, 0.1),
    ("Energy", 0.06, -0.1),
)
INDUSTRY_FIT = {name: fit for name, _, fit in INDUSTRIES}
INDUSTRY_SUFFIXES = {
    "Software": ("Software", "Labs", "Systems", "Technologies", "Cloud", "Digital", "AI"),
    "Financial services": ("Capital", "Bank", "Financial", "Insurance", "Partners", "Payments"),
    "Healthcare": ("Health", "Medical", "Clinics", "Care", "Pharma", "Diagnostics", "Bio"),
    "Manufacturing": ("Manufacturing", "Industries", "Components", "Machinery", "Robotics"),
    "Retail": ("Retail", "Stores", "Outfitters", "Market", "Brands", "Home", "Foods"),
    "Education": ("University", "College", "Academy", "Learning", "Schools", "Institute"),
    "Government": ("County", "City Council", "Transit Authority", "Water Authority"),
    "Media": ("Media", "Studios", "Publishing", "Broadcasting", "News", "Games"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Transport", "Supply", "Distribution"),
    "Energy": ("Energy", "Power", "Utilities", "Renewables", "Solar", "Grid"),
}
NAME_PREFIXES = (
    "Blue", "North", "Silver", "Iron", "Bright", "Summit", "Harbor", "Cedar", "Granite", "Clear",
    "Red", "Green", "Golden", "Swift", "True", "Open", "Ever", "Pine", "Oak", "Maple", "River",
    "Lake", "Stone", "Sun", "Star", "Cloud", "Frost", "Copper", "Crest", "Falcon", "Eagle",
    "Atlas", "Nova", "Vertex", "Apex", "Pioneer", "Key", "Liberty", "Sterling", "Horizon",
    "Meridian", "Beacon", "Quantum", "Crystal", "Aurora", "Coastal", "Prairie", "High", "Alpine",
    "Union", "Metro", "Pacific", "Atlantic", "Lumen", "Orbit", "Polar", "Echo", "Zenith", "Titan",
    "Sage",
)  # fmt: skip
NAME_ROOTS = (
    "field", "stone", "bridge", "wave", "line", "point", "path", "gate", "works", "well", "view",
    "wood", "ridge", "brook", "port", "light", "vale", "core", "shift", "spring", "leaf", "rock",
    "peak", "mark", "hill", "land", "stream", "forge", "bay", "haven",
)  # fmt: skip
NAME_QUALIFIERS = ("Group", "Holdings", "International", "Global", "Partners", "Co")
COUNTRIES = (
    ("US", 0.52), ("GB", 0.10), ("DE", 0.07), ("CA", 0.06), ("FR", 0.04), ("NL", 0.04),
    ("AU", 0.04), ("SE", 0.03), ("IE", 0.02), ("ES", 0.02), ("IT", 0.02), ("DK", 0.01),
    ("CH", 0.01), ("SG", 0.01), ("JP", 0.01),
)  # fmt: skip
EMPLOYEES_MEDIAN = 250
EMPLOYEES_SIGMA = 1.5
EMPLOYEES_RANGE = (10, 50_000)
ACCOUNTS_PER_LEAD = 0.3
ACCOUNT_PICK_POWER = 0.45  # bigger companies send more people our way

SENIORITIES = (  # (key, share of leads, fit, titles)
    ("c_level", 0.05, 0.4, ("Chief Data Officer", "Chief Technology Officer",
                            "Chief Information Officer", "Chief Financial Officer",
                            "Chief Analytics Officer", "Chief Operating Officer")),
    ("vp", 0.08, 0.7, ("VP of Data", "VP of Engineering", "VP of Analytics", "VP of Finance",
                       "VP of Operations", "VP of IT")),
    ("director", 0.15, 0.6, ("Director of Data Engineering", "Director of Business Intelligence",
                             "Head of Analytics", "Head of Data", "Director of IT",
                             "Director of Finance", "Director of Operations")),
    ("manager", 0.25, 0.3, ("Analytics Manager", "Data Engineering Manager", "BI Manager",
                            "IT Manager", "Finance Manager", "Data Platform Lead",
                            "Marketing Operations Manager")),
    ("individual", 0.40, -0.2, ("Data Analyst", "Data Engineer", "Analytics Engineer",
                                "Data Scientist", "Software Engineer", "BI Developer",
                                "Financial Analyst", "Database Administrator")),
    ("student", 0.04, -3.0, ("Student", "MSc Student", "PhD Candidate", "Graduate Student")),
    ("job_seeker", 0.03, -3.0, ("Open to Work", "Job Seeker", "Between Roles")),
)  # fmt: skip
SENIORITY_FIT = {key: fit for key, _, fit, _ in SENIORITIES}
SENIORITY_TITLES = {key: titles for key, _, _, titles in SENIORITIES}
NOT_BUYERS = frozenset({"student", "job_seeker"})
FREEMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com")

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark",
    "Ashley", "Steven", "Emily", "Andrew", "Michelle", "Joshua", "Amanda", "Kevin", "Melissa",
    "Brian", "Stephanie", "Ryan", "Rebecca", "Jacob", "Laura", "Nicholas", "Rachel", "Eric",
    "Megan", "Jonathan", "Hannah", "Samuel", "Olivia", "Benjamin", "Sophie", "Oliver", "Charlotte",
    "Harry", "Amelia", "George", "Isla", "Jack", "Freya", "Lukas", "Lena", "Felix", "Anna",
    "Maximilian", "Marie", "Lars", "Ingrid", "Erik", "Astrid", "Pieter", "Sanne", "Thijs", "Femke",
    "Louis", "Camille", "Hugo", "Manon", "Mateo", "Lucía", "Javier", "Carmen", "Marco", "Giulia",
    "Luca", "Francesca", "Wei", "Mei", "Hiroshi", "Yuki", "Ji-woo", "Min-jun", "Arjun", "Priya",
    "Rahul", "Ananya", "Vikram", "Deepa", "Mohammed", "Fatima", "Ahmed", "Layla", "Omar", "Yasmin",
    "Kwame", "Ama", "Chinedu", "Ngozi", "Tunde", "Zanele", "Thabo", "Diego", "Valentina",
    "Santiago", "Isabella", "Gabriel", "Beatriz", "Rafael", "Ana", "Sean", "Aoife", "Connor",
    "Niamh", "Dmitri", "Olga", "Piotr", "Katarzyna", "Tomasz", "Agnieszka", "Noah", "Emma", "Liam",
    "Ava", "Ethan", "Mia", "Mason", "Chloe", "Logan", "Grace", "Aiden", "Zoe", "Elena", "Nikolai",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
    "Wagner", "Becker", "Hoffmann", "Schulz", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser",
    "Smit", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Bernard", "Rossi", "Russo",
    "Ferrari", "Esposito", "Bianchi", "Romano", "Fernández", "González", "Ruiz", "Díaz", "Moreno",
    "Johansson", "Andersson", "Karlsson", "Nilsson", "Larsson", "Hansen", "Nielsen", "Pedersen",
    "O'Brien", "Murphy", "Kelly", "Byrne", "Walsh", "Kowalski", "Nowak", "Wiśniewski", "Ivanov",
    "Petrov", "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Tanaka", "Suzuki", "Sato",
    "Kim", "Park", "Choi", "Patel", "Sharma", "Singh", "Kumar", "Gupta", "Iyer", "Reddy", "Khan",
    "Ali", "Hassan", "Hussein", "Ibrahim", "Okafor", "Adeyemi", "Mensah", "Owusu", "Nkosi",
    "Dlamini", "Silva", "Santos", "Oliveira", "Costa", "Pereira", "Alves", "Cohen", "Levi",
    "Friedman", "Novak", "Horvat", "Kovač", "Popescu", "Papadopoulos", "Yilmaz", "Kaya",
)  # fmt: skip


# --- The generative model's parameters (see the module docstring) -----------------------

LEADS_PER_TWO_YEARS = 20_000
GROWTH_PER_YEAR = 1.30
SEASON = {1: 1.05, 2: 1.10, 3: 1.15, 4: 1.00, 5: 1.00, 6: 0.95, 7: 0.85, 8: 0.60, 9: 1.05,
          10: 1.15, 11: 1.10, 12: 0.65}  # fmt: skip
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.25, 0.2)  # Monday first

QUALITY_BASE = -1.0
QUALITY_NOISE = 0.8
FIT_GRADES = ((1.1, "A"), (0.6, "B"), (0.0, "C"))  # fit at or above -> grade; else D
FIT_POINTS = {"A": 30, "B": 20, "C": 10, "D": 0}
ENGAGEMENT_POINTS = {
    TK.EMAIL_OPEN: 1, TK.WEB_VISIT: 2, TK.AD_CLICK: 2, TK.EMAIL_CLICK: 3, TK.CONTENT_VIEW: 4,
    TK.FORM_FILL: 8, TK.WEBINAR: 10, TK.EVENT: 10, TK.CALCULATOR: 12, TK.DEMO_REQUEST: 30,
}  # fmt: skip
ENGAGEMENT_CAP = 100
MQL_THRESHOLD = 80

PRE_TOUCHES_MEAN = 1.5
AFTER_TOUCHES_BASE = 4.3
AFTER_TOUCHES_PER_QUALITY = 16.0
TOUCH_DISPERSION = 2.0  # gamma shape of the negative binomial counts
SOON_SHARE, SOON_DAYS, LATER_DAYS = 0.5, 7, 90  # when later touches happen

REASSIGN_SHARE = 0.05
AE_OWNER_SHARE = 0.35  # inbound leads routed straight to the account's AE instead of an SDR
EARLY_DISQUALIFY = {"student": 0.5, "job_seeker": 0.5}
BAD_RECORD_SHARE = 0.02

NEVER_FOLLOW_UP_SCALE = 0.85
NEVER_FOLLOW_UP_POWER = 1.2
FIRST_RESPONSE_HOURS = (1.0, 40.0)  # mean = a + b * (1 - diligence) ** 2
EXTRA_ATTEMPTS = 7  # binomial trials beyond the first attempt
ATTEMPT_RATE = (0.15, 0.7)  # p = a + b * diligence
ATTEMPT_WINDOW_DAYS = 14
SPEED_EFFECT = ((1, 0.9), (4, 0.6), (24, 0.3), (72, 0.0))  # first response under h -> effect
SLOW_EFFECT = -0.4
PERSISTENCE_EFFECT = 0.12  # per attempt beyond the first
NO_FOLLOW_UP_EFFECT = -1.5
ACCEPT_WITHOUT_FOLLOW_UP = 0.04
STALE_MQL_RECYCLED = 0.30

Q_CENTER = 0.35
ACCEPT = (-0.4, 4.0, 1.0)  # (base, quality, follow-up) on the logit scale
SQL = (-0.8, 3.0, 0.5)
OPPORTUNITY = (0.8, 2.0, 0.3)
WIN = (-2.6, 4.0, 0.3)
TURN_DOWN = ((S.REJECTED, 0.62), (S.RECYCLED, 0.28), (S.DISQUALIFIED, 0.10))

DIRECT_OPPORTUNITIES_PER_TWO_YEARS = 800
DIRECT_SOURCES = (("outbound_sdr", 0.6), ("partner", 0.4))
DIRECT_FOLLOW_UP = 0.5
AMOUNT_FLOOR = 20_000
AMOUNT_MEDIAN_AT_100 = 20_000
AMOUNT_SIZE_POWER = 0.35
AMOUNT_SIGMA = 0.45
AMOUNT_RANGE = (25_000, 300_000)
CYCLE_MEDIAN_DAYS = 75
CYCLE_SIGMA = 0.45
CYCLE_RANGE_DAYS = (30, 180)
STAGE_PATH = ((STAGE.DISCOVERY, 0.0), (STAGE.DEMO, 0.15), (STAGE.PROPOSAL, 0.45),
              (STAGE.NEGOTIATION, 0.75))  # fmt: skip
OPPORTUNITY_PRODUCTS = ("Data platform", "Lakehouse", "Analytics suite", "Platform pilot")


# --- The simulated world (plain Python; persisted by build_demo_company) ---------------


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


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    scale: float
    months: int
    start: datetime
    until: datetime
    counts: dict[str, int | str]


# --- Small helpers ------------------------------------------------------------------------


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _dt(ts: int) -> datetime:
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


# Reps work Monday to Friday, 8:00 to 18:00 in their team's zone (AEs New York, SDRs Chicago).
REP_ZONES = {False: ZoneInfo("America/New_York"), True: ZoneInfo("America/Chicago")}
WORKDAY = (8, 18)
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
        self.start_day = _add_months(until, -months)
        self.until = _ts(until)
        self.start = _ts(self.start_day)
        self.emails: set[str] = set()
        self.account_names: set[str] = set()
        self.domains: set[str] = set()
        self.leads: list[SimLead] = []
        self.opportunities: list[SimOpportunity] = []

    def run(self) -> World:
        self._assign_diligence()
        self._plan_days()
        self._plan_campaigns()
        self._create_accounts()
        self._create_leads()
        self._create_direct_opportunities()
        self._date_accounts()
        self._cut_at_until()
        return World(
            seed=self.seed,
            scale=self.scale,
            months=self.months,
            start=_dt(self.start),
            until=_dt(self.until),
            diligence=self.diligence,
            campaigns=self.campaigns,
            accounts=self.accounts,
            leads=self.leads,
            opportunities=sorted(self.opportunities, key=lambda o: o.created),
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

    # Calendar -------------------------------------------------------------------------

    def _day_weight(self, day: date) -> float:
        years = (day - self.until_day).days / 365.25
        return GROWTH_PER_YEAR**years * SEASON[day.month] * WEEKDAY[day.weekday()]

    def _days(self, first: date) -> list[date]:
        return [first + timedelta(days=n) for n in range((self.until_day - first).days)]

    def _plan_days(self) -> None:
        self.days = self._days(self.start_day)
        self.day_cw = list(accumulate(self._day_weight(day) for day in self.days))
        two_years = self._days(_add_months(self.until_day, -24))
        # Volume is set for a 24-month window; other windows keep the same daily rate.
        self.volume = self.day_cw[-1] / sum(self._day_weight(day) for day in two_years)
        first_month = date(self.start_day.year, self.start_day.month, 1)
        last_month = date(self.until_day.year, self.until_day.month, 1)
        if last_month == self.until_day:
            last_month = _add_months(last_month, -1)
        self.month_starts = []
        month = _add_months(first_month, -3)  # anonymous visits precede the window
        while month <= last_month:
            self.month_starts.append(month)
            month = _add_months(month, 1)
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
        days = calendar.monthrange(month.year, month.month)[1]
        end = _add_months(month, 1)
        inside = (min(end, self.until_day) - max(month, self.start_day)).days
        return max(0.0, min(1.0, inside / days))

    def _cost(self, month: date, dollars: float) -> Decimal:
        years = (month - self.until_day).days / 365.25
        amount = dollars * self.scale * GROWTH_PER_YEAR**years * self.rng.uniform(0.9, 1.1)
        return Decimal(str(round(amount * self._month_fraction(month), 2)))

    def _campaign(self, name, channel, kind, months, owner, monthly) -> SimCampaign:
        end = _add_months(months[-1], 1) - timedelta(days=1)
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
            running = [_add_months(months[first], i) for i in range(2)]
            topic = WEBINAR_TOPICS[n % len(WEBINAR_TOPICS)]
            campaigns.append(
                self._campaign(f"Webinar: {topic} ({running[-1]:%b %Y})", "webinar", CK.WEBINAR,
                               running, "marketer", [WEBINAR_MONTHLY_COST] * 2)
            )  # fmt: skip
        for n, first in enumerate(range(-1, count, 3)):
            running = [_add_months(months[0], first + i) for i in range(3)]
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
        slug = "-".join(_ascii_slug(word) for word in name.split() if _ascii_slug(word))
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
        local = f"{_ascii_slug(first)}.{_ascii_slug(last)}"
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
            month = _dt(created).month
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
        lead.touches = [(at, ch, kind, self._campaign_at(ch, at)) for at, ch, kind in touches]

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
        won = rng.random() < _logistic(self._logit(WIN, quality, follow))
        if won:
            closed = created + int(cycle)
        else:
            closed = created + int(max(CYCLE_RANGE_DAYS[0] * DAY, cycle * rng.uniform(0.4, 1.0)))
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
            close_date=_dt(created + int(cycle)).date(),
            closed=closed,
            stages=stages,
            quality=quality,
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

    # Nothing happens on or after --until -------------------------------------------------

    def _cut_at_until(self) -> None:
        until = self.until
        self.opportunities = [o for o in self.opportunities if o.created < until]
        for opportunity in self.opportunities:
            opportunity.stages = [s for s in opportunity.stages if s[0] < until]
            if opportunity.closed >= until:
                opportunity.closed = None  # still open; close_date stays the expected one
            else:
                opportunity.close_date = _dt(opportunity.closed).date()
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


# --- Persistence --------------------------------------------------------------------------


def _chunks(iterable: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _write(model: type[models.Model], names: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert rows with executemany, in batches.

    bulk_create builds SQL and prepares every value per row in Python, which took over a
    minute for the default company; executemany with prepared values takes seconds.
    """
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    # Only our own table and column names go into the statement; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # Dates, datetimes and decimals need the backend's own representation (text on SQLite).
    ops = connection.ops
    prepared = []
    for i, f in enumerate(fields):
        if isinstance(f, models.DateTimeField):
            prepared.append((i, ops.adapt_datetimefield_value))
        elif isinstance(f, models.DateField):
            prepared.append((i, ops.adapt_datefield_value))
        elif isinstance(f, models.DecimalField):
            prepared.append((i, partial(ops.adapt_decimalfield_value, max_digits=f.max_digits,
                                        decimal_places=f.decimal_places)))  # fmt: skip
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            if prepared:
                chunk = [list(row) for row in chunk]
                for row in chunk:
                    for i, adapt in prepared:
                        if row[i] is not None:
                            row[i] = adapt(row[i])
            cursor.executemany(sql, chunk)


def _number(records: list, model: type[models.Model]) -> None:
    """Give records explicit primary keys so children can refer to them without a query."""
    first = (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    for pk, record in enumerate(records, start=first):
        record.pk = pk


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    """Keep SQLite's growing indexes in memory: at scale 10 this saves about a third."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")  # KiB, so 256 MiB at most
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _persist(world: World) -> None:
    teams = {name: Team(name=name, kind=kind, time_zone=tz) for name, kind, tz in TEAMS}
    Team.objects.bulk_create(teams.values())
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    joined = world.start - timedelta(days=365)
    users = {
        p.username: User(
            username=p.username,
            password=password,
            email=p.email,
            first_name=p.first_name,
            last_name=p.last_name,
            title=p.title,
            role=p.role,
            date_joined=joined,
        )
        for p in PEOPLE
    }
    User.objects.bulk_create(users.values())
    membership = User.teams.through
    membership.objects.bulk_create(
        membership(user_id=users[p.username].pk, team_id=teams[p.team].pk) for p in PEOPLE
    )
    uid: dict[str | None, int | None] = {name: user.pk for name, user in users.items()}
    uid[None] = None
    channels = {s.key: Channel(key=s.key, name=s.name, group=s.group) for s in CHANNELS}
    Channel.objects.bulk_create(channels.values())
    cid = {key: channel.pk for key, channel in channels.items()}

    campaigns, accounts, leads = world.campaigns, world.accounts, world.leads
    opportunities = world.opportunities
    for records, model in (
        (campaigns, Campaign),
        (accounts, Account),
        (leads, Lead),
        (opportunities, Opportunity),
    ):
        _number(records, model)
    imported = ("source_system", "external_id")
    origin = ("accord", "")
    now = timezone.now()

    _write(
        Campaign,
        ("id", "name", "channel", "kind", "starts_on", "ends_on", "owner", *imported),
        (
            (c.pk, c.name, cid[c.channel], c.kind, c.starts_on, c.ends_on, uid[c.owner], *origin)
            for c in campaigns
        ),
    )
    _write(
        CampaignCost,
        ("campaign", "month", "amount"),
        ((c.pk, month, amount) for c in campaigns for month, amount in c.costs),
    )
    _write(
        Account,
        ("id", "name", "domain", "industry", "employees", "country", "owner", "created_at",
         *imported),
        (
            (a.pk, a.name, a.domain, a.industry, a.employees, a.country, uid[a.owner],
             _dt(a.created), *origin)
            for a in accounts
        ),
    )  # fmt: skip
    _write(
        Lead,
        ("id", "email", "first_name", "last_name", "title", "account", "source", "owner",
         "status", "status_changed_at", "fit_grade", "engagement_score", "created_at",
         "updated_at", *imported),
        (
            (lead.pk, lead.email, lead.first_name, lead.last_name, lead.title,
             lead.account.pk if lead.account else None, cid[lead.source], uid[lead.owner],
             lead.status, _dt(lead.statuses[-1][0]), lead.fit_grade, lead.engagement,
             _dt(lead.created), now, *origin)
            for lead in leads
        ),
    )  # fmt: skip
    _write(
        LeadOwnerChange,
        ("lead", "from_owner", "to_owner", "changed_at", "changed_by"),
        (
            (lead.pk, uid[old], uid[new], _dt(at), uid[by])
            for lead in leads
            for at, old, new, by in lead.owners
        ),
    )
    _write(
        LeadStatusChange,
        ("lead", "from_status", "to_status", "changed_at", "changed_by", "reason"),
        (
            (lead.pk, old, new, _dt(at), uid[by], reason)
            for lead in leads
            for at, old, new, by, reason in lead.statuses
        ),
    )
    _write(
        Touchpoint,
        ("lead", "channel", "campaign", "kind", "occurred_at", *imported),
        (
            (lead.pk, cid[channel], campaign.pk if campaign else None, kind, _dt(at), *origin)
            for lead in leads
            for at, channel, kind, campaign in lead.touches
        ),
    )
    _write(
        Activity,
        ("lead", "user", "kind", "occurred_at", "outcome", "notes", *imported),
        (
            (lead.pk, uid[user], kind, _dt(at), outcome, "", *origin)
            for lead in leads
            for at, user, kind, outcome in lead.activities
        ),
    )
    _write(
        Opportunity,
        ("id", "name", "account", "primary_lead", "owner", "source", "amount", "stage",
         "created_at", "close_date", "closed_at", *imported),
        (
            (o.pk, o.name, o.account.pk, o.lead.pk if o.lead else None, uid[o.owner],
             cid[o.source], o.amount, o.stage, _dt(o.created), o.close_date,
             _dt(o.closed) if o.closed is not None else None, *origin)
            for o in opportunities
        ),
    )  # fmt: skip
    _write(
        OpportunityStageChange,
        ("opportunity", "from_stage", "to_stage", "changed_at"),
        ((o.pk, old, new, _dt(at)) for o in opportunities for at, old, new in o.stages),
    )
    # Explicit ids leave PostgreSQL's sequences behind; move them past the new rows.
    reset = connection.ops.sequence_reset_sql(no_style(), [Campaign, Account, Lead, Opportunity])
    if reset:
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)


# --- The public verbs ---------------------------------------------------------------------


def has_company_data() -> bool:
    models = (Lead, Account, Opportunity, Campaign, User, Channel, Team)
    return any(model.objects.exists() for model in models)


def erase_company() -> None:
    """Delete every CRM row, user and team (children first, so deletes stay cheap)."""
    from accord.attribution import models as attribution
    from accord.plan import models as plan
    from accord.qualify import models as qualify
    from accord.sla import models as sla

    with transaction.atomic():
        for model in (
            attribution.AttributionRun,
            attribution.Spend,
            attribution.UnitEconomics,
            sla.SlaAlert,
            sla.TickState,
            sla.FollowUpPolicy,
            sla.DayOff,
            sla.BusinessCalendar,
            plan.PlanApproval,
            plan.PlanGoal,
            plan.PlanRevision,
            plan.Plan,
            qualify.BacktestRun,
            qualify.Qualification,
            qualify.ScoringRun,
            qualify.LeadReview,
            qualify.DefinitionApproval,
            qualify.LeadDefinition,
            OpportunityStageChange,
            Opportunity,
            Touchpoint,
            Activity,
            LeadStatusChange,
            LeadOwnerChange,
            Lead,
            CampaignCost,
            Campaign,
            Account,
            Channel,
            User,
            Team,
        ):
            model.objects.all().delete()


def build_demo_company(
    *, seed: int = 7, scale: float = 1.0, months: int = 24, until: date
) -> DemoSummary:
    """Simulate the company and write it to an empty database in one transaction."""
    world = simulate(seed=seed, scale=scale, months=months, until=until)
    with transaction.atomic(), _large_sqlite_cache():
        _persist(world)
        from accord.qualify import demo as qualify_demo  # qualify builds on the CRM
        from accord.qualify import seed

        seed.install(world.start, world.until)
        qualify_demo.reviews_from_history()
        from accord.attribution import seed as attribution_seed
        from accord.plan import demo as plan_demo
        from accord.sla import seed as sla_seed

        plan_demo.install(world.until)
        sla_seed.install()
        attribution_seed.install(world.start, world.until)
        attribution_seed.queue_runs(world.until)
        counts = company_counts()
    return DemoSummary(
        seed=seed, scale=scale, months=months, start=world.start, until=world.until, counts=counts
    )
