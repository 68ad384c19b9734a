"""Business cases on the deal in the API: the cases of a lead, an opportunity or an account,
and adjusting one (`calculators.deals.adjust`, the verb the adjust page calls). Any token
reads them; adjusting needs a write token of whoever works the deal. Results are always the
server's; numbers are strings of Decimals, percentages fractions (0.8 for 80%).

api/main.py adds this router before the calculators' own, whose `/calculators/{id}` would
otherwise take `submissions` for an id."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from accord.calculators import deal_queries, deals
from accord.calculators.models import Submission
from accord.core.api_types import RecordId
from accord.crm.models import Account, Lead, Opportunity
from accord.people.api_auth import require_write_scope

router = Router(tags=["Calculators"])


class SubmissionOut(Schema):
    id: int
    calculator_id: int
    version: int = Field(description="The number of the calculator version it was computed on")
    source: str = Field(description="public (the visitor) or sales (a rep on the deal)")
    based_on_id: int | None = Field(description="The version of the case this one adjusted")
    lead_id: int | None
    account_id: int | None
    opportunity_id: int | None
    inputs: dict[str, str] = Field(description="As stored: percentages as fractions")
    results: dict[str, str] = Field(description="Every value the server computed")
    note: str
    created_by_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_version(obj) -> int:
        return obj.version.number


class AdjustIn(Schema):
    inputs: dict[str, Any] = Field(
        description="Every input by key, as a person types it (a percentage in percent: 15 "
        "for 15%); an input left out takes its default if optional"
    )
    note: str = Field(description="What changed and why (required)")
    opportunity: RecordId | None = Field(
        None, description="File the new version on this deal (same account or person)"
    )
    on_published: bool = Field(False, description="Recompute on the calculator's published version")


MAX_CASES = 500
CASES_HELP = (
    "The business cases of one lead (its own and its deals'), one opportunity (filed on it, "
    "and its primary contact's own) or one account: give exactly one of lead, opportunity "
    "or account. Newest first. Results are the server's."
)


@router.get(
    "/calculators/submissions",
    response=list[SubmissionOut],
    summary="Business cases on a lead, an opportunity or an account",
    description=CASES_HELP,
)
def list_submissions(
    request,
    lead: RecordId | None = None,
    opportunity: RecordId | None = None,
    account: RecordId | None = None,
):
    if sum(v is not None for v in (lead, opportunity, account)) != 1:
        raise ValidationError("Give exactly one of lead, opportunity or account.")
    if lead is not None:
        cases = deal_queries.cases_for_lead(get_object_or_404(Lead, pk=lead))
    elif opportunity is not None:
        cases = deal_queries.cases_on(get_object_or_404(Opportunity, pk=opportunity))
    else:
        cases = deal_queries.cases_for_account(get_object_or_404(Account, pk=account))
    return list(cases.order_by("-created_at", "-id")[:MAX_CASES])


@router.post(
    "/calculators/submissions/{submission_id}/adjust",
    response={201: SubmissionOut},
    summary="Adjust a business case: a new version from new inputs",
    description="Needs a write token of whoever works the deal (the lead's or opportunity's "
    "owner, their managers, leaders, admins). The server computes the results; any result "
    "sent is ignored. A refusal answers 422 naming each input (`seats: Seats: at most 500`).",
)
def adjust_submission(request, submission_id: RecordId, payload: AdjustIn):
    token = require_write_scope(request)
    submission = get_object_or_404(Submission, pk=submission_id)
    opportunity = None
    if payload.opportunity is not None:
        opportunity = Opportunity.objects.filter(pk=payload.opportunity).first()
        if opportunity is None:
            raise ValidationError(
                {"opportunity": [f"There is no opportunity {payload.opportunity}."]}
            )
    made = deals.adjust(
        token.user,
        submission,
        payload.inputs,
        payload.note,
        opportunity,
        on_published=payload.on_published,
    )
    return Status(201, made)
