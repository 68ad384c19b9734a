"""What every API router shares: parameter types that refuse, up front and with a 422, what
the database or the calendar cannot hold, and the body of an error.

A path or query id beyond a 64-bit integer overflows the database driver; a date given as a
number (`to=0`) was read as seconds since 1970; a day or moment near datetime's limits
overflows once a time zone is added. Routers declare `RecordId`, `Day` and `Moment` instead
of `int`, `date` and `datetime`.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from accord.core.periods import BAD_OFFSET, OUT_OF_RANGE, in_range, offset_in_use

# The largest id a database's 64-bit integer column holds.
MAX_ID = 2**63 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
# A username in a query: no NUL (PostgreSQL refuses it in text, which would be a 500) and
# no longer than a username can be.
Username = Annotated[str, Field(max_length=150, pattern=r"^[^\x00]*$")]

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _refused(message: str) -> PydanticCustomError:
    # A custom error reads as the message alone, without pydantic's "Value error, ".
    return PydanticCustomError("date", message)


def _day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise _refused(f"{value} is not a day of the calendar.") from None
    else:
        raise _refused("Give a date as YYYY-MM-DD.")
    if not in_range(day):
        raise _refused(OUT_OF_RANGE)
    return day


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and _ISO_DAY.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _refused(f"{value} is not a date and time Accord can read.") from None
    else:
        raise _refused("Give a date and time in ISO 8601, e.g. 2026-03-31T14:00:00+02:00.")
    if not in_range(moment):
        raise _refused(OUT_OF_RANGE)
    if not offset_in_use(moment):
        raise _refused(BAD_OFFSET)
    return moment


# A day written YYYY-MM-DD, never a number, in the years Accord accepts.
Day = Annotated[date, BeforeValidator(_day)]
# A moment in ISO 8601 (a zone optional), never a number, in the years Accord accepts.
Moment = Annotated[datetime, BeforeValidator(_moment)]


class ErrorOut(Schema):
    """The body of every error the API answers."""

    detail: str | list[dict[str, Any]] = Field(
        ...,
        description="Why, in a sentence (a refusal names each field: `field: why`); for a "
        "request that does not fit the schema, one entry per problem (loc, msg, type).",
    )
