"""Suggestions on assets: a rep files one (update, fix, a new asset is needed) and the asset's
owner answers it within a deadline in business hours of their own calendar (the service
levels' calendars and business-hours arithmetic). Pages, the API, the demo and the alerts'
tick call these verbs and nothing else to change a suggestion.

Alerts (`tick`): at risk (to the owner), breached (the owner and their managers), and
escalated a business day after the deadline (to the owner's managers), each once: a
`SuggestionAlert` is unique per suggestion and level. A tick looks back to the previous one,
at most a week, so a worker that was down for a month does not flood anybody.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.content.models import (
    STAGES,
    Asset,
    AssetVersion,
    Persona,
    Suggestion,
    SuggestionAlert,
    SuggestionSettings,
)
from accord.people import audit, notify, permissions
from accord.people.models import Team, User
from accord.sla.alerts import managers_of
from accord.sla.clocks import Calendars, calendars

DENIED_FILE = "Viewers read suggestions; members and above file them."
DENIED_ANSWER = (
    "Only the person the suggestion went to, their managers, content managers, leaders and "
    "admins answer it."
)
DENIED_SETTINGS = "Only admins and sales & marketing operations change the suggestion deadline."
MIN_REASON = 10
MAX_COMMENT = 2000
ACTIONS = ("accept", "decline", "done")
LOOK_BACK_AT_MOST = timedelta(days=7)
FIRST_LOOK_BACK = timedelta(minutes=1)


def answerer(asset: Asset) -> User | None:
    """Who must answer a suggestion on `asset`: its owner while active, else the first manager
    (by name) of its owner team; None when nobody answers for it."""
    if asset.owner is not None and asset.owner.is_active:
        return asset.owner
    if asset.owner_team_id is None:
        return None
    return (
        asset.owner_team.members.filter(is_active=True, role=User.Role.MANAGER)
        .order_by("first_name", "last_name", "pk")
        .first()
    )


def deadlines(
    owner_id: int | None,
    filed_at: datetime,
    rules: SuggestionSettings | None = None,
    cals: Calendars | None = None,
) -> tuple[datetime, datetime, datetime]:
    """(at risk at, due at, escalates at) of a suggestion filed at `filed_at` for `owner_id`,
    on the owner's business calendar (the one their follow-up clocks follow)."""
    rules = rules or SuggestionSettings.current()
    calendar = (cals or calendars()).of(owner_id)
    allowed = timedelta(hours=float(rules.response_hours))
    due_at = calendar.add(filed_at, allowed)
    at_risk_at = calendar.add(filed_at, allowed * float(rules.at_risk_share))
    return at_risk_at, due_at, calendar.add_days(due_at, 1)


def file_suggestion(
    actor,
    asset: Asset,
    *,
    kind: str,
    comment: str,
    stage: str = "",
    persona: str = "",
    objection: str = "",
    now: datetime | None = None,
) -> Suggestion:
    permissions.require(permissions.can_file_suggestion(actor), DENIED_FILE)
    errors: dict[str, str] = {}
    comment = str(comment or "").strip()
    if not comment:
        errors["comment"] = "Say what should change, or what is missing."
    elif len(comment) > MAX_COMMENT:
        errors["comment"] = f"At most {MAX_COMMENT:,} characters."
    if kind not in Suggestion.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Suggestion.Kind.values)}."
    stage, persona = str(stage or ""), str(persona or "")
    objection = " ".join(str(objection or "").split())
    if kind == Suggestion.Kind.NEW_ASSET:
        stages = [value for value, _ in STAGES]
        if stage and stage not in stages:
            errors["stage"] = f"Unknown stage {stage!r}. Choose from {', '.join(stages)}."
        if persona and persona not in Persona.values:
            errors["persona"] = (
                f"Unknown persona {persona!r}. Choose from {', '.join(Persona.values)}."
            )
        if len(objection) > 200:
            errors["objection"] = "At most 200 characters."
        if not (stage or persona or objection):
            errors["stage"] = "Say what the new asset is for: a stage, a persona or an objection."
    else:
        stage = persona = objection = ""
    owner = answerer(asset)
    if owner is None:
        errors["asset"] = (
            f"Nobody answers for {asset.title}: it has no active owner and no manager in its "
            "owner team. Ask a content manager to give it an owner."
        )
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    at_risk_at, due_at, escalates_at = deadlines(owner.pk, now)
    with transaction.atomic():
        suggestion = Suggestion.objects.create(
            asset=asset, kind=kind, stage=stage, persona=persona, objection=objection,
            comment=comment, filed_by=actor, filed_at=now, owner=owner,
            at_risk_at=at_risk_at, due_at=due_at, escalates_at=escalates_at,
        )  # fmt: skip
        audit.record(actor, "content.suggestion_filed", asset,
                     after={"suggestion": suggestion.pk, "kind": kind, "owner": owner.pk,
                            "due_at": due_at.isoformat()},
                     summary=f"{actor} suggested: {suggestion.get_kind_display()}")  # fmt: skip

        def body(_reader) -> str:
            return (
                f"{actor} on {asset.title}: {comment[:300]} "
                f"Answer by {timezone.localtime(due_at):%a %d %b %H:%M %Z}."
            )

        notify.notify(
            [owner], kind="content.suggestion_filed",
            title=f"Suggestion on {asset.title}: {suggestion.get_kind_display().lower()}",
            body=body, url=suggestion.get_absolute_url(),
            key=f"content.suggestion:{suggestion.pk}:filed", at=now,
        )  # fmt: skip
    return suggestion


def answer(
    actor,
    suggestion: Suggestion,
    *,
    action: str,
    due: date | None = None,
    reason: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Suggestion:
    """Accept (with the date it will be done by), decline (with a reason) or mark done (with
    the number of this asset's version that answers it, added since the suggestion). An open
    suggestion takes any of the three; an accepted one only done; a closed one nothing."""
    permissions.require(permissions.can_answer_suggestion(actor, suggestion), DENIED_ANSWER)
    now = now or timezone.now()
    if action not in ACTIONS:
        raise ValidationError({"action": f"Choose one of: {', '.join(ACTIONS)}."})
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        status = suggestion.status
        if suggestion.is_closed:
            raise ValidationError(
                f"This suggestion is already {suggestion.get_status_display().lower()}."
            )
        if status == Suggestion.Status.ACCEPTED and action != "done":
            raise ValidationError(
                "This suggestion is already accepted; mark it done once the new version is in."
            )
        fields = _checked_answer(suggestion, action, due, reason, version, now)
        before = {"status": status}
        for field, value in fields.items():
            setattr(suggestion, field, value)
        if suggestion.responded_at is None:
            suggestion.responded_at, suggestion.responded_by = now, actor
        suggestion.save()
        audit.record(actor, f"content.suggestion_{suggestion.status}", suggestion.asset,
                     before=before, after=_snapshot(suggestion),
                     summary=f"{actor} {_VERBS[action]} a suggestion")  # fmt: skip
        if suggestion.filed_by_id:
            notify.notify(
                [suggestion.filed_by], kind=f"content.suggestion_{suggestion.status}",
                title=f"Your suggestion on {suggestion.asset.title} was {_VERBS[action]}",
                body=_answer_text(suggestion), url=suggestion.get_absolute_url(),
                key=f"content.suggestion:{suggestion.pk}:{suggestion.status}", at=now,
            )  # fmt: skip
    return suggestion


_VERBS = {"accept": "accepted", "decline": "declined", "done": "done"}


def _checked_answer(suggestion, action, due, reason, number, now) -> dict:
    if action == "accept":
        if not isinstance(due, date):
            raise ValidationError({"due": "Give the date it will be done by."})
        if due < timezone.localdate(now):
            raise ValidationError({"due": f"{due:%b %-d, %Y} is in the past."})
        return {"status": Suggestion.Status.ACCEPTED, "due_on": due}
    if action == "decline":
        reason = " ".join(str(reason or "").split())
        if len(reason) < MIN_REASON:
            raise ValidationError(
                {"reason": f"Say why in at least {MIN_REASON} characters: the rep reads it."}
            )
        return {"status": Suggestion.Status.DECLINED, "reason": reason[:MAX_COMMENT]}
    if not isinstance(number, int) or isinstance(number, bool):
        raise ValidationError({"version": "Give the number of the version that answers it."})
    version = AssetVersion.objects.filter(asset_id=suggestion.asset_id, number=number).first()
    if version is None:
        raise ValidationError({"version": f"{suggestion.asset.title} has no version {number}."})
    if version.created_at < suggestion.filed_at:
        raise ValidationError(
            {"version": f"Version {number} is older than the suggestion; add the new one first."}
        )
    return {"status": Suggestion.Status.DONE, "version": version, "done_at": now}


def _answer_text(suggestion: Suggestion) -> str:
    if suggestion.status == Suggestion.Status.ACCEPTED:
        return f"It will be done by {suggestion.due_on:%a %d %b %Y}."
    if suggestion.status == Suggestion.Status.DECLINED:
        return f"Why: {suggestion.reason}"
    return f"Version {suggestion.version.number} answers it."


def _snapshot(suggestion: Suggestion) -> dict:
    return {
        "suggestion": suggestion.pk,
        "status": suggestion.status,
        "due_on": suggestion.due_on.isoformat() if suggestion.due_on else None,
        "reason": suggestion.reason,
        "version": suggestion.version.number if suggestion.version else None,
    }


# The settings.


def save_settings(actor, *, response_hours, at_risk_share) -> SuggestionSettings:
    permissions.require(permissions.can_edit_suggestion_settings(actor), DENIED_SETTINGS)
    errors = {}
    hours = _decimal(response_hours)
    if hours is None or not Decimal("0.5") <= hours <= Decimal("1000"):
        errors["response_hours"] = "Between 0.5 and 1,000 business hours."
    share = _decimal(at_risk_share)
    if share is None or not Decimal("0.05") <= share <= Decimal("0.99"):
        errors["at_risk_share"] = "Between 5% and 99% of the time."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = SuggestionSettings.objects.select_for_update().get(pk=SuggestionSettings.current().pk)
        before = {
            "response_hours": str(row.response_hours),
            "at_risk_share": str(row.at_risk_share),
        }
        row.response_hours = hours.quantize(Decimal("0.01"))
        row.at_risk_share = share.quantize(Decimal("0.001"))
        row.updated_at = timezone.now()
        row.save()
        audit.record(actor, "content.suggestion_settings_changed", row, before=before,
                     after={"response_hours": str(row.response_hours),
                            "at_risk_share": str(row.at_risk_share)},
                     summary=f"Suggestions answered within {row.response_hours} business hours"
                     )  # fmt: skip
    return row


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


# The alerts.


def tick(now: datetime | None = None) -> dict:
    """Raise the alerts for lines crossed since the last tick (at most a week back)."""
    now = now or timezone.now()
    raised = {level: 0 for level in SuggestionAlert.Level.values} | {"notifications": 0}
    with transaction.atomic():
        state = SuggestionSettings.objects.select_for_update().get(
            pk=SuggestionSettings.current().pk
        )
        since = max(state.last_tick_at or now - FIRST_LOOK_BACK, now - LOOK_BACK_AT_MOST)
        crossed = Suggestion.objects.filter(status=Suggestion.Status.OPEN).filter(
            at_risk_at__lte=now, escalates_at__gt=since
        )
        for suggestion in crossed.select_related("asset", "owner"):
            line = _line_crossed(suggestion, since, now)
            if line is not None:
                sent = _raise(suggestion, *line, now)
                if sent is not None:
                    raised[line[0]] += 1
                    raised["notifications"] += sent
        state.last_tick_at = now
        state.save(update_fields=["last_tick_at"])
    return raised


def _line_crossed(suggestion: Suggestion, since: datetime, now: datetime):
    """The furthest line the suggestion crossed in (since, now], with when: a tick that finds
    it already breached does not also say it is at risk."""
    for level, at in (
        (SuggestionAlert.Level.ESCALATED, suggestion.escalates_at),
        (SuggestionAlert.Level.BREACHED, suggestion.due_at),
        (SuggestionAlert.Level.AT_RISK, suggestion.at_risk_at),
    ):
        if since < at <= now:
            return level, at
    return None


def escalation_people(owner_id: int | None) -> list[User]:
    """Who hears of an escalation: the owner's managers; when they have none, the leaders of
    the owner's teams."""
    managers = managers_of(owner_id) if owner_id else []
    if managers or owner_id is None:
        return managers
    return list(
        User.objects.filter(
            is_active=True, role=User.Role.LEADER, teams__in=Team.objects.filter(members=owner_id)
        )
        .exclude(pk=owner_id)
        .distinct()
    )


def _raise(suggestion: Suggestion, level: str, at: datetime, now: datetime) -> int | None:
    """Notifications sent for a new alert; None when it was raised before."""
    _, created = SuggestionAlert.objects.get_or_create(
        suggestion=suggestion, level=level, defaults={"at": at, "raised_at": now}
    )
    if not created:
        return None
    owner = suggestion.owner if suggestion.owner and suggestion.owner.is_active else None
    who = str(owner or "nobody")
    title = suggestion.asset.title

    def due() -> str:
        return f"{timezone.localtime(suggestion.due_at):%a %d %b %H:%M %Z}"

    if level == SuggestionAlert.Level.AT_RISK:
        people, heading = [owner] if owner else [], f"At risk: a suggestion on {title}"

        def body(_reader) -> str:
            return f"Answer the suggestion by {due()}: accept it, decline it or mark it done."

    elif level == SuggestionAlert.Level.BREACHED:
        people = ([owner] if owner else []) + managers_of(suggestion.owner_id)
        heading = f"Breached: a suggestion on {title} is unanswered"

        def body(_reader) -> str:
            return f"It was due at {due()} and nobody has answered. Owner: {who}."

    else:
        people = escalation_people(suggestion.owner_id)
        heading = f"Escalated: a suggestion on {title} is a business day overdue"

        def body(_reader) -> str:
            return f"It was due at {due()}; {who} has still not answered. Please follow it up."

    return len(
        notify.notify(
            people, kind=f"content.suggestion_{level}", title=heading, body=body,
            url=suggestion.get_absolute_url(), key=f"content.suggestion:{suggestion.pk}:{level}",
            at=now,
        )
    )  # fmt: skip
