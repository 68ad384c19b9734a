"""Webhook subscriptions and their delivery logs: pages for the people who manage them.

Views parse input and call one verb in `accord.webhooks.actions`; the verbs decide. A new or
rotated secret is rendered once, never redirected to (it must not sit in a message or the
browser's cache), as a new API token is.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accord.core.forms import errors_onto
from accord.people import permissions
from accord.webhooks import actions, queries
from accord.webhooks.forms import SubscriptionForm
from accord.webhooks.models import Delivery, Subscription


def _may_manage(request) -> None:
    permissions.require(permissions.can_manage_webhooks(request.user), actions.DENIED)


@never_cache
def subscription_list(request):
    """The subscriptions, and the form to add one (POST: create it, show its secret once)."""
    _may_manage(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription, secret = actions.create_subscription(
                request.user, url=data["url"], kinds=data["kinds"], description=data["description"]
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _detail(request, subscription, new_secret=secret, created=True)
    return render(
        request,
        "webhooks/list.html",
        {"rows": queries.subscription_rows(), "form": form},
        status=400 if form.is_bound else 200,
    )


def subscription_detail(request, pk: int):
    _may_manage(request)
    return _detail(request, get_object_or_404(Subscription, pk=pk))


def _detail(request, subscription, *, new_secret="", created=False, form=None, status=200):
    page = queries.delivery_log(subscription, request.GET.get("page"))
    template = "webhooks/detail.html"
    if request.htmx and not request.htmx.boosted and request.method == "GET":
        template += "#results"
    context = {
        "subscription": subscription,
        "kinds": queries.kinds_of(subscription),
        "page": page,
        "query": "",
        "new_secret": new_secret,
        "created": created,
        "form": form or SubscriptionForm(initial=SubscriptionForm.initial_from(subscription)),
        "editing": form is not None,
    }
    return render(request, template, context, status=status)


@require_POST
def subscription_edit(request, pk: int):
    _may_manage(request)
    subscription = get_object_or_404(Subscription, pk=pk)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.change_subscription(
                request.user,
                subscription,
                url=data["url"],
                kinds=data["kinds"],
                description=data["description"],
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Saved the subscription.")
            return redirect(subscription)
    return _detail(request, subscription, form=form, status=400)


@never_cache
@require_POST
def rotate(request, pk: int):
    subscription = get_object_or_404(Subscription, pk=pk)
    subscription, secret = actions.rotate_secret(request.user, subscription)
    return _detail(request, subscription, new_secret=secret)


def _verb(verb, success: str):
    @require_POST
    def view(request, pk: int):
        subscription = get_object_or_404(Subscription, pk=pk)
        try:
            verb(request.user, subscription)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, success)
        return redirect(subscription)

    return view


disable = _verb(actions.disable, "Disabled: nothing more is sent until you enable it again.")
enable = _verb(actions.enable, "Enabled: the next events are sent.")
send_test = _verb(actions.send_test, "A test event is on its way; see the log below.")


@require_POST
def delete(request, pk: int):
    subscription = get_object_or_404(Subscription, pk=pk)
    actions.delete_subscription(request.user, subscription)
    messages.success(request, f"Deleted the subscription of {subscription.url}.")
    return redirect("webhooks:list")


@require_POST
def send_again(request, pk: int):
    delivery = get_object_or_404(Delivery.objects.select_related("subscription"), pk=pk)
    try:
        actions.send_again(request.user, delivery)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Sending {delivery.message_id} again; see the log below.")
    return redirect(delivery.subscription)
