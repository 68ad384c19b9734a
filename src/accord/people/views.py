from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from accord.people import actions, logins, notify, permissions, tokens, zones
from accord.people.forms import (
    DigestForm,
    TeamForm,
    ThrottledLoginForm,
    TimeZoneForm,
    TokenForm,
    UserForm,
)
from accord.people.models import AuditLog, Notification, Team, User

NOTIFICATIONS_PER_PAGE = 25


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "people/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "people/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


def profile(request, *, form=None, new_token=None, zone_form=None, status=200):
    user = request.user
    context = {
        "person": user,
        "zone_form": zone_form or TimeZoneForm(initial={"time_zone": user.time_zone}),
        "default_zone": zones.default_zone_name(user),
        "time_zones": zones.known_zones(),
        "tokens": user.tokens.filter(revoked_at=None),
        "token_form": form or TokenForm(user=user),
        "new_token": new_token,
        "digest_form": DigestForm(
            initial={"email_digest": user.email_digest, "weekly_digest": user.gets_weekly_digest}
        ),
    }
    return render(request, "people/profile.html", context, status=status)


@require_POST
def time_zone(request):
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        try:
            actions.set_time_zone(request.user, form.cleaned_data["time_zone"])
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        return profile(request, zone_form=form, status=400)
    zone = zones.zone_name(request.user)
    chosen = "" if request.user.time_zone else ", the default for your team"
    messages.success(request, f"Saved: times are shown in {zone}{chosen}.")
    return redirect("profile")


@require_POST
def notification_preferences(request):
    form = DigestForm(request.POST)
    form.is_valid()  # Always valid: a box that is not ticked is simply "off".
    digest = form.cleaned_data["email_digest"]
    notify.set_email_digest(request.user, digest)
    weekly = form.cleaned_data["weekly_digest"]
    if weekly != request.user.gets_weekly_digest:
        notify.set_weekly_digest(request.user, weekly)
    if digest:
        saved = "Saved: you will get one email a day listing new notifications"
    else:
        saved = "Saved: you will get an email for each notification"
    weekly_text = "and" if weekly else "but not"
    messages.success(request, f"{saved}, {weekly_text} the weekly scoreboard digest.")
    return redirect("profile")


def notification_list(request):
    notifications = Notification.objects.filter(user=request.user)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    template = "people/notifications.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"page": page, "query": ""})


@require_POST
def notifications_read(request):
    count = notify.mark_read(request.user)
    messages.success(request, f"Marked {count} notification{pluralize(count)} as read.")
    return redirect("notifications")


@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notify.mark_read(request.user, [notification.pk])
    if notification.url and notify.is_in_app_path(notification.url):
        return HttpResponseRedirect(notification.url)
    return redirect("notifications")


@require_POST
def token_new(request):
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return profile(request, form=form, status=400)
    token, raw = tokens.issue_token(request.user, **form.cleaned_data)
    # Rendered, not redirected: the token must never be stored, not even in a message.
    return profile(request, new_token={"token": token, "raw": raw})


@require_POST
def token_revoke(request, pk):
    if not tokens.revoke_token(request.user, pk):
        raise Http404("No such token of yours.")
    messages.success(request, "Token revoked: it no longer works.")
    return redirect("profile")


def people_list(request):
    permissions.require(permissions.can_manage_people(request.user))
    users = User.objects.prefetch_related("teams").order_by("username")
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    teams = Team.objects.annotate(size=Count("members"))
    locked = logins.locked_accounts()
    for person in page.object_list:
        person.locked_until = locked.get(person.username)
    return render(request, "people/people_list.html", {"page": page, "teams": teams})


@require_POST
def user_unlock(request, pk: int):
    """Forget a person's failed logins, as `accord unlock` does."""
    permissions.require(permissions.can_manage_people(request.user))
    person = get_object_or_404(User, pk=pk)
    logins.unlock(username=person.username, actor=request.user)
    messages.success(request, f"Unlocked {person.username}: they may sign in again.")
    return redirect("people")


def user_edit(request, pk=None):
    permissions.require(permissions.can_manage_people(request.user))
    person = get_object_or_404(User, pk=pk) if pk else None
    form = UserForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        teams, password = data.pop("teams"), data.pop("password")
        if person is None:
            person = actions.create_user(request.user, password=password, teams=teams, **data)
            messages.success(request, f"Created {person.username}.")
            return redirect("people")
        try:
            fresh = User.objects.get(pk=person.pk)
            actions.update_user(request.user, fresh, teams=teams, password=password, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved {person.username}.")
            return redirect("people")
    history = (
        AuditLog.objects.filter(object_type="people.user", object_id=str(pk))[:20] if pk else []
    )
    context = {
        "form": form,
        "person": person,
        "history": history,
        "time_zones": zones.known_zones(),
    }
    return render(request, "people/user_form.html", context)


def team_edit(request, pk=None):
    permissions.require(permissions.can_manage_people(request.user))
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        team = actions.save_team(request.user, form.instance)
        messages.success(request, f"Saved team {team.name}.")
        return redirect("people")
    return render(request, "people/team_form.html", {"form": form, "team": team})
