"""The demo company's suggestions on its library: a year of reps asking for updates, fixes and
new assets, about one a week or more. Most were answered, most in time and some late; a few
recent ones are open, some of them past their deadline as of the demo's today. Deadlines are
the real ones (the owner's business calendar and the default settings), written in bulk with
the audit trail the verbs would have left."""

import random
from datetime import UTC, date, datetime, time, timedelta

from accord.content.models import STAGES, Asset, Persona, Suggestion, SuggestionSettings
from accord.content.suggestions import answerer, deadlines
from accord.demo.company import REPS
from accord.people.models import AuditLog, User
from accord.sla.clocks import calendars

COMMENTS = {
    Suggestion.Kind.UPDATE: (
        "The customer logos are a year old; two of them churned.",
        "Prices changed in the spring: the tiers here are the old ones.",
        "Add the new integrations, buyers keep asking about them.",
        "The benchmark figures predate the latest release.",
    ),
    Suggestion.Kind.FIX: (
        "Page 3 quotes the wrong support hours.",
        "The link to the trial is broken.",
        "Typo in the headline of slide 2.",
        "The chart's axis labels are swapped.",
    ),
    Suggestion.Kind.NEW_ASSET: (
        "Nothing to send a CFO who asks for payback in months.",
        "Buyers in procurement want a security one-pager.",
        "We lose deals on 'we already have a warehouse'; a battlecard would help.",
        "A short video for end users before the demo.",
    ),
}
OBJECTIONS = ("Too expensive", "We already have a warehouse", "Security review", "No time")
REASONS = (
    "The pricing sheet covers this; send that instead.",
    "Out of scope this quarter; we will revisit it in the next planning.",
    "The figures are still right: checked with finance.",
)
WEEKS = 52


def install(seed: int, until: date) -> int:
    """Write the suggestions as of the start of `until` (the demo's today); how many."""
    rng = random.Random(seed * 104729 + 31)
    now = datetime.combine(until, time(0), tzinfo=UTC)
    assets = list(
        Asset.objects.filter(status=Asset.Status.PUBLISHED).select_related("owner", "owner_team")
    )
    reps = list(User.objects.filter(username__in=REPS, is_active=True))
    if not assets or not reps:
        return 0
    rules, cals = SuggestionSettings.current(), calendars()
    owners = {asset.pk: answerer(asset) for asset in assets}
    versions = {
        asset.pk: sorted(asset.versions.values_list("created_at", "pk", "number"))
        for asset in assets
    }
    rows, log = [], []
    # A year of weeks, then the last few days: the open ones, some already overdue.
    moments = [now - timedelta(days=7 * week + rng.uniform(0, 7)) for week in range(1, WEEKS)]
    moments += [now - timedelta(days=rng.uniform(0.2, 9)) for _ in range(5)]
    for filed_at in sorted(moments):
        # In working hours on a weekday (UTC: the hours of most of the demo's reps overlap).
        filed_at = filed_at.replace(
            hour=rng.randint(13, 21), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
        )
        if filed_at.weekday() >= 5:
            filed_at -= timedelta(days=filed_at.weekday() - 4)
        if filed_at >= now:
            continue
        live = [a for a in assets if a.published_at and a.published_at < filed_at]
        if not live:
            continue
        asset = rng.choice(live)
        owner = owners[asset.pk]
        if owner is None:
            continue
        kind = rng.choices(list(Suggestion.Kind), weights=(5, 3, 2))[0]
        at_risk_at, due_at, escalates_at = deadlines(owner.pk, filed_at, rules, cals)
        row = Suggestion(
            asset=asset, kind=kind, comment=rng.choice(COMMENTS[kind]),
            filed_by=rng.choice(reps), filed_at=filed_at, owner=owner,
            at_risk_at=at_risk_at, due_at=due_at, escalates_at=escalates_at,
        )  # fmt: skip
        if kind == Suggestion.Kind.NEW_ASSET:
            row.stage = rng.choice(asset.stages or [STAGES[1][0]])
            row.persona = rng.choice(asset.personas or [Persona.CHAMPION])
            row.objection = rng.choice(OBJECTIONS) if rng.random() < 0.5 else ""
        if now - filed_at > timedelta(days=10) or rng.random() < 0.3:
            _answer(rng, row, cals.of(owner.pk), versions[asset.pk], now)
        rows.append(row)
    Suggestion.objects.bulk_create(rows)
    for row in rows:
        log.append(_entry(row.filed_by, "content.suggestion_filed", row, row.filed_at,
                          f"{row.filed_by} suggested: {row.get_kind_display()}"))  # fmt: skip
        if row.responded_at:
            summary = f"{row.responded_by} answered a suggestion"
            log.append(_entry(row.responded_by, f"content.suggestion_{row.status}", row,
                              row.responded_at, summary))  # fmt: skip
    AuditLog.objects.bulk_create(log)
    return len(rows)


def _answer(rng: random.Random, row: Suggestion, calendar, versions, now: datetime) -> None:
    """Answered within 1 to 15 business hours four times in five, else 17 to 40 (late)."""
    hours = rng.uniform(1, 15) if rng.random() < 0.8 else rng.uniform(17, 40)
    responded_at = calendar.add(row.filed_at, timedelta(hours=hours))
    if responded_at >= now:
        return  # not answered yet, as of today
    row.responded_at, row.responded_by = responded_at, row.owner
    later = [(at, pk, number) for at, pk, number in versions if at >= row.filed_at]
    if later and later[0][0] < now:
        row.status, row.version_id, row.done_at = Suggestion.Status.DONE, later[0][1], later[0][0]
    elif row.kind != Suggestion.Kind.FIX and rng.random() < 0.3:
        row.status, row.reason = Suggestion.Status.DECLINED, rng.choice(REASONS)
    else:
        row.status = Suggestion.Status.ACCEPTED
        row.due_on = (responded_at + timedelta(days=rng.randint(5, 30))).date()


def _entry(actor, action: str, row: Suggestion, moment: datetime, summary: str) -> AuditLog:
    asset = row.asset
    return AuditLog(actor=actor, action=action, object_type=asset._meta.label_lower,
                    object_id=str(asset.pk), summary=summary, at=moment)  # fmt: skip
