"""Sales review pages: accept or reject a lead, the rejection rates, the list of reasons.

Views parse input and call one verb in `accord.qualify.reviews`; the verbs decide.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accord.core import figures
from accord.core.forms import PeriodForm
from accord.crm.export_views import csv_download
from accord.crm.exports import Cell, Column
from accord.crm.models import Lead
from accord.crm.views import run_lead_form
from accord.people import permissions
from accord.qualify import reviews


class ReviewForm(forms.Form):
    comment = forms.CharField(
        required=False, max_length=reviews.COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class RejectForm(ReviewForm):
    # Any key is let through: the verb says clearly why a missing or retired reason won't do.
    reason = forms.CharField(required=False, max_length=40)


def _review(request, pk: int, form_class, act):
    """Run one review verb on a lead; errors go back to the lead page as messages."""
    lead = get_object_or_404(Lead.objects.select_related("owner"), pk=pk)
    reviews.check_may_review(request.user, lead)
    return run_lead_form(request, lead, form_class(request.POST), act)


@require_POST
def accept(request, pk: int):
    def act(lead, data):
        reviews.accept_lead(lead, actor=request.user, comment=data["comment"])
        return "Accepted: the lead is now a sales-accepted lead (SAL)."

    return _review(request, pk, ReviewForm, act)


@require_POST
def reject(request, pk: int):
    def act(lead, data):
        review = reviews.reject_lead(
            lead, actor=request.user, reason=data["reason"], comment=data["comment"]
        )
        return f"Rejected ({review.reason.label}): the lead goes back to marketing's nurture."

    return _review(request, pk, RejectForm, act)


def _rates(request) -> tuple[PeriodForm, figures.Kept]:
    form = PeriodForm(request.GET or None, timezone.localdate())
    start, end = form.period()
    return form, reviews.kept_rejection_rates(start, end)


RATE_COLUMNS = (
    Column("group", ("group",), label="Grouped by"),
    Column("label", ("label",), label="Name"),
    Column("reviewed", ("reviewed",), Cell.INTEGER),
    Column("accepted", ("accepted",), Cell.INTEGER),
    Column("rejected", ("rejected",), Cell.INTEGER),
    Column("rejection_rate", ("rejection_rate",), Cell.PERCENT, "Rejection rate %"),
    Column("share", ("share",), Cell.PERCENT, "Share of rejections %"),
)


@require_safe
@figures.in_company_time
def rates_csv(request):
    """The page's tables in one file: all reviews, then by source, campaign, rep and reason."""
    _, kept = _rates(request)
    rates = kept.value

    def counted(group: str, rows) -> list[tuple]:
        return [
            (group, r.label, r.reviewed, r.accepted, r.rejected, r.rejection_rate, None)
            for r in rows
        ]

    records = [
        *counted("All reviews", [rates.total]),
        *counted("Source", rates.by_source),
        *counted("Campaign", rates.by_campaign),
        *counted("Rep", rates.by_reviewer),
        *(("Reason", r.label, None, None, r.rejected, None, r.share) for r in rates.by_reason),
    ]
    name = f"accord-sales-reviews-{rates.start:%Y-%m-%d}-to-{rates.end:%Y-%m-%d}.csv"
    return csv_download(name, RATE_COLUMNS, records)


@figures.in_company_time
def home(request):
    """Rejection rates by source, campaign, reason and rep, for everybody to see."""
    form, kept = _rates(request)
    rates = kept.value
    # The chart ranks sources by how often their leads are turned down; the table by volume.
    ranked = sorted(rates.by_source, key=lambda row: -(row.rejection_rate or 0))
    return render(
        request,
        "qualify/reviews.html",
        {
            "form": form,
            "rates": rates,
            "kept": kept,
            "source_chart": {
                "labels": [row.label for row in ranked],
                "values": [float(row.rejection_rate or 0) for row in ranked],
                "percent": True,
            },
            "reason_chart": {
                "labels": [row.label for row in rates.by_reason],
                "values": [row.rejected for row in rates.by_reason],
            },
            "time_zone": timezone.get_current_timezone_name(),
            "query": request.GET.urlencode(),
        },
    )


def reasons(request):
    """The list of rejection reasons: everybody reads it, admins add and retire reasons."""
    label = ""
    if request.method == "POST":
        permissions.require(permissions.can_manage_reasons(request.user), reviews.MANAGE_DENIED)
        label = request.POST.get("label", "")
        try:
            if "key" in request.POST:
                active = request.POST.get("active") == "1"
                reason = reviews.set_reason_active(request.user, request.POST["key"], active)
                state = "back in the list" if active else "retired: no longer offered"
                messages.success(request, f"“{reason.label}” is {state}.")
            else:
                reason = reviews.add_reason(request.user, label)
                messages.success(request, f"Added “{reason.label}”.")
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            return redirect("reviews:reasons")
    return render(
        request,
        "qualify/reasons.html",
        {
            "reasons": reviews.reasons_with_use(),
            "can_manage": permissions.can_manage_reasons(request.user),
            "label": label,
        },
        status=400 if request.method == "POST" else 200,
    )
