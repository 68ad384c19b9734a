"""Idempotent upserts of CRM records, shared by the CSV import and the bulk API.

Items are dicts of Accord field names to raw values (strings from a CSV, JSON values from
the API). Each item is validated on its own; a bad item is rejected with its errors and the
others go on. Items are matched to stored rows on `(source_system, external_id)`, or on a
natural key when there is no id (a lead's normalised email, an account's name...), so
running the same input twice creates and changes nothing the second time.

The caller owns the transaction: wrap a whole import in one, so it lands whole or not at
all. Within it, items are handled in batches with set-based look-ups and bulk writes.
"""

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from accord.core.bulk import OneOf, by_external_id, insert_rows
from accord.crm.imports.formats import normalise
from accord.crm.imports.values import (
    BadValue,
    DateOrder,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
)
from accord.crm.kinds import Kind
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Channel,
    Lead,
    LeadFieldChange,
    LeadOwnerChange,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)
from accord.people.models import User
from accord.qualify.scoring import score_after_commit

BATCH_SIZE = 2000
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True)
class ItemError:
    column: str
    value: str
    message: str

    def __post_init__(self):
        # The value goes back into reports that PostgreSQL stores as JSON, which cannot
        # hold a NUL character: it is shown as the symbol for one.
        if isinstance(self.value, str) and "\x00" in self.value:
            object.__setattr__(self, "value", self.value.replace("\x00", "\u2400"))


@dataclass
class ItemResult:
    index: int
    status: str
    errors: list[ItemError] = field(default_factory=list)


class Rejected(Exception):
    def __init__(self, errors: list[ItemError]):
        self.errors = errors


@dataclass
class Options:
    source_system: str
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    date_order: DateOrder | None = None
    tz: tzinfo = field(default_factory=timezone.get_current_timezone)
    actor: User | None = None
    via: str = "import"


class Parser:
    """Reads one item's fields, collecting every error instead of stopping at the first."""

    def __init__(self, item: dict[str, Any], options: Options, horizon: datetime | None = None):
        self.item, self.options, self.errors = item, options, []
        # Moments later than this are in the future; one batch shares it (see `moment`).
        self.horizon = horizon

    def raw(self, name: str) -> Any:
        value = self.item.get(name)
        return value.strip() if isinstance(value, str) else value

    def present(self, name: str) -> bool:
        return self.raw(name) not in (None, "")

    def _fail(self, name: str, message: str) -> None:
        self.errors.append(ItemError(name, str(self.item.get(name, ""))[:200], message))

    def text(self, name: str, max_length: int, required: bool = False) -> str | None:
        value = self.item.get(name)
        if type(value) is str:  # the common case, without the general checks below
            value = value.strip()
            if value and len(value) <= max_length and "\x00" not in value:
                return value
        elif isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if required:
                self._fail(name, f"{name} is required")
            return None
        value = str(value)
        if "\x00" in value:  # PostgreSQL cannot store it; nobody means it
            self._fail(name, "contains a NUL character")
            return None
        if len(value) > max_length:
            self._fail(name, f"longer than {max_length} characters")
            return None
        return value

    def email(self, name: str, required: bool = False) -> str | None:
        value = self.text(name, 254, required)
        if value is None:
            return None
        value = value.lower()
        try:
            validate_email(value)
        except ValidationError:
            self._fail(name, f"“{value}” is not an email address")
            return None
        return value

    def _parsed(self, name: str, parse, required: bool = False):
        value = self.raw(name)
        if value in (None, ""):
            if required:
                self._fail(name, f"{name} is required")
            return None
        try:
            return parse(value)
        except BadValue as error:
            self._fail(name, str(error))
            return None

    def moment(self, name: str, required: bool = False) -> datetime | None:
        value = self.item.get(name)
        if type(value) is str:  # the common case, ISO 8601, without the general path below
            text = value.strip()
            if len(text) > 10 and text[4] == "-":
                try:
                    value = datetime.fromisoformat(text)
                except ValueError:
                    pass
                else:
                    if value.tzinfo is None:
                        value = value.replace(tzinfo=self.options.tz)
                    if self.horizon is None:
                        self.horizon = timezone.now() + timedelta(days=1)
                    if value > self.horizon:
                        self._fail(name, f"{value:%Y-%m-%d %H:%M} is in the future")
                        return None
                    return value

        def parse(value):
            if isinstance(value, str) and len(value) > 10 and value[4] == "-":
                try:
                    value = datetime.fromisoformat(value)  # fast path for ISO 8601
                except ValueError:
                    pass
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    return value.replace(tzinfo=self.options.tz)
                return value
            return parse_datetime(str(value), self.options.tz, self.options.date_order)

        if self.horizon is None:
            self.horizon = timezone.now() + timedelta(days=1)
        value = self._parsed(name, parse, required)
        if value and value > self.horizon:
            self._fail(name, f"{value:%Y-%m-%d %H:%M} is in the future")
            return None
        return value

    def day(self, name: str, required: bool = False) -> date | None:
        def parse(value):
            if isinstance(value, date):
                return value if not isinstance(value, datetime) else value.date()
            return parse_date(str(value), self.options.date_order)

        return self._parsed(name, parse, required)

    def month(self, name: str) -> date | None:
        """A calendar month as YYYY-MM (or any date in it): its first day."""

        def parse(value):
            text = str(value).strip()
            if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
                year, month = int(match.group(1)), int(match.group(2))
                if not 1 <= month <= 12:
                    raise BadValue(f"“{text}” is not a month (use YYYY-MM)")
                return date(year, month, 1)
            return parse_date(text, self.options.date_order).replace(day=1)

        return self._parsed(name, parse)

    def amount(self, name: str, required: bool = False) -> Decimal | None:
        def parse(value):
            if isinstance(value, bool):
                raise BadValue(f"“{value}” is not an amount of money")
            return Decimal(str(value)) if isinstance(value, int | float) else parse_amount(value)

        value = self._parsed(name, parse, required)
        if value is not None and value < 0:
            self._fail(name, "an amount cannot be negative")
            return None
        if value is not None and value > MAX_AMOUNT:
            self._fail(name, "the amount is implausibly large")
            return None
        return value.quantize(Decimal("0.01")) if value is not None else None

    def integer(self, name: str) -> int | None:
        def parse(value):
            return (
                value
                if isinstance(value, int) and not isinstance(value, bool)
                else parse_int(str(value))
            )

        value = self._parsed(name, parse)
        if value is not None and not 0 <= value <= 10_000_000:
            self._fail(name, f"{value} is out of range")
            return None
        return value

    def flag(self, name: str) -> bool | None:
        return self._parsed(name, lambda v: v if isinstance(v, bool) else parse_bool(str(v)))

    def choice(self, name: str, choices, required: bool = False) -> str | None:
        """A coded value: Accord's own code, its label, or a mapped source value."""
        value = self.raw(name)
        if value in (None, ""):
            if required:
                self._fail(name, f"{name} is required")
            return None
        mapped = self.options.value_maps.get(name, {})
        if not mapped:
            exact = _exact_codes(choices)
            if value in exact:
                return exact[value]  # the common case: already Accord's code or label
        codes = _codes(choices)
        if value in codes:
            return codes[value]
        seen = normalise(str(value))
        for key in (seen, seen.replace(" ", ""), seen.replace(" ", "_")):
            if key in mapped:
                return mapped[key]
            if key in codes:
                return codes[key]
        known = ", ".join(choices.values)
        self._fail(name, f"unknown {name} “{value}” (known: {known}; or map it)")
        return None

    def finish(self) -> None:
        if self.errors:
            raise Rejected(self.errors)


# Source names that CRM exports use for the standard channels (normalised, "_" for spaces).
CHANNEL_ALIASES = {
    "direct_traffic": "direct",
    "referrals": "referral",
    "employee_referral": "referral",
    "word_of_mouth": "referral",
    "email_marketing": "email_nurture",
    "email": "email_nurture",
    "social_media": "paid_social",
    "organic_social": "paid_social",
    "offline_sources": "events",
    "trade_show": "events",
    "seminar_internal": "events",
    "seminar_partner": "events",
    "partner_referral": "partner",
    "advertisement": "paid_search",
    "purchased_list": "content_syndication",
    "outbound": "outbound_sdr",
    "cold_call": "outbound_sdr",
}


@functools.cache
def _codes(choices) -> dict[str, str]:
    codes = {normalise(code): code for code in choices.values}
    codes.update({normalise(label): code for code, label in choices.choices})
    return codes


@functools.cache
def _exact_codes(choices) -> dict[str, str]:
    """Each code and label as written, to the code `Parser.choice` reads it as when no value
    map applies: the same answers without normalising the common values item by item."""
    codes = _codes(choices)
    exact = {}
    for value in (*choices.values, *(label for _, label in choices.choices)):
        if value in codes:
            exact[value] = codes[value]
            continue
        seen = normalise(str(value))
        for key in (seen, seen.replace(" ", ""), seen.replace(" ", "_")):
            if key in codes:
                exact[value] = codes[key]
                break
    return exact


class Resolver:
    """Finds (or creates) the people, channels, accounts and campaigns items refer to.

    Look-ups are cached for the whole run; creations are reported so nothing is silent.
    """

    def __init__(self, options: Options):
        self.options = options
        self.created: dict[str, list[str]] = {"owners": [], "channels": [], "accounts": []}
        self._users: dict[str, User | None] = {}
        self._channels: dict[str, Channel] = {}
        self._channels_loaded = False
        self._channel_refs: dict[str, Channel] = {}
        self._accounts: dict[str, Account] | None = None
        self._pending_accounts: list[Account] = []
        self._campaigns: dict[str, Campaign] | None = None
        self._leads: dict[str, int] = {}
        self.lead_created_at: dict[int, datetime] = {}
        self._password = make_password(None)

    def user(self, value: str | None) -> User | None:
        if not value:
            return None
        key = value.strip().lower()
        if key in self._users:
            return self._users[key]
        parts = key.split()
        match = Q(email__iexact=key) | Q(username__iexact=key)
        if len(parts) >= 2:
            match |= Q(first_name__iexact=parts[0], last_name__iexact=" ".join(parts[1:]))
        user = User.objects.filter(match).order_by("id").first()
        if user is None:
            user = self._placeholder_user(value.strip())
        self._users[key] = user
        return user

    def _placeholder_user(self, value: str) -> User:
        # An owner the source knows but Accord does not yet: keep the assignment as an
        # inactive user an admin can activate, rather than dropping it.
        email = value.lower() if "@" in value else ""
        first, _, last = ("" if email else value).partition(" ")
        base = slugify(email.split("@")[0] if email else value)[:140] or "owner"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        user = User.objects.create(
            username=username,
            email=email,
            first_name=first[:150],
            last_name=last[:150],
            is_active=False,
            password=self._password,
            role=User.Role.MEMBER,
        )
        self.created["owners"].append(value)
        return user

    def channel(self, value: str | None) -> Channel | None:
        if not value:
            return None
        if value in self._channel_refs:
            return self._channel_refs[value]  # this very reference seen before
        channel = self._channel(value)
        self._channel_refs[value] = channel
        return channel

    def _channel(self, value: str) -> Channel:
        key = normalise(value).replace(" ", "_")
        if key in self._channels:
            return self._channels[key]
        if not self._channels_loaded:
            self._channels_loaded = True
            for channel in Channel.objects.all():
                self._channels[channel.key] = channel
                self._channels.setdefault(normalise(channel.name).replace(" ", "_"), channel)
            if key in self._channels:
                return self._channels[key]
        alias = CHANNEL_ALIASES.get(key)
        if alias in self._channels:
            self._channels[key] = self._channels[alias]
            return self._channels[key]
        channel = Channel.objects.create(key=key[:40] or "unknown", name=value.strip()[:80])
        self._channels[key] = channel
        self.created["channels"].append(value.strip())
        return channel

    def _load_accounts(self) -> dict[str, Account]:
        if self._accounts is None:
            self._accounts = {}
            for account in Account.objects.only("id", "name", "external_id", "source_system"):
                self._accounts.setdefault(account.name.lower(), account)
                if account.external_id:
                    self._accounts[f"#{account.source_system}#{account.external_id}"] = account
        return self._accounts

    def account(
        self, name: str | None, *, domain: str | None = None, create: bool = True, defer=False
    ):
        """The account of that name or id, created if new. With `defer`, a new account is
        saved with the others of its batch by `flush_accounts()`, before any row uses it."""
        if not name:
            return None
        accounts = self._load_accounts()
        found = accounts.get(f"#{self.options.source_system}#{name}") or accounts.get(name.lower())
        if found or not create:
            return found
        account = Account(
            name=name[:200],
            domain=(domain or "")[:200],
            created_at=timezone.now(),
            source_system=self.options.source_system,
        )
        if defer:
            self._pending_accounts.append(account)
        else:
            account.save()
        self.remember_account(account)
        self.created["accounts"].append(name)
        return account

    def flush_accounts(self) -> None:
        if self._pending_accounts:
            Account.objects.bulk_create(self._pending_accounts, batch_size=BATCH_SIZE)
            self._pending_accounts = []

    def remember_account(self, account: Account) -> None:
        accounts = self._load_accounts()
        accounts.setdefault(account.name.lower(), account)
        if account.external_id:
            accounts[f"#{account.source_system}#{account.external_id}"] = account

    def campaign(self, value: str | None) -> Campaign | None:
        if not value:
            return None
        if self._campaigns is None:
            self._campaigns = {}
            for c in Campaign.objects.all():
                self._campaigns.setdefault(c.name.lower(), c)
                if c.external_id:
                    self._campaigns[f"#{c.source_system}#{c.external_id}"] = c
        return self._campaigns.get(f"#{self.options.source_system}#{value}") or self._campaigns.get(
            value.lower()
        )

    def prefetch_leads(self, refs: Iterable, *, created_at: bool = False) -> None:
        """Look up a batch's lead references in two queries instead of one per item; with
        `created_at`, also when each lead was created (`lead_created_at`), which costs a
        timestamp conversion per lead, so only handlers that check it ask for it."""
        emails, ids = set(), set()
        for ref in refs:
            if isinstance(ref, str) and ref.strip():
                ref = ref.strip()
                (emails if "@" in ref else ids).add(ref.lower() if "@" in ref else ref)
        self._leads, self.lead_created_at = {}, {}
        columns = ("id", "created_at") if created_at else ("id",)
        by_email = Lead.objects.filter(OneOf(F("email"), emails)).order_by("-id")
        by_id = by_external_id(Lead, self.options.source_system, ids)
        for key, rows in (("email", by_email), ("external_id", by_id)):
            for key_value, lead_id, *created in rows.values_list(key, *columns):
                self._leads[key_value] = lead_id
                if created:
                    self.lead_created_at[lead_id] = created[0]

    def lead(self, value: str | None):
        """The lead's id for an email or external id (None if there is no such lead)."""
        if not value:
            return None
        key = value.lower() if "@" in value else value
        if key in self._leads:
            return self._leads[key]
        match = (
            Lead.objects.filter(email=key)
            if "@" in value
            else by_external_id(Lead, self.options.source_system, [value])
        )
        found = match.order_by("id").values_list("id", "created_at").first()
        if found is None:
            return None
        self._leads[key], self.lead_created_at[found[0]] = found
        return found[0]


class Handler:
    """One kind of record: how to parse it, find its stored row, and write it."""

    model: type
    compare: tuple[str, ...] = ()  # fields an update may change
    lead_field = ""  # the item field naming a lead, looked up for a whole batch at once
    lead_created_at = False  # whether parse() reads resolver.lead_created_at
    # Rows nothing else refers to right away are inserted with one executemany, without
    # building model instances (the ORM's bulk_create costs several times more per row).
    fast_insert = False

    def __init__(self, options: Options, resolver: Resolver):
        self.options, self.resolve = options, resolver
        self.now = timezone.now()
        self._defaults: dict | None = None

    def parse(self, p: Parser) -> dict:
        raise NotImplementedError

    def natural_key(self, record: dict):
        """The key used when there is no external id (None: always create)."""
        return None

    def find(self, records: list[dict]) -> dict:
        """Stored rows for these records, by key."""
        found = {}
        ids = [r["external_id"] for r in records if r.get("external_id")]
        if ids:
            rows = by_external_id(self.model, self.options.source_system, ids)
            found.update({("id", row.external_id): row for row in rows})
        return found

    def key(self, record: dict):
        if record.get("external_id"):
            return ("id", record["external_id"])
        natural = self.natural_key(record)
        return ("natural", natural) if natural is not None else None

    def new(self, record: dict):
        fields = {k: v for k, v in record.items() if not k.startswith("_")}
        return self.model(source_system=self.options.source_system, **fields)

    def changes(self, row, record: dict) -> dict:
        """{field: (before, after)} for the fields the item gives that differ."""
        changed = {}
        for name in self.compare:
            if name in record and record[name] is not None:
                after = record[name]
                field = self.model._meta.get_field(name)
                if field.is_relation and name == field.name:  # a related row, not its id
                    # The stored id, not the related row: reading that would cost a query
                    # per item when a batch is sent again (the related row is loaded only
                    # when it really changed, for the history).
                    if getattr(row, field.attname) != after.pk:
                        changed[name] = (getattr(row, name), after)
                elif getattr(row, name) != after:
                    changed[name] = (getattr(row, name), after)
        return changed

    def new_fast(self, record: dict) -> SimpleNamespace:
        """A new row as plain attributes, for `insert_rows`; defaults as the model's."""
        if self._defaults is None:
            self._defaults = {"pk": None, "source_system": self.options.source_system}
            for f in self.model._meta.concrete_fields:
                if f.primary_key or f.name == "source_system":
                    continue
                if f.has_default():
                    self._defaults[f.attname] = f.get_default()
                elif not f.null and f.get_internal_type() in ("CharField", "TextField"):
                    self._defaults[f.attname] = ""
        row = SimpleNamespace(**self._defaults)
        row.__dict__.update({name: value for name, value in record.items() if value is not None})
        return row

    def after_update(self, row, changed: dict) -> list[str]:
        """Refresh fields derived from the changed ones; returns their names."""
        return []

    def saved(self, created: list, updated: list[tuple[Any, dict]]) -> None:
        """Side effects after a batch is written (history rows)."""

    def scored_leads(self, created: list, updated: list[tuple[Any, dict]]) -> set[int]:
        """Leads whose score the batch may have changed (scored after the commit)."""
        return set()


def _display(value) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


class LeadHandler(Handler):
    model = Lead

    def scored_leads(self, created, updated):
        return {lead.pk for lead in created} | {lead.pk for lead, _ in updated}

    compare = ("email", "first_name", "last_name", "title", "account", "source", "owner", "status")

    def parse(self, p: Parser) -> dict:
        record = {
            "external_id": p.text("external_id", 120) or "",
            "email": p.email("email", required=True),
            "first_name": p.text("first_name", 80),
            "last_name": p.text("last_name", 80),
            "title": p.text("title", 120),
            "source": self.resolve.channel(p.text("source", 80)),
            "owner": self.resolve.user(p.text("owner", 150)),
            "created_at": p.moment("created_at"),
        }
        status = p.choice("status", Lead.Status)
        refined = p.choice("lead_status", Lead.Status) if p.present("lead_status") else None
        if "lead_status" in self.options.value_maps and refined is None:
            p.errors = [e for e in p.errors if e.column != "lead_status"]  # unmapped: ignore
        record["status"] = refined or status
        company = p.text("company", 200)
        domain = p.text("company_domain", 200)
        p.finish()
        record["account"] = self.resolve.account(company, domain=domain, defer=True)
        return record

    def natural_key(self, record):
        return record["email"]

    def find(self, records):
        found = super().find(records)
        emails = [r["email"] for r in records if not r.get("external_id")]
        if emails:
            for lead in Lead.objects.filter(OneOf(F("email"), emails)).order_by("-id"):
                found[("natural", lead.email)] = lead
        return found

    def new(self, record):
        created_at = record["created_at"] or self.now
        fields = {k: v for k, v in record.items() if v is not None}
        fields.update(created_at=created_at, status_changed_at=created_at)
        fields.setdefault("status", Lead.Status.NEW)
        for name in ("first_name", "last_name", "title"):
            fields.setdefault(name, "")
        return Lead(source_system=self.options.source_system, **fields)

    def saved(self, created, updated):
        actor, via = self.options.actor, self.options.via
        statuses = [
            LeadStatusChange(
                lead=lead,
                from_status="",
                to_status=lead.status,
                changed_at=lead.created_at,
                changed_by=actor,
                reason=via[:200],
            )
            for lead in created
        ]
        owners = [
            LeadOwnerChange(
                lead=lead, to_owner=lead.owner, changed_at=lead.created_at, changed_by=actor
            )
            for lead in created
            if lead.owner_id
        ]
        fields = []
        for lead, changed in updated:
            if "status" in changed:
                statuses.append(
                    LeadStatusChange(
                        lead=lead,
                        from_status=changed["status"][0],
                        to_status=lead.status,
                        changed_at=self.now,
                        changed_by=actor,
                        reason=via[:200],
                    )
                )
            if "owner" in changed:
                owners.append(
                    LeadOwnerChange(
                        lead=lead,
                        from_owner=changed["owner"][0],
                        to_owner=lead.owner,
                        changed_at=self.now,
                        changed_by=actor,
                    )
                )
            rest = {
                k: [_display(b), _display(a)]
                for k, (b, a) in changed.items()
                if k not in ("status", "owner")
            }
            if rest:
                fields.append(
                    LeadFieldChange(
                        lead=lead,
                        changed_at=self.now,
                        changed_by=actor,
                        via=via[:80],
                        changes=rest,
                    )
                )
        # History rows need no ids back: one executemany each, without the ORM's per-object
        # SQL assembly (most of a large import's time otherwise).
        insert_rows(LeadStatusChange, statuses)
        insert_rows(LeadOwnerChange, owners)
        LeadFieldChange.objects.bulk_create(fields, batch_size=BATCH_SIZE)

    def after_update(self, lead, changed):
        if "status" in changed:
            lead.status_changed_at = self.now
            return ["status_changed_at"]
        return []


class AccountHandler(Handler):
    model = Account
    compare = ("name", "domain", "industry", "employees", "country", "owner")

    def parse(self, p):
        country = p.text("country", 80)
        record = {
            "external_id": p.text("external_id", 120) or "",
            "name": p.text("name", 200, required=True),
            "domain": p.text("domain", 200),
            "industry": p.text("industry", 80),
            "employees": p.integer("employees"),
            "country": _country(country, p),
            "owner": self.resolve.user(p.text("owner", 150)),
            "created_at": p.moment("created_at"),
        }
        p.finish()
        return record

    def natural_key(self, record):
        return record["name"].lower()

    def find(self, records):
        found = super().find(records)
        names = [r["name"] for r in records if not r.get("external_id")]
        if names:
            for account in Account.objects.filter(name__in=names).order_by("-id"):
                found[("natural", account.name.lower())] = account
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None}
        fields.setdefault("created_at", self.now)
        for name in ("domain", "industry", "country"):
            fields.setdefault(name, "")
        return Account(source_system=self.options.source_system, **fields)

    def saved(self, created, updated):
        for account in created:
            self.resolve.remember_account(account)


_COUNTRIES = {
    "united states": "US",
    "usa": "US",
    "united states of america": "US",
    "us": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "netherlands": "NL",
    "canada": "CA",
    "australia": "AU",
    "sweden": "SE",
    "spain": "ES",
    "italy": "IT",
    "ireland": "IE",
    "switzerland": "CH",
    "austria": "AT",
    "belgium": "BE",
    "denmark": "DK",
    "norway": "NO",
    "finland": "FI",
    "poland": "PL",
    "japan": "JP",
    "india": "IN",
    "brazil": "BR",
    "singapore": "SG",
    "mexico": "MX",
    "new zealand": "NZ",
}


def _country(value: str | None, p: Parser) -> str | None:
    if not value:
        return None
    if len(value) == 2 and value.isalpha():
        return value.upper()
    code = _COUNTRIES.get(normalise(value))
    if code is None:
        p._fail("country", f"“{value}” is not a country I know; use a two-letter code")
    return code


class OpportunityHandler(Handler):
    model = Opportunity
    lead_field = "primary_lead"
    compare = (
        "name",
        "account",
        "amount",
        "stage",
        "close_date",
        "owner",
        "source",
        "primary_lead_id",
    )

    def parse(self, p):
        record = {
            "external_id": p.text("external_id", 120) or "",
            "name": p.text("name", 200, required=True),
            "amount": p.amount("amount", required=True),
            "stage": p.choice("stage", Opportunity.Stage, required=True),
            "created_at": p.moment("created_at"),
            "close_date": p.day("close_date"),
            "owner": self.resolve.user(p.text("owner", 150)),
            "source": self.resolve.channel(p.text("source", 80)),
        }
        won, closed = p.flag("won"), p.flag("closed")
        if closed is True and won is not None:
            record["stage"] = Opportunity.Stage.WON if won else Opportunity.Stage.LOST
        account_name = p.text("account", 200, required=True)
        lead_ref = p.text("primary_lead", 254)
        p.finish()
        account = self.resolve.account(account_name)
        record["account"] = account
        record["primary_lead_id"] = self.resolve.lead(lead_ref)
        if lead_ref and record["primary_lead_id"] is None:
            raise Rejected([ItemError("primary_lead", lead_ref, "no lead with this email or id")])
        return record

    def natural_key(self, record):
        return (record["account"].pk, record["name"].lower())

    def find(self, records):
        found = super().find(records)
        plain = [r for r in records if not r.get("external_id")]
        if plain:
            rows = Opportunity.objects.filter(
                account__in={r["account"].pk for r in plain}, name__in={r["name"] for r in plain}
            )
            for opp in rows:
                found[("natural", (opp.account_id, opp.name.lower()))] = opp
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None}
        fields.setdefault("created_at", self.now)
        fields.setdefault("close_date", (fields["created_at"] + timedelta(days=90)).date())
        if fields["stage"] in Opportunity.CLOSED_STAGES:
            fields["closed_at"] = timezone.make_aware(
                datetime.combine(fields["close_date"], datetime.min.time()), self.options.tz
            )
        return Opportunity(source_system=self.options.source_system, **fields)

    def after_update(self, opp, changed):
        if "stage" in changed and opp.stage in Opportunity.CLOSED_STAGES and not opp.closed_at:
            opp.closed_at = self.now
            return ["closed_at"]
        return []

    def saved(self, created, updated):
        rows = [
            OpportunityStageChange(opportunity=o, to_stage=o.stage, changed_at=o.created_at)
            for o in created
        ]
        rows += [
            OpportunityStageChange(
                opportunity=o,
                from_stage=changed["stage"][0],
                to_stage=o.stage,
                changed_at=self.now,
            )
            for o, changed in updated
            if "stage" in changed
        ]
        OpportunityStageChange.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last and len(months) < 240:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


class CampaignHandler(Handler):
    model = Campaign
    compare = ("name", "channel", "kind", "starts_on", "ends_on", "owner")

    def parse(self, p):
        record = {
            "external_id": p.text("external_id", 120) or "",
            "name": p.text("name", 200, required=True),
            "channel": self.resolve.channel(p.text("channel", 80)),
            "kind": p.choice("kind", Campaign.Kind) if p.present("kind") else None,
            "starts_on": p.day("starts_on", required=True),
            "ends_on": p.day("ends_on"),
            "owner": self.resolve.user(p.text("owner", 150)),
            "_month": p.month("month") if p.present("month") else None,
            "_cost": p.amount("cost"),
        }
        if record["kind"] is None:
            p.errors = [e for e in p.errors if e.column != "kind"]  # a free-text type is fine
        if record["channel"] is None:
            p._fail("channel", "channel is required")
        if record["ends_on"] and record["starts_on"] and record["ends_on"] < record["starts_on"]:
            p._fail("ends_on", "the campaign ends before it starts")
        if record["_month"] and record["_cost"] is None:
            p._fail("cost", "a month needs its cost")
        p.finish()
        return record

    def natural_key(self, record):
        return record["name"].lower()

    def find(self, records):
        found = super().find(records)
        names = [r["name"] for r in records if not r.get("external_id")]
        if names:
            for c in Campaign.objects.filter(name__in=names):
                found[("natural", c.name.lower())] = c
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None and not k.startswith("_")}
        return Campaign(source_system=self.options.source_system, **fields)

    def costs_changed(self, campaign, record) -> bool:
        cost, month = record["_cost"], record["_month"]
        if cost is None:
            return False
        if month:
            months = [month.replace(day=1)]
            amounts = [cost]
        else:
            months = _months(campaign.starts_on, campaign.ends_on or campaign.starts_on)
            share = (cost / len(months)).quantize(Decimal("0.01"))
            amounts = [share] * (len(months) - 1) + [cost - share * (len(months) - 1)]
        current = dict(
            CampaignCost.objects.filter(campaign=campaign, month__in=months).values_list(
                "month", "amount"
            )
        )
        wanted = dict(zip(months, amounts, strict=True))
        if current == wanted:
            return False
        for m, amount in wanted.items():
            CampaignCost.objects.update_or_create(
                campaign=campaign, month=m, defaults={"amount": amount}
            )
        return True


class TouchpointHandler(Handler):
    model = Touchpoint
    lead_field = "lead"
    fast_insert = True
    compare = ("channel", "campaign", "kind", "occurred_at")

    def scored_leads(self, created, updated):
        return {row.lead_id for row in created} | {row.lead_id for row, _ in updated}

    def parse(self, p):
        lead_ref = p.text("lead", 254, required=True)
        record = {
            "external_id": p.text("external_id", 120) or "",
            "channel": self.resolve.channel(p.text("channel", 80)),
            "kind": p.choice("kind", Touchpoint.Kind, required=True),
            "occurred_at": p.moment("occurred_at", required=True),
        }
        campaign_ref = p.text("campaign", 200)
        if record["channel"] is None and not p.present("channel"):
            p._fail("channel", "channel is required")
        p.finish()
        record["lead_id"] = self.resolve.lead(lead_ref)
        if record["lead_id"] is None:
            raise Rejected([ItemError("lead", lead_ref, "no lead with this email or id")])
        record["campaign"] = self.resolve.campaign(campaign_ref)
        if campaign_ref and record["campaign"] is None:
            raise Rejected([ItemError("campaign", campaign_ref, "no campaign with this name")])
        return record

    def natural_key(self, record):
        return (record["lead_id"], record["channel"].pk, record["kind"], record["occurred_at"])

    def find(self, records):
        found = super().find(records)
        plain = [r for r in records if not r.get("external_id")]
        if plain:
            rows = Touchpoint.objects.filter(
                lead__in={r["lead_id"] for r in plain},
                occurred_at__in={r["occurred_at"] for r in plain},
            )
            for t in rows:
                found[("natural", (t.lead_id, t.channel_id, t.kind, t.occurred_at))] = t
        return found


class ActivityHandler(Handler):
    model = Activity
    lead_field = "lead"
    fast_insert = True
    compare = ("kind", "occurred_at", "outcome", "notes", "user")
    lead_created_at = True

    def parse(self, p):
        lead_ref = p.text("lead", 254, required=True)
        record = {
            "external_id": p.text("external_id", 120) or "",
            "user": self.resolve.user(p.text("user", 150)),
            "kind": p.choice("kind", Activity.Kind, required=True),
            "occurred_at": p.moment("occurred_at", required=True),
            "outcome": p.text("outcome", 120),
            "notes": p.text("notes", 4000),
        }
        p.finish()
        record["lead_id"] = self.resolve.lead(lead_ref)
        if record["lead_id"] is None:
            raise Rejected([ItemError("lead", lead_ref, "no lead with this email or id")])
        lead_created_at = self.resolve.lead_created_at[record["lead_id"]]
        if record["occurred_at"] < lead_created_at - timedelta(days=1):
            raise Rejected(
                [ItemError("occurred_at", str(p.raw("occurred_at")), "before the lead existed")]
            )
        return record

    def natural_key(self, record):
        user = record["user"].pk if record["user"] else None
        return (record["lead_id"], record["kind"], record["occurred_at"], user)

    def find(self, records):
        found = super().find(records)
        plain = [r for r in records if not r.get("external_id")]
        if plain:
            rows = Activity.objects.filter(
                lead__in={r["lead_id"] for r in plain},
                occurred_at__in={r["occurred_at"] for r in plain},
            )
            for a in rows:
                found[("natural", (a.lead_id, a.kind, a.occurred_at, a.user_id))] = a
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None}
        fields.setdefault("outcome", "")
        fields.setdefault("notes", "")
        return Activity(source_system=self.options.source_system, **fields)


HANDLERS: dict[Kind, type[Handler]] = {
    Kind.LEADS: LeadHandler,
    Kind.ACCOUNTS: AccountHandler,
    Kind.OPPORTUNITIES: OpportunityHandler,
    Kind.CAMPAIGNS: CampaignHandler,
    Kind.TOUCHPOINTS: TouchpointHandler,
    Kind.ACTIVITIES: ActivityHandler,
}


class Upserter:
    def __init__(self, kind: Kind, options: Options, batch_size: int = BATCH_SIZE):
        """`batch_size` items share their look-ups and writes; a caller holding all its
        items already (the API's request) can make it one batch."""
        self.kind = Kind(kind)
        self.options = options
        self.batch_size = batch_size
        self.resolver = Resolver(options)
        self.handler = HANDLERS[self.kind](options, self.resolver)

    def process(self, items: Iterable[tuple[int, dict]]) -> Iterator[ItemResult]:
        """Upsert items in batches; yields one result per item, in order."""
        batch: list[tuple[int, dict]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, items: list[tuple[int, dict]]) -> list[ItemResult]:
        handler = self.handler
        results: list[ItemResult] = []
        parsed: list[tuple[ItemResult, dict]] = []
        if handler.lead_field:
            self.resolver.prefetch_leads(
                (item.get(handler.lead_field) for _, item in items),
                created_at=handler.lead_created_at,
            )
        horizon = timezone.now() + timedelta(days=1)  # "in the future" for this batch
        for index, item in items:
            parser = Parser(item, self.options, horizon)
            try:
                record = handler.parse(parser)
            except Rejected as rejected:
                results.append(ItemResult(index, REJECTED, rejected.errors))
                continue
            result = ItemResult(index, UNCHANGED)
            results.append(result)
            parsed.append((result, record))
        self.resolver.flush_accounts()

        stored = handler.find([record for _, record in parsed])
        pending: dict = {}  # key -> new, unsaved row (a later duplicate updates it in memory)
        to_create, to_update = [], {}
        costs_seen: dict[int, set] = {}  # campaigns only: the month costs met in this batch
        campaigns = isinstance(handler, CampaignHandler)
        new = handler.new_fast if handler.fast_insert else handler.new
        for result, record in parsed:
            external_id = record.get("external_id")
            key = ("id", external_id) if external_id else handler.key(record)
            row = pending.get(key) if key else None
            if row is None and key is not None:
                row = stored.get(key)
            if row is None:
                row = new(record)
                to_create.append((row, record))
                if key is not None:
                    pending[key] = row
                if campaigns:
                    costs_seen[id(row)] = {(record.get("_month"), record.get("_cost"))}
                result.status = CREATED
                continue
            changed = handler.changes(row, record)
            for name, (_, after) in changed.items():
                setattr(row, name, after)
            if row.pk is None:
                # A duplicate of a row created earlier in this batch: it counts as itself.
                result.status = UPDATED if changed else UNCHANGED
                if campaigns:
                    to_create.append((row, record))  # another month's cost, set below
                    cost = (record["_month"], record["_cost"])
                    if record["_cost"] is not None and cost not in costs_seen[id(row)]:
                        result.status = UPDATED
                        costs_seen[id(row)].add(cost)
                continue
            if changed:
                _, so_far, fields = to_update.setdefault(id(row), (row, {}, set()))
                for name, (before, after) in changed.items():
                    # Two items change one row in a batch: keep the first before, last after.
                    so_far[name] = (so_far.get(name, (before,))[0], after)
                fields.update(changed, handler.after_update(row, changed))
                result.status = UPDATED
            if campaigns and handler.costs_changed(row, record):
                result.status = UPDATED

        created = list({id(row): row for row, _ in to_create}.values())
        if created and handler.fast_insert:
            insert_rows(handler.model, created)
        elif created:
            handler.model.objects.bulk_create(created, batch_size=BATCH_SIZE)
        if campaigns:
            for row, record in to_create:
                handler.costs_changed(row, record)
        updated = []
        now = timezone.now()
        for row, changed, fields in to_update.values():
            fields = set(fields)
            if hasattr(row, "updated_at"):
                row.updated_at = now  # a plain field on touchpoints and deals, not auto_now
                fields.add("updated_at")
            row.save(update_fields=sorted(fields))
            updated.append((row, changed))
        handler.saved(created, updated)
        lead_ids = handler.scored_leads(created, updated)
        if lead_ids:
            score_after_commit(lead_ids)
        return results
