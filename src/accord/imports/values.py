"""Parsing the values found in real CRM exports. Pure functions; no Django models.

Each parser returns the parsed value or raises `BadValue` with a message a person can act
on. Blank input means "no value" (None), never an error.
"""

import re
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class BadValue(ValueError):
    pass


class DateOrder(StrEnum):
    ISO = "iso"  # year first
    MDY = "mdy"  # 03/04/2026 is March 4 (US)
    DMY = "dmy"  # 03/04/2026 is 3 April


_CURRENCY = re.compile(r"(?i)(us\$|usd|eur|gbp|chf|cad|aud|[$€£¥])")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_amount(text: str) -> Decimal | None:
    """Money as written by people and spreadsheets: `$1,234.50`, `1.234,50 €`, `(500)`."""
    raw = (text or "").strip()
    if not raw:
        return None
    value = _SPACES.sub("", _CURRENCY.sub("", raw))
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    elif value.endswith("-"):
        negative, value = not negative, value[:-1]
    if not value or not re.fullmatch(r"[0-9.,]+", value):
        raise BadValue(f"“{raw}” is not an amount of money")
    commas, dots = value.count(","), value.count(".")
    if commas and dots:
        # Whichever separator comes last is the decimal point.
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
    elif commas == 1 and re.search(r",\d{1,2}$", value):
        decimal_mark = ","  # 1234,5 or 1234,50
    elif dots == 1:
        decimal_mark = "."
    else:
        decimal_mark = ""  # only thousands separators: 1,234,567 or 1.234.567
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        value = value.replace(mark, "")
    if decimal_mark == ",":
        value = value.replace(",", ".")
    if value.count(".") > 1:
        raise BadValue(f"“{raw}” is not an amount of money")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadValue(f"“{raw}” is not an amount of money") from None
    return -amount if negative else amount


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_TIME = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*([AaPp][Mm])?\s*"
    r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
)


def date_order_hint(text: str) -> set[DateOrder]:
    """The day/month orders that could read this value ({} if it is no date at all)."""
    text = (text or "").strip()
    if not text:
        return {DateOrder.ISO, DateOrder.MDY, DateOrder.DMY}
    if _ISO.match(text):
        return {DateOrder.ISO, DateOrder.MDY, DateOrder.DMY}
    match = _SLASHED.match(text)
    if not match:
        return set()
    first, second = int(match.group(1)), int(match.group(2))
    orders = set()
    if 1 <= first <= 12 and 1 <= second <= 31:
        orders.add(DateOrder.MDY)
    if 1 <= second <= 12 and 1 <= first <= 31:
        orders.add(DateOrder.DMY)
    return orders


def _split(text: str, order: DateOrder | None) -> tuple[date, str]:
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _SLASHED.match(text):
        a, b, year_text = match.groups()
        if order is None:
            raise BadValue(
                f"“{text}” could be day/month or month/day; say which (date order DMY or MDY)"
            )
        if order == DateOrder.DMY:
            day, month = int(a), int(b)
        else:
            month, day = int(a), int(b)
        year = int(year_text)
        if len(year_text) == 2:
            year += 2000 if year < 70 else 1900
    else:
        raise BadValue(f"“{text}” is not a date (use e.g. 2026-03-31 or 03/31/2026)")
    try:
        return date(year, month, day), text[match.end() :].strip().lstrip("T").strip()
    except ValueError:
        raise BadValue(f"“{text}” is not a real calendar date") from None


def parse_date(text: str, order: DateOrder | None = None) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    day, _ = _split(text, order)
    return day


def parse_datetime(text: str, tz: tzinfo, order: DateOrder | None = None) -> datetime | None:
    """A date with optional time and zone; a value without a zone is read in `tz`."""
    text = (text or "").strip()
    if not text:
        return None
    day, rest = _split(text, order)
    if not rest:
        return datetime.combine(day, time.min, tzinfo=tz)
    match = _TIME.fullmatch(rest)
    if not match:
        raise BadValue(f"“{text}” has a time I cannot read (use e.g. 14:30 or 2:30 PM)")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    micro = int((match.group(4) or "0").ljust(6, "0"))
    meridiem, zone = match.group(5), match.group(6)
    if meridiem:
        if not 1 <= hour <= 12:
            raise BadValue(f"“{text}” has an impossible 12-hour time")
        hour = hour % 12 + (12 if meridiem.lower() == "pm" else 0)
    try:
        moment = datetime.combine(day, time(hour, minute, second, micro))
    except ValueError:
        raise BadValue(f"“{text}” has an impossible time of day") from None
    if zone:
        from datetime import timedelta, timezone

        if zone.upper() in ("Z", "UTC", "GMT"):
            offset = UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            if hours > 14 or minutes > 59:  # the world's offsets run from -12:00 to +14:00
                raise BadValue(f"“{text}” has a time zone offset that does not exist")
            offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return moment.replace(tzinfo=offset)
    return moment.replace(tzinfo=tz)


def parse_int(text: str) -> int | None:
    raw = (text or "").strip()
    if not raw:
        return None
    amount = parse_amount(raw)
    if amount != amount.to_integral_value():
        raise BadValue(f"“{raw}” is not a whole number")
    return int(amount)


def parse_bool(text: str) -> bool | None:
    raw = (text or "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "yes", "y", "won", "closed"):
        return True
    if raw in ("0", "false", "no", "n", "lost", "open"):
        return False
    raise BadValue(f"“{text}” is not yes or no")
