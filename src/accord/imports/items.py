"""What an item is and what becomes of it.

An item is a dict of Accord field names to raw values (strings from a CSV, JSON values
from the API). `Parser` reads one item's fields under the import's `Options`, collecting
every error; a bad item is `Rejected` with them, and each item ends as an `ItemResult`:
created, updated, unchanged or rejected.
"""

import functools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from accord.core.periods import (
    BAD_OFFSET,
    FIRST_YEAR,
    LAST_YEAR,
    OUT_OF_RANGE,
    in_range,
    offset_in_use,
)
from accord.imports.formats import normalise
from accord.imports.values import (
    BadValue,
    DateOrder,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
)
from accord.people.models import User

BATCH_SIZE = 2000
# A long import's batches, each its own transaction: short enough that a login or an API
# write waiting for SQLite's one writer waits a fraction of a second.
SHORT_BATCH_SIZE = 1000
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
# A new id for a lead already known by its email: merged into it (CRMs dedupe on email).
MERGED = "merged"
# What becomes of an owner or a source value Accord does not know and the import's value
# maps do not settle (`Options.unknown_owners`, `Options.unknown_sources`).
REJECT, UNASSIGN, PLACEHOLDER, CREATE = "reject", "unassigned", "placeholder", "create"
MAX_AMOUNT = Decimal("999999999999.99")
# A lone surrogate: JSON can carry one ("\ud800"), but no database can store it.
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ItemError:
    column: str
    value: str
    message: str

    def __post_init__(self):
        # The value goes back into reports that PostgreSQL stores as JSON, which cannot
        # hold a NUL character (shown as the symbol for one) or a lone surrogate (shown as
        # the replacement character); the message may quote the value.
        for name in ("value", "message"):
            text = getattr(self, name)
            if isinstance(text, str) and not text.isascii():
                object.__setattr__(self, name, SURROGATE.sub("\ufffd", text))
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
    # Owners Accord does not know: refuse the item (the default: no deactivated user ever
    # silently owns a live lead), leave it unassigned, or create an inactive placeholder.
    unknown_owners: str = REJECT
    # Source values that are no channel: create the channel (reported), or refuse the item.
    unknown_sources: str = CREATE


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
        # One reason per field, the first: a later check may only see the field as missing.
        if any(error.column == name for error in self.errors):
            return
        self.errors.append(ItemError(name, _shown(self.item.get(name, "")), message))

    def _wrong_type(self, name: str, expected: str) -> None:
        self._fail(name, f"{name} must be {expected}, not {_kind(self.item.get(name))}")

    def text(self, name: str, max_length: int, required: bool = False) -> str | None:
        value = self.item.get(name)
        if type(value) is str:  # the common case, ASCII, without the general checks below
            value = value.strip()
            if value and len(value) <= max_length and "\x00" not in value and value.isascii():
                return value
        elif isinstance(value, str):
            value = value.strip()
        elif value is not None:
            # A number, a list or an object is no name, owner or channel: refused, so it
            # never becomes a placeholder user or a channel of its own.
            self._wrong_type(name, "text")
            return None
        if value in (None, ""):
            if required:
                self._fail(name, f"{name} is required")
            return None
        if "\x00" in value:  # PostgreSQL cannot store it; nobody means it
            self._fail(name, "contains a NUL character")
            return None
        if SURROGATE.search(value):  # no database can store it
            self._fail(name, "contains a lone surrogate, which is not a character")
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
        if isinstance(value, list | dict):
            self._wrong_type(name, "a single value")
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
                    if not in_range(value):  # the year 1 overflows once made UTC
                        self._fail(name, OUT_OF_RANGE)
                        return None
                    if not offset_in_use(value):
                        self._fail(name, BAD_OFFSET)
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
        if value and not in_range(value):
            self._fail(name, OUT_OF_RANGE)
            return None
        if value and not offset_in_use(value):
            self._fail(name, BAD_OFFSET)
            return None
        return value

    def day(self, name: str, required: bool = False) -> date | None:
        def parse(value):
            if isinstance(value, date):
                day = value if not isinstance(value, datetime) else value.date()
            else:
                day = parse_date(str(value), self.options.date_order)
            if not in_range(day):
                raise BadValue(OUT_OF_RANGE)
            return day

        return self._parsed(name, parse, required)

    def month(self, name: str) -> date | None:
        """A calendar month as YYYY-MM (or any date in it): its first day."""

        def parse(value):
            text = str(value).strip()
            if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
                year, month = int(match.group(1)), int(match.group(2))
                if not 1 <= month <= 12:
                    raise BadValue(f"“{text}” is not a month (use YYYY-MM)")
                if not FIRST_YEAR <= year <= LAST_YEAR:
                    raise BadValue(OUT_OF_RANGE)
                return date(year, month, 1)
            day = parse_date(text, self.options.date_order)
            if not in_range(day):
                raise BadValue(OUT_OF_RANGE)
            return day.replace(day=1)

        return self._parsed(name, parse)

    def amount(self, name: str, required: bool = False) -> Decimal | None:
        def parse(value):
            if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
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
        if not isinstance(value, str):
            self._wrong_type(name, "text")
            return None
        mapped = self.options.value_maps.get(name, {})
        if not mapped:
            exact = _exact_codes(choices)
            if value in exact:
                return exact[value]  # the common case: already Accord's code or label
        codes = _codes(choices)
        seen = normalise(str(value))
        keys = (seen, seen.replace(" ", ""), seen.replace(" ", "_"))
        # The map first, even for a value spelled like a code: HubSpot's lead status "new"
        # keeps the stage, and a person's choice in the preview is what the import does.
        for key in keys:
            if key in mapped:
                return mapped[key]
        if value in codes:
            return codes[value]
        for key in keys:
            if key in codes:
                return codes[key]
        known = ", ".join(choices.values)
        self._fail(name, f"unknown {name} “{value}” (known: {known}; or map it)")
        return None

    def finish(self) -> None:
        if self.errors:
            raise Rejected(self.errors)


_KINDS = {
    bool: "true or false",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
}


def _kind(value: Any) -> str:
    """What a JSON value is, as a refusal names it."""
    return _KINDS.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value as an item error quotes it: as JSON writes a list, an object or true/false."""
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)[:200]
    return str(value)[:200]


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
