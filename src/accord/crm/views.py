"""CRM pages. Views parse input, check permission through the actions, and render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accord.core import figures
from accord.core.paging import IdsFirstPaginator
from accord.crm import actions, queries
from accord.crm.filters import (
    AccountFilterForm,
    CampaignFilterForm,
    LeadFilterForm,
    OpportunityFilterForm,
)
from accord.crm.forms import FollowUpForm, ReassignForm, StatusForm
from accord.crm.models import Account, Campaign, Lead, Opportunity
from accord.people import permissions

PAGE_SIZE = 50
# A search matching more rows than this is counted and paged by the database.
SEARCH_IDS_AT_ONCE = 5000


def home(request):
    """Reps land on their follow-ups (the service levels' page); everybody else here."""
    if permissions.works_a_follow_up_queue(request.user):
        return redirect("sla:queue")
    return overview(request)


@figures.in_company_time
def overview(request):
    kept = queries.overview()
    return render(request, "crm/home.html", {"overview": kept.value, "kept": kept})


# A list's date filters count the company's days, as the scoreboard that links to it does.
@figures.in_company_time
def _list_page(
    request, form_class, queryset, template: str, title: str, kind: str, rows=None, kept=None
):
    """`rows`: what each row shows beyond the filtered queryset's fields (counts), read for
    the page's rows alone. `kept`: the kept figure the rows show (the page says how fresh)."""
    form = form_class(request.GET)
    # The page's rows are read by id from the unfiltered queryset: the filter (a search) has
    # done its work once the ids are known.
    rows = queryset if rows is None else rows
    listed = form.apply(queryset)
    # A search runs its text index once: every match's id, then the page's rows.
    searching = form.is_valid() and bool(form.cleaned_data.get("q"))
    paginator = IdsFirstPaginator(
        listed, PAGE_SIZE, rows=rows, all_ids_up_to=SEARCH_IDS_AT_ONCE if searching else None
    )
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "title": title,
        "export_kind": kind,
        "kept": kept,
    }
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


# What a row of the lead list shows (crm.templatetags.accord.lead_rows): the page's fifty rows
# are read with these columns alone, not every column of the lead, its owner (a password
# hash, digest settings...), its account and source: half the cost of reading them.
LEAD_ROW_FIELDS = (
    "email", "first_name", "last_name", "title", "status", "fit_grade", "engagement_score",
    "created_at", "account__name", "source__name",
    "owner__first_name", "owner__last_name", "owner__username",
)  # fmt: skip


def lead_list(request):
    leads = Lead.objects.select_related("owner", "source", "account")
    return _list_page(
        request,
        LeadFilterForm,
        leads,
        "crm/lead_list.html",
        "Leads",
        "leads",
        rows=leads.only(*LEAD_ROW_FIELDS),
    )


def account_list(request):
    accounts = Account.objects.select_related("owner")
    counts = accounts.annotate(
        people=queries.count_of(Lead, "account"),
        open_opportunities=queries.count_of(
            Opportunity, "account", ~Q(stage__in=Opportunity.CLOSED_STAGES)
        ),
    )
    return _list_page(
        request,
        AccountFilterForm,
        accounts,
        "crm/account_list.html",
        "Accounts",
        "accounts",
        rows=counts,
    )


def opportunity_list(request):
    opps = Opportunity.objects.select_related("account", "owner", "source")
    return _list_page(
        request,
        OpportunityFilterForm,
        opps,
        "crm/opportunity_list.html",
        "Opportunities",
        "opportunities",
    )


def campaign_list(request):
    campaigns = Campaign.objects.select_related("channel", "owner")
    # Counted once for every campaign and kept (2.5 million touchpoints at scale 10: a count
    # per campaign on each view took seconds).
    kept = queries.campaign_touch_counts()
    return _list_page(
        request,
        CampaignFilterForm,
        campaigns,
        "crm/campaign_list.html",
        "Campaigns",
        "campaigns",
        kept=kept,
    )


def lead_detail(request, pk):
    lead = get_object_or_404(Lead.objects.select_related("owner", "source", "account"), pk=pk)
    user = request.user
    can_change = permissions.can_change_lead(user, lead)
    show_all = request.GET.get("timeline") == "all"
    timeline, events = queries.lead_timeline(lead, None if show_all else queries.TIMELINE_SHOWN)
    return render(
        request,
        "crm/lead_detail.html",
        {
            "lead": lead,
            "timeline": timeline,
            "timeline_events": events,
            "touches_by_channel": queries.lead_touches_by_channel(lead),
            "can_change": can_change,
            "is_owner": lead.owner_id == user.pk,
            "can_reassign": permissions.can_reassign_lead(user, lead),
            "status_form": StatusForm(lead=lead, actor=user),
            "reassign_form": ReassignForm(actor=user, initial={"owner": lead.owner_id}),
            "follow_up_form": FollowUpForm(),
            "opportunities": lead.opportunities.select_related("owner"),
        },
    )


def run_lead_form(request, lead, form, act, back: str | None = None):
    """Run one lead action from a bound form; errors go back as messages to the lead page
    (or to `back`, the page the form was on)."""
    back = back or lead.get_absolute_url()
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label or field.replace('_', ' ').capitalize()}: {error}")
        return redirect(back)
    try:
        message = act(lead, form.cleaned_data)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect(back)


def _lead_action(request, pk, allowed, form_class, act, **form_kwargs):
    lead = get_object_or_404(Lead, pk=pk)
    permissions.require(allowed(request.user, lead))
    return run_lead_form(request, lead, form_class(request.POST, **form_kwargs), act)


@require_POST
def lead_status(request, pk):
    def act(lead, data):
        lead = actions.change_lead_status(
            lead, data["status"], actor=request.user, reason=data["reason"]
        )
        return f"Status set to {lead.get_status_display()}."

    lead = get_object_or_404(Lead, pk=pk)
    permissions.require(permissions.can_change_lead(request.user, lead))
    form = StatusForm(request.POST, lead=lead, actor=request.user)
    return run_lead_form(request, lead, form, act)


@require_POST
def lead_reassign(request, pk):
    def act(lead, data):
        lead = actions.reassign_lead(lead, data["owner"], actor=request.user)
        return f"Lead now owned by {lead.owner or 'nobody'}."

    return _lead_action(
        request, pk, permissions.can_reassign_lead, ReassignForm, act, actor=request.user
    )


@require_POST
def lead_follow_up(request, pk):
    def act(lead, data):
        activity = actions.record_follow_up(lead, actor=request.user, **data)
        return f"Logged {activity.get_kind_display().lower()}."

    return _lead_action(request, pk, permissions.can_change_lead, FollowUpForm, act)


def account_detail(request, pk):
    account = get_object_or_404(Account.objects.select_related("owner"), pk=pk)
    return render(
        request,
        "crm/account_detail.html",
        {
            "account": account,
            "people": account.leads.select_related("owner", "source").order_by("-created_at")[:200],
            "people_count": account.leads.count(),
            "opportunities": account.opportunities.select_related("owner", "source"),
            "summary": queries.account_summary(account),
        },
    )


def opportunity_detail(request, pk):
    opp = get_object_or_404(
        Opportunity.objects.select_related("account", "owner", "source", "primary_lead"), pk=pk
    )
    return render(
        request,
        "crm/opportunity_detail.html",
        {"opp": opp, "stage_changes": opp.stage_changes.all()},
    )


def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("channel", "owner"), pk=pk)
    return render(
        request,
        "crm/campaign_detail.html",
        {"campaign": campaign, "summary": queries.campaign_summary(campaign)},
    )
