"""The weekly digest: one email, the same for the CMO and the VP of sales, with both teams'
commitments side by side, and only what is off track.

Marketing answers for its MQLs and the pipeline they source against the signed plan, the
lead value it delivers against its quota in dollars, and how many of its MQLs sales
accepts (with the top rejection reasons). Sales answers for following up every MQL in
time, never leaving one untouched, each rep's compliance, a first answer (a follow-up or an
accept/reject verdict) inside the service level, bookings against the plan, the win rate,
and next quarter's coverage. Plan figures are this quarter's to date (the scoreboard's);
follow-up figures are the MQLs of the week before the digest's Monday.

Every line names its owner (the plan's owner of that stage, else the team's leader) and
links to its page. Lines on track are left out; when all are, the digest says there is
nothing to report. It goes out on Monday from ACCORD_DIGEST_HOUR in the company's time
zone (the worker checks every hour), to leaders unless they opt out and to anyone who opts
in on their profile page, never twice in one ISO week to the same person (the week is
claimed before sending; a mail server that is down hands it back for the next check).
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accord.analytics.pacing import BEHIND_BELOW, default_period
from accord.content import queries as content_queries
from accord.core.periods import FIRST_YEAR, LAST_YEAR
from accord.crm.models import Opportunity
from accord.journey import queries as journey_queries
from accord.people import zones
from accord.people.models import Team, User
from accord.people.notify import absolute_url
from accord.plan import queries as plan_queries
from accord.plan.models import PlanRevision
from accord.qualify import reviews, value
from accord.scoreboard import queries
from accord.sla import queries as sla_queries

logger = logging.getLogger(__name__)

# What "on track" means where the plan has no figure of its own.
COMPLIANCE_TARGET = 0.9  # MQLs followed up inside their service level
NEVER_FOLLOWED_UP_LIMIT = 0.1  # MQLs of the week nobody touched at all
TOP_REASONS = 3


class DigestWeekError(ValueError):
    """A week that does not exist, or has not begun."""


@dataclass(frozen=True)
class Line:
    label: str
    figure: str
    on_track: bool
    link: str  # a path on this site
    owner: str


@dataclass
class Digest:
    week: str  # ISO week, "2026-W49"
    monday: date
    as_of: datetime
    plan_name: str
    period_label: str
    marketing: list[Line] = field(default_factory=list)
    sales: list[Line] = field(default_factory=list)

    @property
    def marketing_behind(self) -> list[Line]:
        return [line for line in self.marketing if not line.on_track]

    @property
    def sales_behind(self) -> list[Line]:
        return [line for line in self.sales if not line.on_track]

    @property
    def all_on_track(self) -> bool:
        return not self.marketing_behind and not self.sales_behind

    @property
    def as_of_here(self) -> str:
        """When the figures were read, on the clock of the zone active (the reader's)."""
        local = timezone.localtime(self.as_of)
        return f"{local:%a %b %-d, %H:%M %Z} ({timezone.get_current_timezone_name()})"

    @property
    def subject(self) -> str:
        behind = len(self.marketing_behind) + len(self.sales_behind)
        if not behind:
            return f"Accord weekly, {self.week}: nothing to report"
        plural = "s" if behind != 1 else ""
        return f"Accord weekly, {self.week}: {behind} commitment{plural} off track"

    def text(self) -> str:
        lines = [
            f"Accord weekly digest, week {self.week} (from {self.monday:%A %b %-d, %Y})",
            f"As of {self.as_of_here}.",
            f"Against {self.plan_name}, {self.period_label}.",
            "",
        ]
        if self.all_on_track:
            lines += ["Nothing to report: every commitment of both teams is on track.", ""]
        for title, behind in (("MARKETING", self.marketing_behind), ("SALES", self.sales_behind)):
            lines.append(title)
            if not behind:
                lines.append("  Nothing to report: on track.")
            for line in behind:
                lines += [
                    f"- {line.label}: {line.figure}",
                    f"  Owner: {line.owner}. {absolute_url(line.link)}",
                ]
            lines.append("")
        lines += [
            "--",
            f"This week's digest in Accord: {absolute_url(reverse('scoreboard:digest'))}",
            f"Stop or start getting it: {absolute_url(reverse('profile'))}",
        ]
        return "\n".join(lines)

    def html(self) -> str:
        return render_to_string(
            "scoreboard/digest_email.html",
            {"d": self, "base": settings.ACCORD_BASE_URL.rstrip("/")},
        )


def parse_week(text: str) -> tuple[int, int]:
    """'2026-W49' -> (2026, 49); a clear error for anything else."""
    try:
        year, _, number = text.strip().upper().partition("-W")
        year, number = int(year), int(number)
        date.fromisocalendar(year, number, 1)
        if not FIRST_YEAR <= year <= LAST_YEAR:  # the years a plan can have
            raise ValueError
    except ValueError:
        raise DigestWeekError(
            f"{text!r} is not a week: use an ISO week like 2026-W49 "
            f"(a year from {FIRST_YEAR} to {LAST_YEAR}, with 52 or 53 weeks)."
        ) from None
    return year, number


def week_of(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def _money(amount) -> str:
    return f"${Decimal(amount):,.0f}"


def _percent(fraction) -> str:
    return f"{float(fraction):.0%}" if fraction is not None else "—"


def _leader(kind: str) -> User | None:
    return (
        User.objects.filter(is_active=True, role=User.Role.LEADER, teams__kind=kind)
        .order_by("pk")
        .first()
    )


def _name(user: User | None, fallback: str) -> str:
    return (user.get_full_name() or user.username) if user else fallback


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return reverse(name) + (f"?{query}" if query else "")


def build(now: datetime | None = None, week: str | None = None) -> Digest:
    """The digest of `week` (default: the week holding `now`), as of its Monday at the digest
    hour, or now if that is earlier."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    if week:
        year, number = parse_week(week)
        monday = date.fromisocalendar(year, number, 1)
    else:
        today = timezone.localtime(now, tz).date()
        monday = today - timedelta(days=today.weekday())
    send_at = timezone.make_aware(datetime.combine(monday, time(settings.ACCORD_DIGEST_HOUR)), tz)
    if monday > timezone.localtime(now, tz).date():
        raise DigestWeekError(f"Week {week_of(monday)} has not begun.")
    as_of = min(send_at, now)
    today = timezone.localtime(as_of, tz).date()
    week_from, week_to = monday - timedelta(days=7), monday - timedelta(days=1)

    plan = plan_queries.default_plan(today)
    revision = plan.in_force if plan else None
    marketing_lead = _leader(Team.Kind.MARKETING)
    sales_lead = _leader(Team.Kind.SALES)
    goals = {g.stage: g.owner for g in revision.goals.select_related("owner")} if revision else {}

    def owner(stage: str, leader: User | None, team: str) -> str:
        return _name(goals.get(stage) or leader, f"the {team} leader")

    digest = Digest(
        week=week_of(monday),
        monday=monday,
        as_of=as_of,
        plan_name=plan.name if revision else "no plan in force",
        period_label="",
    )
    board = None
    if revision:
        board = queries.scoreboard(revision, default_period(plan.months, today), as_of)
    if board:
        digest.period_label = f"{board['period'].label} to date"
        rows = {row["metric"].key: row for row in board["rows"]}
        for key, stage, target in (
            ("mql_marketing", "mql", digest.marketing),
            ("marketing_pipeline", "opportunity", digest.marketing),
        ):
            target.append(_pace_line(rows[key], owner(stage, marketing_lead, "marketing")))
    digest.marketing += _marketing_lines(as_of, week_from, week_to, revision, owner, marketing_lead)
    digest.marketing += _content_lines(today, as_of)
    journey = _journey_lines(as_of)
    digest.marketing += journey["marketing"]
    digest.sales += _follow_up_lines(as_of, week_from, week_to, sales_lead)
    digest.sales += journey["sales"]
    if board:
        rows = {row["metric"].key: row for row in board["rows"]}
        digest.sales.append(_pace_line(rows["bookings"], owner("won", sales_lead, "sales")))
        digest.sales.append(_win_rate(board, revision, as_of, owner("won", sales_lead, "sales")))
        digest.sales.append(_coverage(board["coverage"], owner("opportunity", sales_lead, "sales")))
    return digest


def _pace_line(row: dict, owner: str) -> Line:
    pace, metric = row["pace"], row["metric"]
    show = _money if metric.money else (lambda n: f"{int(n):,}")
    return Line(
        label=metric.label,
        figure=(
            f"{show(pace.actual)} against {show(pace.plan_to_date)} planned to date "
            f"({_percent(pace.ratio)})"
        ),
        on_track=pace.state != "behind",
        link=row["link"] or reverse("scoreboard:home"),
        owner=owner,
    )


def _marketing_lines(as_of, week_from, week_to, revision, owner, leader) -> list[Line]:
    lines = []
    opts = value.choose_options(today=timezone.localdate(as_of))
    delivered = value.delivered_value(value.lead_values(opts, reached="mql"), as_of)
    total = delivered["total"]
    if total["quota"]:
        lines.append(
            Line(
                label="Lead value delivered",
                figure=(
                    f"{_money(total['value'])} against a quota of {_money(total['quota'])} "
                    f"to date ({_percent(total['ratio'])})"
                ),
                on_track=total["ratio"] is not None and total["ratio"] >= BEHIND_BELOW,
                link=reverse("leadvalue:home"),
                owner=owner("mql", leader, "marketing"),
            )
        )
    rates = reviews.rejection_rates(week_from, week_to)
    reviewed = rates.total.reviewed
    if reviewed:
        accepted = Decimal(rates.total.accepted) / reviewed
        wanted = Decimal(revision.rates["mql_sal"]) if revision else None
        reasons = ", ".join(
            f"{r.label} ({r.rejected})" for r in rates.by_reason[:TOP_REASONS] if r.rejected
        )
        figure = f"{_percent(accepted)} of {reviewed:,} MQLs reviewed last week accepted"
        if wanted is not None:
            figure += f" (the plan counts on {_percent(wanted)})"
        if reasons:
            figure += f"; top rejection reasons: {reasons}"
        lines.append(
            Line(
                label="Acceptance rate",
                figure=figure,
                on_track=wanted is None or accepted >= wanted * BEHIND_BELOW,
                link=_url("reviews:home", date_from=week_from, date_to=week_to),
                owner=owner("sal", leader, "marketing"),
            )
        )
    return lines


def _one_owner(people: list[User]) -> dict:
    return {"owner": people[0].pk} if len(people) == 1 else {}


def _content_lines(today: date, as_of: datetime) -> list[Line]:
    """One line per person with assets overdue for review, and one per owner of suggestions
    past their response deadline: what content answers to sales for."""
    lines = []
    for group in content_queries.overdue_reviews(today):
        assets = group["assets"]
        named = ", ".join(a["asset"].title for a in assets[:3])
        more = f" and {len(assets) - 3} more" if len(assets) > 3 else ""
        plural = "s" if len(assets) != 1 else ""
        lines.append(
            Line(
                label="Content overdue for review",
                figure=(
                    f"{len(assets)} asset{plural} past the review date, the oldest by "
                    f"{max(a['days'] for a in assets)} days: {named}{more}"
                ),
                on_track=False,
                link=_url("content:list", review="overdue", **_one_owner(group["people"])),
                owner=group["owner"],
            )
        )
    by_owner: dict[str, list] = {}
    for suggestion in content_queries.overdue_suggestions(as_of):
        name = suggestion.owner.display_name if suggestion.owner else "nobody"
        by_owner.setdefault(name, []).append(suggestion)
    for name, late in by_owner.items():
        plural = "s" if len(late) != 1 else ""
        oldest = late[0]
        lines.append(
            Line(
                label="Suggestions past their deadline",
                figure=(
                    f"{len(late)} suggestion{plural} from reps unanswered past the deadline, the "
                    f"oldest on {oldest.asset.title} (due {_local(oldest.due_at)})"
                ),
                on_track=False,
                link=_url(
                    "content:suggestions",
                    show="overdue",
                    **({"owner": oldest.owner_id} if oldest.owner_id else {}),
                ),  # fmt: skip
                owner=name,
            )
        )
    return lines


def _journey_lines(as_of: datetime) -> dict[str, list[Line]]:
    """One line per owner of journey deliverables past their date, on the side of the team
    that answers for the stage (marketing and content; sales and SDR)."""
    sides: dict[str, dict[str, list]] = {"marketing": {}, "sales": {}}
    for row in journey_queries.late_deliverables(as_of):
        team = row.deliverable.stage.team
        side = "marketing" if team.kind in (Team.Kind.MARKETING, Team.Kind.CONTENT) else "sales"
        name = str(row.owner) if row.owner else f"nobody ({row.owner_label})"
        sides[side].setdefault(name, []).append(row)
    lines: dict[str, list[Line]] = {"marketing": [], "sales": []}
    for side, owners in sides.items():
        for name, late in owners.items():
            stuck = sum(r.status == "stuck" for r in late)
            named = "; ".join(
                f"{r.deliverable.title} ({_business_days(r.standing.late_days)})" for r in late[:3]
            )
            more = f" and {len(late) - 3} more" if len(late) > 3 else ""
            lines[side].append(
                Line(
                    label="Journey deliverables past their date",
                    figure=f"{len(late)} late"
                    + (f", {stuck} of them stuck" if stuck else "")
                    + f": {named}{more}",
                    on_track=False,
                    link=late[0].deliverable.get_absolute_url(),
                    owner=name,
                )
            )
    return lines


def _business_days(days: int) -> str:
    return f"{days} business day{'s' if days != 1 else ''}"


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%b %-d, %H:%M}"


def _follow_up_lines(as_of, week_from, week_to, leader) -> list[Line]:
    board = sla_queries.board(week_from, week_to, as_of=as_of)
    total = board["total"]
    if not total["due"]:
        return []
    link = _url("sla:board", date_from=week_from, date_to=week_to)
    who = _name(leader, "the sales leader")
    below = [
        r
        for r in board["reps"]
        if r["due"] and r["compliance"] is not None and r["compliance"] < COMPLIANCE_TARGET
    ]
    never = total["never_followed_up_share"] or 0
    return [
        Line(
            label="Follow-up compliance",
            figure=(
                f"{_percent(total['compliance'])} of last week's {total['due']:,} MQLs followed "
                f"up inside their service level (target {_percent(COMPLIANCE_TARGET)})"
            ),
            on_track=total["compliance"] is not None and total["compliance"] >= COMPLIANCE_TARGET,
            link=link,
            owner=who,
        ),
        Line(
            label="Never followed up",
            figure=(
                f"{total['never_followed_up']:,} of last week's MQLs ({_percent(never)}) were "
                f"never touched (limit {_percent(NEVER_FOLLOWED_UP_LIMIT)})"
            ),
            on_track=never <= NEVER_FOLLOWED_UP_LIMIT,
            link=link,
            owner=who,
        ),
        Line(
            label="Reps below target",
            figure=(
                ", ".join(f"{r['name']} {_percent(r['compliance'])}" for r in below)
                if below
                else "none"
            ),
            on_track=not below,
            link=link,
            owner=who,
        ),
        Line(
            label="First answer in time",
            figure=(
                f"{_percent(total['first_compliance'])} of last week's MQLs got a first "
                "follow-up or an accept/reject verdict inside the service level"
            ),
            on_track=(
                total["first_compliance"] is not None
                and total["first_compliance"] >= COMPLIANCE_TARGET
            ),
            link=link,
            owner=who,
        ),
    ]


def _win_rate(board: dict, revision: PlanRevision, as_of: datetime, owner: str) -> Line:
    period = board["period"]
    since = timezone.make_aware(datetime.combine(period.start, time.min))
    closed = Opportunity.objects.filter(
        stage__in=Opportunity.CLOSED_STAGES, closed_at__gte=since, closed_at__lte=as_of
    ).aggregate(closed=Count("id"), won=Count("id", filter=Q(stage=Opportunity.Stage.WON)))
    wanted = Decimal(revision.rates["opp_won"])
    rate = Decimal(closed["won"]) / closed["closed"] if closed["closed"] else None
    figure = (
        f"{_percent(rate)} of {closed['closed']:,} deals closed this quarter won "
        f"(the plan counts on {_percent(wanted)})"
        if rate is not None
        else "no deal closed this quarter yet"
    )
    return Line(
        label="Win rate",
        figure=figure,
        on_track=rate is None or rate >= wanted * BEHIND_BELOW,
        link=board["won_link"] or reverse("scoreboard:home"),
        owner=owner,
    )


def _coverage(found, owner: str) -> Line:
    ratio = f"{found.ratio}×" if found.ratio is not None else "—"
    return Line(
        label=f"Next quarter's coverage, {found.label}",
        figure=(
            f"{ratio} against {found.ratio_wanted.normalize():f}× wanted: "
            f"{_money(found.open_amount)} open, {_money(found.pipeline_wanted)} needed by "
            f"{found.next_quarter[0]:%b %-d} ({_money(found.pace_today)} on pace today)"
        ),
        on_track=found.on_track,
        link=found.link,
        owner=owner,
    )


# --- Sending ---------------------------------------------------------------------------------


def recipients():
    """Everybody the weekly digest is for: leaders unless they opted out, and anyone who
    opted in; active, with an email address."""
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(weekly_digest=True) | Q(weekly_digest=None, role=User.Role.LEADER))
        .order_by("pk")
    )


def due(now: datetime) -> bool:
    """Monday, from the digest hour on, in the company's time zone."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    return local.weekday() == 0 and local.hour >= settings.ACCORD_DIGEST_HOUR


def send(now: datetime | None = None, *, week: str | None = None, force: bool = False) -> int:
    """Send the digest to every recipient who has not had this week's; how many got it.
    Outside Monday's window nothing is sent unless `force` (the command line)."""
    now = now or timezone.now()
    if not force and not due(now):
        return 0
    digest = build(now, week)
    sent = 0
    for person in recipients().exclude(last_weekly_digest=digest.week):
        before = person.last_weekly_digest
        # Claim the week first: a second run, even a concurrent one, finds it taken.
        claimed = (
            User.objects.filter(pk=person.pk)
            .exclude(last_weekly_digest=digest.week)
            .update(last_weekly_digest=digest.week)
        )
        if not claimed:
            continue
        with zones.reading_as(person):
            message = EmailMultiAlternatives(digest.subject, digest.text(), to=[person.email])
            message.attach_alternative(digest.html(), "text/html")
        try:
            message.send(using="default")
        except Exception:
            logger.exception("Could not email the weekly digest to %s", person.email)
            User.objects.filter(pk=person.pk).update(last_weekly_digest=before)
            continue
        sent += 1
    return sent
