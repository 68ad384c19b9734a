"""The lead value API: what each lead type is worth. Any token may read it."""

from ninja import Query, Router
from ninja.errors import HttpError

from accord.analytics.lead_value import GROUP_KEYS
from accord.core.api_types import Day
from accord.qualify import value

router = Router(tags=["lead value"])


@router.get(
    "/lead-value",
    summary="The value of each lead type",
    description=(
        "For the leads created in the cohort, per type (the values of the `group_by` keys: "
        f"{', '.join(GROUP_KEYS)}; default source and grade): leads, won (an opportunity "
        "with the lead as primary lead closed won within `horizon_days` of its creation, "
        "default 365), probability with its 90% Wilson interval, and value = probability × "
        "the cohort's average won amount per won lead, with its interval. The cohort "
        "defaults to the 12 whole months whose horizon has passed. Money is a string "
        '("1234.50"), fractions are numbers from 0 to 1. Repeat `group_by` or separate '
        "the keys with commas."
    ),
)
def lead_value(
    request,
    group_by: list[str] | None = Query(None),  # noqa: B008 - ninja's way to declare it
    horizon_days: int | None = None,
    cohort_from: Day | None = None,
    cohort_to: Day | None = None,
):
    try:
        return value.cli_lead_value(
            {
                "group_by": group_by or None,
                "horizon_days": horizon_days,
                "cohort_from": cohort_from,
                "cohort_to": cohort_to,
            }
        )
    except ValueError as error:
        raise HttpError(400, str(error)) from None
