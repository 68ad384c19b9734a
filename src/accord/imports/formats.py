"""What the columns of HubSpot, Salesforce and Accord exports mean.

Each kind of record has Accord's own field names. A format is a set of header aliases for
those fields; the format of a file is the one whose aliases match most of its header.
Values of lifecycle stages, lead statuses and deal stages are mapped onto Accord's with
the tables below, which a person can see and override (per source) before importing.
"""

import re
from dataclasses import dataclass, field
from enum import StrEnum

from accord.crm.kinds import Kind


class Format(StrEnum):
    ACCORD = "accord"
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: bool = False
    help: str = ""


# Accord's own format: these names are the column headers, documented in the README.
FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    Kind.LEADS: (
        FieldSpec("external_id", help="the id in the source system; empty means match on email"),
        FieldSpec("email", required=True),
        FieldSpec("first_name"),
        FieldSpec("last_name"),
        FieldSpec("title"),
        FieldSpec("company", help="account name; the account is created if new"),
        FieldSpec("company_domain"),
        FieldSpec("source", help="channel key or name, e.g. paid_search or Paid search"),
        FieldSpec("status", help="new, mql, accepted, sql, opportunity, customer, rejected, …"),
        FieldSpec(
            "lead_status",
            help="a secondary status (HubSpot's Lead Status) that refines a new or MQL lead",
        ),
        FieldSpec("mql_at", help="when the lead became an MQL; its follow-up clocks start then"),
        FieldSpec("status_reason", help="why the status changed; a rejection needs one"),
        FieldSpec("owner", help="a user's email, username or full name"),
        FieldSpec("created_at"),
    ),
    Kind.ACCOUNTS: (
        FieldSpec("external_id"),
        FieldSpec("name", required=True),
        FieldSpec("domain"),
        FieldSpec("industry"),
        FieldSpec("employees"),
        FieldSpec("country"),
        FieldSpec("owner"),
        FieldSpec("created_at"),
    ),
    Kind.OPPORTUNITIES: (
        FieldSpec("external_id"),
        FieldSpec("name", required=True),
        FieldSpec("account", required=True, help="account name or external id"),
        FieldSpec("amount", required=True),
        FieldSpec("stage", required=True),
        FieldSpec("created_at"),
        FieldSpec("close_date"),
        FieldSpec("owner"),
        FieldSpec("source"),
        FieldSpec("primary_lead", help="the lead's email"),
        FieldSpec("won", help="yes/no; with closed, overrides the stage"),
        FieldSpec("closed"),
        FieldSpec("pipeline"),
    ),
    Kind.CAMPAIGNS: (
        FieldSpec("external_id"),
        FieldSpec("name", required=True),
        FieldSpec("channel", required=True),
        FieldSpec("kind"),
        FieldSpec("starts_on", required=True),
        FieldSpec("ends_on"),
        FieldSpec("owner"),
        FieldSpec("month", help="with cost: the cost of this month (YYYY-MM)"),
        FieldSpec("cost", help="without month: the total, spread evenly over the months run"),
    ),
    Kind.TOUCHPOINTS: (
        FieldSpec("external_id"),
        FieldSpec("lead", required=True, help="the lead's email or external id"),
        FieldSpec("channel", required=True),
        FieldSpec("campaign"),
        FieldSpec("kind", required=True),
        FieldSpec("occurred_at", required=True),
    ),
    Kind.ACTIVITIES: (
        FieldSpec("external_id"),
        FieldSpec("lead", required=True, help="the lead's email or external id"),
        FieldSpec("user", help="who followed up: email, username or full name"),
        FieldSpec("kind", required=True),
        FieldSpec("occurred_at", required=True),
        FieldSpec("outcome"),
        FieldSpec("notes"),
    ),
}

# Header aliases per format and kind: Accord field -> column names seen in exports.
ALIASES: dict[Format, dict[Kind, dict[str, tuple[str, ...]]]] = {
    Format.HUBSPOT: {
        Kind.LEADS: {
            "external_id": ("Record ID", "Contact ID"),
            "email": ("Email",),
            "first_name": ("First Name",),
            "last_name": ("Last Name",),
            "title": ("Job Title",),
            "company": ("Company Name", "Associated Company"),
            "company_domain": ("Company Domain Name",),
            "status": ("Lifecycle Stage",),
            "lead_status": ("Lead Status",),
            "mql_at": ("Became a Marketing Qualified Lead Date",),
            "source": ("Original Source", "Original Traffic Source"),
            "created_at": ("Create Date", "Created Date"),
            "owner": ("Contact owner",),
        },
        Kind.ACCOUNTS: {
            "external_id": ("Record ID", "Company ID"),
            "name": ("Company name", "Name"),
            "domain": ("Company Domain Name", "Website URL"),
            "industry": ("Industry",),
            "employees": ("Number of Employees",),
            "country": ("Country/Region", "Country"),
            "created_at": ("Create Date",),
            "owner": ("Company owner",),
        },
        Kind.OPPORTUNITIES: {
            "external_id": ("Record ID", "Deal ID"),
            "name": ("Deal Name",),
            "amount": ("Amount",),
            "stage": ("Deal Stage",),
            "pipeline": ("Pipeline",),
            "close_date": ("Close Date",),
            "created_at": ("Create Date",),
            "owner": ("Deal owner",),
            "account": ("Associated Company", "Associated Company Name", "Company Name"),
            "primary_lead": ("Associated Contact", "Associated Contact Email"),
            "source": ("Original Source", "Original Traffic Source"),
        },
    },
    Format.SALESFORCE: {
        Kind.LEADS: {
            "external_id": ("Lead ID", "Id"),
            "first_name": ("First Name", "FirstName"),
            "last_name": ("Last Name", "LastName"),
            "title": ("Title",),
            "company": ("Company / Account", "Company"),
            "email": ("Email",),
            "source": ("Lead Source", "LeadSource"),
            "status": ("Lead Status", "Status"),
            "created_at": ("Created Date", "CreatedDate"),
            "owner": ("Lead Owner", "OwnerId"),
        },
        Kind.ACCOUNTS: {
            "external_id": ("Account ID", "Id"),
            "name": ("Account Name", "Name"),
            "domain": ("Website",),
            "industry": ("Industry",),
            "employees": ("Employees", "NumberOfEmployees"),
            "country": ("Billing Country", "BillingCountry"),
            "created_at": ("Created Date", "CreatedDate"),
            "owner": ("Account Owner", "OwnerId"),
        },
        Kind.OPPORTUNITIES: {
            "external_id": ("Opportunity ID", "Id"),
            "name": ("Opportunity Name", "Name"),
            "account": ("Account Name", "AccountId"),
            "amount": ("Amount",),
            "stage": ("Stage", "StageName"),
            "close_date": ("Close Date", "CloseDate"),
            "created_at": ("Created Date", "CreatedDate"),
            "owner": ("Opportunity Owner", "OwnerId"),
            "source": ("Lead Source", "LeadSource"),
            "won": ("Won", "IsWon"),
            "closed": ("Closed", "IsClosed"),
        },
        Kind.CAMPAIGNS: {
            "external_id": ("Campaign ID", "Id"),
            "name": ("Campaign Name", "Name"),
            "kind": ("Type",),
            "channel": ("Type",),
            "starts_on": ("Start Date", "StartDate"),
            "ends_on": ("End Date", "EndDate"),
            "cost": ("Actual Cost", "ActualCost"),
            "owner": ("Campaign Owner", "OwnerId"),
        },
    },
}
ALIASES[Format.ACCORD] = {
    kind: {spec.name: (spec.name,) for spec in specs} for kind, specs in FIELDS.items()
}


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass
class Mapping:
    """Which column feeds which Accord field, and how values translate."""

    format: Format
    columns: dict[str, int]  # field -> column index
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {seen: accord}

    def missing_required(self, kind: Kind) -> list[str]:
        return [s.name for s in FIELDS[kind] if s.required and s.name not in self.columns]


def match_columns(header: tuple[str, ...], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    index = {normalise(h): i for i, h in reversed(list(enumerate(header)))}
    columns = {}
    for name, names in aliases.items():
        for alias in names:
            if (i := index.get(normalise(alias))) is not None:
                columns[name] = i
                break
    return columns


def detect(kind: Kind, header: tuple[str, ...]) -> Format:
    """The format whose aliases name most of this header's columns (Accord's on a tie)."""
    best, best_hits = Format.ACCORD, -1
    for fmt in (Format.ACCORD, Format.HUBSPOT, Format.SALESFORCE):
        aliases = ALIASES[fmt].get(kind)
        if not aliases:
            continue
        hits = len(match_columns(header, aliases))
        if hits > best_hits:
            best, best_hits = fmt, hits
    return best


def mapping_for(kind: Kind, header: tuple[str, ...], fmt: Format | None = None) -> Mapping:
    fmt = fmt or detect(kind, header)
    aliases = ALIASES[fmt].get(kind) or ALIASES[Format.ACCORD][kind]
    return Mapping(fmt, match_columns(header, aliases), default_value_maps(kind, fmt))


# Value translations. Keys are normalised (see `normalise`); values are Accord's codes.
LEAD_STATUS_MAP = {
    Format.ACCORD: {},
    Format.HUBSPOT: {
        "subscriber": "new",
        "lead": "new",
        "other": "new",
        "marketingqualifiedlead": "mql",
        "marketing qualified lead": "mql",
        "salesqualifiedlead": "sql",
        "sales qualified lead": "sql",
        "opportunity": "opportunity",
        "customer": "customer",
        "evangelist": "customer",
    },
    Format.SALESFORCE: {
        "open not contacted": "new",
        "new": "new",
        "open": "new",
        "mql": "mql",
        "marketing qualified": "mql",
        "working contacted": "accepted",
        "sal": "accepted",
        "accepted": "accepted",
        "sql": "sql",
        "qualified": "sql",
        "closed converted": "opportunity",
        "closed not converted": "disqualified",
        "unqualified": "disqualified",
        "nurture": "recycled",
        "recycled": "recycled",
        "rejected": "rejected",
    },
}
# HubSpot's "Lead Status" says how far sales got with a lead; the lifecycle stage decides
# the status, and the lead status refines only a new or MQL lead (`LEAD_STATUS_REFINES`).
# KEEP_STAGE: the value says nothing the stage does not (New is HubSpot's default).
KEEP_STAGE = "keep"
HUBSPOT_LEAD_STATUS_MAP = {
    "new": KEEP_STAGE,
    "open": KEEP_STAGE,
    "in progress": "accepted",
    "attempted to contact": "accepted",
    "connected": "accepted",
    "open deal": "opportunity",
    "unqualified": "disqualified",
    "bad timing": "recycled",
}
LEAD_STATUS_REFINES = ("new", "mql")
DEAL_STAGE_MAP = {
    Format.ACCORD: {},
    Format.HUBSPOT: {
        "appointmentscheduled": "discovery",
        "appointment scheduled": "discovery",
        "qualifiedtobuy": "discovery",
        "qualified to buy": "discovery",
        "presentationscheduled": "demo",
        "presentation scheduled": "demo",
        "decisionmakerboughtin": "proposal",
        "decision maker bought in": "proposal",
        "contractsent": "negotiation",
        "contract sent": "negotiation",
        "closedwon": "won",
        "closed won": "won",
        "closedlost": "lost",
        "closed lost": "lost",
    },
    Format.SALESFORCE: {
        "prospecting": "discovery",
        "qualification": "discovery",
        "needs analysis": "discovery",
        "value proposition": "demo",
        "id decision makers": "demo",
        "perception analysis": "demo",
        "proposal price quote": "proposal",
        "proposal": "proposal",
        "negotiation review": "negotiation",
        "negotiation": "negotiation",
        "closed won": "won",
        "closed lost": "lost",
    },
}


def default_value_maps(kind: Kind, fmt: Format) -> dict[str, dict[str, str]]:
    if kind == Kind.LEADS:
        maps = {"status": dict(LEAD_STATUS_MAP[fmt])}
        if fmt == Format.HUBSPOT:
            maps["lead_status"] = dict(HUBSPOT_LEAD_STATUS_MAP)
        return maps
    if kind == Kind.OPPORTUNITIES:
        return {"stage": dict(DEAL_STAGE_MAP[fmt])}
    return {}
