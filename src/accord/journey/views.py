"""Journey pages: the list, the board (stages across, deliverables down), the timeline, a
person's deliverables and their calendar feed, the accountability table, the roles, and the
forms that map a journey. Every change goes through `journey.actions`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accord.core.forms import as_percent, errors_onto
from accord.journey import actions, feeds, goals, queries, schedule, timeline
from accord.journey.forms import (
    CopyForm,
    DeliverableForm,
    GoalMeasureForm,
    JourneyForm,
    LaunchForm,
    RoleForm,
    StageEditForm,
    StageForm,
)
from accord.journey.models import Deliverable, Journey, JourneyRevision, JourneyRole, Stage
from accord.people import permissions
from accord.plan.models import PlanGoal


def journey_list(request):
    rows = [queries.journey_summary(j) for j in queries.journeys()]
    return render(
        request,
        "journey/list.html",
        {"rows": rows, "can_edit": permissions.can_edit_journey(request.user)},
    )


def journey_new(request):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    form = JourneyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            journey = actions.create_journey(request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Journey created: add its stages.")
            return redirect(journey)
    return render(request, "journey/form.html", {"form": form, "title": "New journey"})


def journey_edit(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    journey = get_object_or_404(Journey, pk=pk)
    initial = {
        f: getattr(journey, f)
        for f in ("name", "segment", "starts_on", "ends_on", "stuck_after_days")
    } | {"at_risk_share": as_percent(journey.at_risk_share)}
    form = JourneyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            journey, moved = actions.edit_journey(request.user, journey, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            _say_moved(request, "Saved.", moved)
            return redirect(journey)
    return render(
        request, "journey/form.html", {"form": form, "title": f"Edit {journey}", "journey": journey}
    )


def journey_copy(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    journey = get_object_or_404(Journey, pk=pk)
    form = CopyForm(
        request.POST or None, initial={"name": f"{journey.name} (copy)", "segment": journey.segment}
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = actions.copy_journey(request.user, journey, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Copied {journey.name}; its dates follow the new start.")
            return redirect(copy)
    return render(
        request,
        "journey/form.html",
        {"form": form, "title": f"Copy {journey} for a new period or segment", "journey": journey},
    )


def _say_moved(request, done: str, moved) -> None:
    if moved:
        listed = "; ".join(str(m) for m in moved)
        messages.success(request, f"{done} {len(moved)} open deliverable(s) moved: {listed}.")
    else:
        messages.success(request, done)


def board(request, pk: int):
    journey = get_object_or_404(Journey, pk=pk)
    found = queries.board(journey)
    revisions = [
        {
            "revision": r,
            "can_sign": actions.approval_blocker(request.user, r) is None,
            "can_decline": actions.decline_blocker(request.user, r) is None,
        }
        for r in journey.revisions.prefetch_related("approvals__user")
    ]
    can_edit = permissions.can_edit_journey(request.user)
    roles = schedule.Roles()
    for column in found["columns"]:
        for row in column.rows:
            blocker = actions.complete_blocker(request.user, row.deliverable, roles)
            row.can_complete = blocker is None
    anchored = {
        d.anchor_campaign
        for d in Deliverable.objects.filter(stage__journey=journey, anchor_campaign__isnull=False)
        .select_related("anchor_campaign")
    }  # fmt: skip
    return render(
        request,
        "journey/board.html",
        {
            **found,
            "revisions": revisions,
            "can_edit": can_edit,
            "stage_form": StageForm() if can_edit else None,
            "launch_form": LaunchForm() if can_edit and anchored else None,
            "anchored_campaigns": sorted(anchored, key=lambda c: c.starts_on),
        },
    )


def journey_timeline(request, pk: int):
    journey = get_object_or_404(Journey, pk=pk)
    found = queries.board(journey, with_health=False)
    return render(
        request,
        "journey/timeline.html",
        {"journey": journey, "chart": timeline.chart(journey, found["columns"])},
    )


@require_POST
def stage_new(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    journey = get_object_or_404(Journey, pk=pk)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            actions.add_stage(request.user, journey, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Stage added.")
            return redirect(journey)
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(errors)}")
    return redirect(journey)


def stage_edit(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    stage = get_object_or_404(Stage.objects.select_related("journey", "team"), pk=pk)
    fields = ("name", "team", "role", "funnel_step", "entry_criteria", "exit_criteria", "order")
    form = StageEditForm(request.POST or None, initial={f: getattr(stage, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            actions.edit_stage(request.user, stage, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Saved the stage {form.cleaned_data['name']}.")
            return redirect(stage.journey)
    return render(
        request,
        "journey/form.html",
        {
            "form": form,
            "title": f"Edit the stage {stage.name}",
            "journey": stage.journey,
            "delete_url": reverse("journey:stage_delete", args=[stage.pk]),
            "delete_confirm": f"Delete the stage {stage.name} and its "
            f"{stage.deliverables.count()} deliverables?",
        },
    )


def deliverable_new(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    stage = get_object_or_404(Stage.objects.select_related("journey", "team"), pk=pk)
    form = DeliverableForm(request.POST or None, journey=stage.journey)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_deliverable(request.user, stage, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, "Deliverable added.")
            return redirect(stage.journey)
    return render(
        request,
        "journey/deliverable_form.html",
        {
            "form": form,
            "stage": stage,
            "journey": stage.journey,
            "title": f"New deliverable in {stage.name}",
        },
    )


def deliverable_edit(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    deliverable = get_object_or_404(queries.deliverables(), pk=pk)
    journey = deliverable.stage.journey
    initial = {f: getattr(deliverable, f) for f in actions.DELIVERABLE_FIELDS}
    form = DeliverableForm(
        request.POST or None, initial=initial, journey=journey, exclude=deliverable
    )
    if request.method == "POST" and form.is_valid():
        try:
            _, moved = actions.edit_deliverable(request.user, deliverable, **form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            _say_moved(request, f"Saved {deliverable.title}.", moved)
            return redirect(journey)
    return render(
        request,
        "journey/deliverable_form.html",
        {
            "form": form,
            "stage": deliverable.stage,
            "journey": journey,
            "title": f"Edit {deliverable.title}",
            "delete_url": reverse("journey:deliverable_delete", args=[deliverable.pk]),
            "delete_confirm": f"Delete {deliverable.title}?",
        },
    )


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
def stage_delete(request, pk: int):
    """Delete a stage and its deliverables (the page asked first)."""
    stage = get_object_or_404(Stage.objects.select_related("journey"), pk=pk)
    try:
        actions.delete_stage(request.user, stage)
    except ValidationError as error:
        _refused(request, error)
        return redirect("journey:stage_edit", pk=stage.pk)
    messages.success(request, f"Deleted the stage {stage.name}.")
    return redirect(stage.journey)


@require_POST
def deliverable_delete(request, pk: int):
    """Delete a deliverable (the page asked first)."""
    deliverable = get_object_or_404(queries.deliverables(), pk=pk)
    journey = deliverable.stage.journey
    try:
        actions.delete_deliverable(request.user, deliverable)
    except ValidationError as error:
        _refused(request, error)
        return redirect("journey:deliverable_edit", pk=deliverable.pk)
    messages.success(request, f"Deleted {deliverable.title}.")
    return redirect(journey)


@require_POST
def deliverable_complete(request, pk: int):
    deliverable = get_object_or_404(queries.deliverables(), pk=pk)
    try:
        _, moved = actions.complete(request.user, deliverable)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        _say_moved(request, f"{deliverable.title} is done.", moved)
    return redirect(
        request.POST.get("next") == "mine" and "journey:mine" or deliverable.stage.journey
    )


@require_POST
def campaign_launch(request, pk: int):
    permissions.require(permissions.can_edit_journey(request.user), actions.EDIT_DENIED)
    journey = get_object_or_404(Journey, pk=pk)
    form = LaunchForm(request.POST)
    if form.is_valid():
        try:
            moved = actions.move_campaign_launch(
                request.user, form.cleaned_data["campaign"], form.cleaned_data["starts_on"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            _say_moved(request, "Launch moved.", moved)
    else:
        messages.error(request, "Choose a campaign and its new launch day.")
    return redirect(journey)


VERBS = {
    "propose": lambda user, revision, post: actions.propose(user, revision.journey),
    "approve": lambda user, revision, post: actions.approve(user, revision),
    "decline": lambda user, revision, post: actions.decline(
        user, revision, post.get("comment", "")
    ),
}


@require_POST
def journey_act(request, pk: int, number: int, verb: str):
    if verb not in VERBS:
        raise Http404("No such action.")
    revision = get_object_or_404(
        JourneyRevision.objects.select_related("journey"), journey_id=pk, number=number
    )
    try:
        result = VERBS[verb](request.user, revision, request.POST)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(revision.journey)
    done = {
        "propose": "Proposed: it now needs a marketing and a sales leader's signatures.",
        "decline": "Declined; the proposer is told why.",
        "approve": "Signed. Both teams are now held to this journey."
        if result.status == JourneyRevision.Status.SIGNED
        else "Signed. It now needs the other side's signature.",
    }
    messages.success(request, done[verb])
    return redirect(revision.journey)


def roles(request):
    can_edit = permissions.can_edit_journey(request.user)
    form = RoleForm(request.POST or None)
    if request.method == "POST":
        permissions.require(can_edit, actions.EDIT_DENIED)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.set_role(request.user, data["team"], data["name"], data["holder"])
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, f"{data['name']} of {data['team']} saved.")
                return redirect("journey:roles")
    return render(
        request,
        "journey/roles.html",
        {
            "roles": JourneyRole.objects.select_related("team", "holder"),
            "form": form if can_edit else None,
        },
    )


def mine(request):
    return render(
        request,
        "journey/mine.html",
        {
            "rows": queries.my_deliverables(request.user),
            "feed_url": request.session.pop("journey_feed", ""),
        },
    )


@require_POST
def feed_new(request):
    """A new secret calendar address for the signed-in person (the old one stops working)."""
    token = actions.issue_feed(request.user)
    request.session["journey_feed"] = request.build_absolute_uri(feeds.path(token))
    messages.success(request, "Your calendar address is below; it is shown once.")
    return redirect("journey:mine")


@login_not_required
@require_GET
def feed(request, token: str):
    user = feeds.owner(token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(feeds.ics(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deliverables.ics"'
    return response


def accountability(request):
    found = queries.accountability()
    for group in found["teams"] + found["owners"]:
        share = group["on_time_share"]
        group["bar"] = round(120 * float(share)) if share is not None else 0
    tables = [("Teams", found["teams"]), ("Owners", found["owners"])]
    plan, _, goal_rows = goals.plan_goals_shown()
    return render(
        request,
        "journey/accountability.html",
        {**found, "tables": tables, "plan": plan, "goal_rows": goal_rows},
    )


def goal_measures(request):
    """The plan's goals (stage, owner, due date) with how each is measured and where it
    stands; managers and leaders choose the measure here."""
    plan, revision, rows = goals.plan_goals_shown()
    can_edit = permissions.can_edit_plan(request.user)
    posted = None
    if request.method == "POST":
        permissions.require(can_edit, actions.GOAL_DENIED)
        posted = GoalMeasureForm(request.POST)
        if posted.is_valid():
            data = posted.cleaned_data
            goal = get_object_or_404(PlanGoal, pk=data["goal"], revision=revision)
            try:
                actions.set_goal_measure(request.user, goal, data["kind"], data["deliverable"])
            except ValidationError as error:
                errors_onto(posted, error)
            else:
                messages.success(
                    request, f"The {goal.get_stage_display()} goal's measure is saved."
                )
                return redirect("journey:goals")
    for row in rows:
        goal, measure = row["goal"], row["measure"]
        if not can_edit:
            row["form"] = None
        elif posted is not None and posted.data.get("goal") == str(goal.pk):
            row["form"] = posted
        else:
            row["form"] = GoalMeasureForm(
                initial={
                    "goal": goal.pk,
                    "kind": measure.kind if measure else "",
                    "deliverable": measure.deliverable_id if measure else None,
                },
                auto_id=f"id_g{goal.pk}_%s",
            )
    return render(request, "journey/goals.html", {"plan": plan, "revision": revision, "rows": rows})
