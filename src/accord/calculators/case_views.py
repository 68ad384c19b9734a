"""The business case of a submission: the page and PDF for people inside (with who sent it
and their lead), and the visitor's copy through a signed link (no login, nothing internal).

The visitor's doors answer a tampered, expired or unknown token, or a deleted submission,
with one and the same polite 404; they are counted against the client's address first, as a
PDF costs the server a moment to lay out.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accord.calculators import business_case, printing
from accord.calculators.models import Submission
from accord.core import ratelimit
from accord.people import permissions
from accord.people.logins import client_address

GONE = (
    "This business case is not available: the link may have expired (links last 90 days) or "
    "been copied incompletely. Ask the person who sent it for a new one."
)


def _filename(case: business_case.BusinessCase) -> str:
    return f"business-case-{slugify(case.calculator) or 'calculator'}-{case.submission_id}.pdf"


def _pdf_response(request, case: business_case.BusinessCase) -> HttpResponse:
    html = render_to_string("calculators/case_pdf.html", {"case": case}, request=request)
    response = HttpResponse(printing.pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(case)}"'
    return response


def _internal_case(request, pk: int) -> tuple[Submission, business_case.BusinessCase]:
    submission = get_object_or_404(business_case.for_case(), pk=pk)
    permissions.require(permissions.can_read_business_case(request.user, submission))
    return submission, business_case.case(submission)


@require_GET
def submission_case(request, pk: int):
    submission, case = _internal_case(request, pk)
    context = {
        "case": case,
        "public_url": request.build_absolute_uri(business_case.public_case_url(submission)),
    }
    return render(request, "calculators/case.html", context)


@require_GET
def submission_case_pdf(request, pk: int):
    _, case = _internal_case(request, pk)
    return _pdf_response(request, case)


def public(view):
    """No login; counted against the client's address first; the token read second."""

    @login_not_required
    @never_cache
    @require_GET
    @wraps(view)
    def wrapper(request, token: str):
        address = client_address(request) or "unknown"
        if not ratelimit.allow(f"case:{address}", settings.CALCULATOR_CASE_RATE_LIMIT):
            response = render(
                request,
                "calculators/case_gone.html",
                {"message": "Too many requests from your network; try again in a minute."},
                status=429,
            )
            response["Retry-After"] = "60"
            return response
        submission = business_case.submission_of_token(token)
        if submission is None:
            return render(request, "calculators/case_gone.html", {"message": GONE}, status=404)
        return view(request, token, business_case.case(submission).public())

    return wrapper


@public
def public_case(request, token: str, case: business_case.BusinessCase):
    """The buyer's business case, to read, print or download."""
    return render(request, "calculators/public_case.html", {"case": case, "token": token})


@public
def public_case_pdf(request, token: str, case: business_case.BusinessCase):
    return _pdf_response(request, case)
