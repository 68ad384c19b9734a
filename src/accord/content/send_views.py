"""Sending assets from the deal pages: the "Suggested assets" panel the lead, account and
opportunity pages load (crm sits below content, so its pages load this by URL), and the
send, used-on-a-deal and stop-link forms. Each form calls one verb in `sending`; a refusal
comes back as a message on the page the form was on."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accord.content import queries, sending
from accord.content.forms import SendForm, UseForm
from accord.content.models import Asset, TrackedLink
from accord.core.paging import IdsFirstPaginator
from accord.crm.models import Account, Lead, Opportunity
from accord.people import permissions

LINKS_SHOWN = 20


def for_lead(request, pk: int):
    lead = get_object_or_404(Lead.objects.select_related("account"), pk=pk)
    return _panel(request, lead, None, back=reverse("crm:lead", args=[lead.pk]))


def for_opportunity(request, pk: int):
    opportunity = get_object_or_404(Opportunity.objects.select_related("primary_lead"), pk=pk)
    return _panel(
        request,
        opportunity.primary_lead,
        opportunity,
        back=reverse("crm:opportunity", args=[opportunity.pk]),
    )


def for_account(request, pk: int):
    """The account's people: the links sent to any of them, and the suggestions for its
    contact furthest along (the one a rep is most likely working now)."""
    account = get_object_or_404(Account, pk=pk)
    lead = (
        account.leads.filter(status__in=[s.value for s in Lead.LIFECYCLE])
        .order_by("-status_changed_at", "-id")
        .first()
    )
    return _panel(
        request,
        lead,
        None,
        back=reverse("crm:account", args=[account.pk]),
        links_where={"lead__account": account},
        account=account,
    )


def _panel(request, lead, opportunity, *, back: str, links_where=None, account=None):
    today = timezone.localdate()
    now = timezone.now()
    persona = queries.persona_for_title(lead.title) if lead else ""
    stage = lead.status if lead else ""
    suggested = queries.suggested_assets(stage, persona, today) if lead else []
    if links_where is not None:
        where = Q(**links_where)
    else:
        where = Q(lead=lead) if lead else Q(pk__in=[])
        if opportunity is not None:
            where |= Q(opportunity=opportunity)
    links = list(queries.links(where)[:LINKS_SHOWN])
    for link in links:
        link.state = queries.link_state(link, now)
        link.may_revoke = link.state in ("sent", "opened") and permissions.can_revoke_link(
            request.user, link
        )
    context = {
        "lead": lead,
        "opportunity": opportunity,
        "account": account,
        "persona": persona,
        "persona_label": dict(queries.Persona.choices).get(persona, ""),
        "suggested": suggested,
        "links": links,
        "can_send": lead is not None and permissions.can_send_asset(request.user, lead),
        "back": back,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "content/_deal_panel.html", context)
    return render(request, "content/deal_panel.html", context)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _deal(form) -> tuple[Lead, Opportunity | None]:
    lead = get_object_or_404(Lead, pk=form.cleaned_data["lead"])
    opportunity_id = form.cleaned_data.get("opportunity")
    opportunity = get_object_or_404(Opportunity, pk=opportunity_id) if opportunity_id else None
    return lead, opportunity


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label or field.replace('_', ' ').capitalize()}: {error}")


@require_POST
def send(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_back(request, asset.get_absolute_url()))
    lead, opportunity = _deal(form)
    back = _back(request, lead.get_absolute_url())
    try:
        link = sending.send(
            request.user,
            asset,
            lead,
            opportunity=opportunity,
            expires_at=form.expires_at(),
            email_gate=form.cleaned_data["email_gate"],
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(back)
    url = request.build_absolute_uri(reverse("content:link", args=[link.token]))
    messages.success(request, f"Sent {asset.title} to {lead}. Their link: {url}")
    return redirect(back)


@require_POST
def use(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    form = UseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_back(request, asset.get_absolute_url()))
    lead, opportunity = _deal(form)
    back = _back(request, lead.get_absolute_url())
    try:
        sending.use(request.user, asset, lead, opportunity)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, f"Noted: {asset.title} was used on {lead}'s deal.")
    return redirect(back)


@require_POST
def revoke(request, pk: int):
    link = get_object_or_404(TrackedLink.objects.select_related("asset", "lead"), pk=pk)
    back = _back(request, link.asset.get_absolute_url())
    try:
        sending.revoke(request.user, link)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, f"Stopped the link to {link.asset.title} sent to {link.lead}.")
    return redirect(back)


def usage_context(request, asset: Asset) -> dict:
    """The asset page's usage card: the counts, the ledger and the tracked links, each list
    paginated on its own parameter."""
    now = timezone.now()
    ledger = IdsFirstPaginator(
        asset.usages.order_by("-occurred_at", "-id"), 20, rows=queries.usages(asset)
    ).get_page(request.GET.get("usage_page"))
    # The page's twenty links are found first; what their buyers did is added up for them
    # alone, not for every link ever sent of the asset.
    sent = TrackedLink.objects.filter(asset=asset).order_by("-sent_at", "-id")
    links = IdsFirstPaginator(sent, 20, rows=queries.links()).get_page(
        request.GET.get("links_page")
    )
    for link in links.object_list:
        link.state = queries.link_state(link, now)
        link.may_revoke = link.state in ("sent", "opened") and permissions.can_revoke_link(
            request.user, link
        )
    kept = queries.kept_usage_counts(asset)
    return {"usage": kept.value, "kept_usage": kept, "ledger": ledger, "link_page": links}
