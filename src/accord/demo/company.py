"""Northwind Analytics: the deterministic demo company.

Northwind Analytics sells a data platform to other businesses. `simulation.simulate()`
plays out its sales and marketing for `months` (24) months ending at the start of `until`
(UTC) with `random.Random(seed)` and nothing else, so the same seed, scale, months and until
always give the same rows; `build.build_demo_company()` writes them in one transaction
(`persist.py` holds the writes). No prints here: the commands `accord demo` and `accord
stats` talk to people.

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

import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from accord.crm.models import Activity, Campaign, Channel, Lead, Opportunity, Touchpoint
from accord.people.models import Team, User

COMPANY_NAME = "Northwind Analytics"
EMAIL_DOMAIN = "northwind-analytics.example"
DEMO_PASSWORD = "accord-demo"  # noqa: S105 - public on purpose: printed for demo logins

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


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


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
        return f"{ascii_slug(self.first_name)}.{ascii_slug(self.last_name)}@{EMAIL_DOMAIN}"


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

# Reps work Monday to Friday, 8:00 to 18:00 in their team's zone (AEs New York, SDRs Chicago).
REP_ZONES = {False: ZoneInfo("America/New_York"), True: ZoneInfo("America/Chicago")}
WORKDAY = (8, 18)

# Content. Northwind has tracked the collateral sales sends for its last CONTENT_DAYS days.
# Each AE has a habit (mean assets sent or shown per deal, log-normal around CONTENT_HABIT);
# an asset is picked among those published that day for the deal's stage, weighted by its
# hidden popularity, x PERSONA_FIT when it fits the buyer's persona, x OTHER_INDUSTRY when it
# is written for another industry. Content picked in the first 3-30% of a deal's cycle moves
# its win logit by the sum of the assets' hidden lifts (capped at CONTENT_EFFECT_CAP): the
# causal effect the demo's influence figures should find. Leads at accepted and SQL get
# sends too (PRE_DEAL_SENDS x the owner's habit a stage); those move nothing.
CONTENT_DAYS = 365
CONTENT_HABIT = (1.3, 0.6)  # median and sigma of an AE's sends a deal
PRE_DEAL_SENDS = 0.5
DECK_USE = (0.0, 0.9)  # the chance an AE logs a deck as used in a meeting, uniform
PERSONA_FIT = 2.5
OTHER_INDUSTRY = 0.3
CONTENT_EFFECT_CAP = 1.5
CONTENT_WINDOW = (0.03, 0.30)  # of the deal's cycle: before any loss can close it
PERSONAS = {  # the buyer's persona by seniority; deals without a lead talk to directors
    "c_level": ("executive", "economic_buyer"),
    "vp": ("economic_buyer", "executive"),
    "director": ("champion", "economic_buyer"),
    "manager": ("champion", "technical"),
    "individual": ("technical", "end_user"),
    "student": ("end_user",),
    "job_seeker": ("end_user",),
}
