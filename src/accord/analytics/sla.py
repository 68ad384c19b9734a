"""Follow-up service levels: the clocks of one MQL spell, evaluated as of a moment.

Pure: it gets the facts of a lead's spell as MQL (owners over time, follow-ups, reviews),
the policy that applies and the business calendar, and says where each clock stands.

The rules, in the words the product documents them:

- A clock starts when a lead becomes MQL (each time it does). Reassignment never restarts
  it: the new owner inherits the time already used, so handing a lead on cannot hide a
  breach. A breach belongs to whoever owned the lead when the deadline passed.
- First response: the first follow-up of a counted kind by the lead's owner at that moment,
  or the owner's accept/reject verdict in Sales review, whichever comes first. Met if it
  comes by the deadline (H business hours after the start), breached otherwise.
- Attempts: follow-ups of counted kinds by the owner at that moment, from the start to the
  deadline (the end of D business days). Met at the N-th.
- Closed: the lead left MQL (accepted, rejected, recycled...) before a clock's deadline and
  before it was met: that clock is no longer due, neither met nor breached.
- Closed by hand: a person took the lead out of MQL outside Sales review, moving it back
  (to new or recycled) or disqualifying it. Before any counted follow-up by the owner, that
  is no answer at all: the clocks it cut short count as breached against the owner
  (unassigned if nobody owned it). After one, they are closed as above. Either way the
  board lists the move, who made it and why.
- At risk: not met, not past the deadline, and at least `at_risk_share` of the allowed
  business time used.
- Unassigned: nobody owns the lead at the moment of evaluation (or at a deadline that
  passed): a breach of process, counted with the breaches and shown on its own.
- Never followed up: a spell whose attempt window is over (deadline passed or left MQL)
  without a single counted follow-up by anybody.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.analytics.business_hours import Calendar

ON_TRACK, AT_RISK, MET, BREACHED, CLOSED, UNASSIGNED = (
    "on_track",
    "at_risk",
    "met",
    "breached",
    "closed",
    "unassigned",
)
STATUS_LABELS = {
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    MET: "Met",
    BREACHED: "Breached",
    CLOSED: "Closed",
    UNASSIGNED: "Unassigned",
}
FINAL = (MET, BREACHED, UNASSIGNED)  # a clock in one of these is "due" (counts in compliance)


@dataclass(frozen=True)
class Policy:
    id: int
    name: str
    priority: int
    first_response: timedelta  # business time
    attempts: int
    attempt_days: int  # business days
    attempt_kinds: frozenset[str]
    at_risk_share: float  # 0 < share < 1
    grades: frozenset[str] = frozenset()  # empty: any
    sources: frozenset[str] = frozenset()  # channel keys; empty: any
    touch_kind: str = ""  # the lead has a touchpoint of this kind...
    touch_window: timedelta = timedelta(days=30)  # ...at most this long before the start

    def applies(
        self, grade: str, source: str, touches: Mapping[str, Sequence[datetime]], start: datetime
    ) -> bool:
        """Whether a spell starting at `start` is in the segment. `touches`: the lead's
        touchpoint times by kind, up to the start. A demo asked for months ago says nothing
        about a lead nurture brings back now, hence the window."""
        if self.grades and grade not in self.grades:
            return False
        if self.sources and source not in self.sources:
            return False
        if not self.touch_kind:
            return True
        since = start - self.touch_window
        return any(at >= since for at in touches.get(self.touch_kind, ()))


def choose_policy(
    policies: Sequence[Policy],
    grade: str,
    source: str,
    touches: Mapping[str, Sequence[datetime]],
    start: datetime,
) -> Policy | None:
    """The policy with the lowest priority number among those whose segment matches."""
    for policy in sorted(policies, key=lambda p: p.priority):
        if policy.applies(grade, source, touches, start):
            return policy
    return None


@dataclass(frozen=True)
class HandClose:
    """A person ended the spell outside Sales review: moved the lead back down the funnel or
    disqualified it."""

    at: datetime
    by: int | None
    to_status: str
    reason: str


@dataclass(frozen=True)
class Spell:
    """A lead's time as MQL and what happened in it."""

    lead_id: int
    started_at: datetime
    ended_at: datetime | None  # when it left MQL, if it has
    left_to: str  # the status it left for ("" while MQL)
    owners: tuple[tuple[datetime, int | None], ...]  # (since, owner), sorted; first = at start
    follow_ups: tuple[tuple[datetime, int | None, str], ...]  # (at, user, kind), sorted
    verdicts: tuple[tuple[datetime, int | None], ...] = ()  # (at, reviewer), sorted
    hand_close: HandClose | None = None  # how it ended, when closed by hand

    def owner_at(self, moment: datetime) -> int | None:
        owner = self.owners[0][1] if self.owners else None
        for since, who in self.owners:
            if since <= moment:
                owner = who
            else:
                break
        return owner


@dataclass
class Clock:
    status: str
    due_at: datetime
    at_risk_at: datetime
    done_at: datetime | None = None  # when it was met
    owner: int | None = None  # who answers for it (see module doc)
    closed_by_hand: bool = False  # cut short by a person (see module doc)


@dataclass
class Evaluation:
    lead_id: int
    policy: Policy
    started_at: datetime
    first: Clock
    attempts: Clock
    attempts_made: int
    first_touch_hours: float | None  # business hours from the start to the first response
    never_followed_up: bool | None  # None while the attempt window is open
    owner: int | None  # the owner it is counted against
    reassigned: bool = False
    hand_close: HandClose | None = None  # set when it cut a clock short
    events: list = field(default_factory=list)
    left_mql: bool = False  # the lead left MQL (by the moment evaluated): nothing to do now

    @property
    def status(self) -> str:
        """One word for the lead: breached beats unassigned beats at risk beats on track."""
        states = [c.status for c in (self.first, self.attempts) if c.status != CLOSED]
        for word in (BREACHED, UNASSIGNED, AT_RISK, ON_TRACK):
            if word in states:
                return word
        return MET if MET in states else CLOSED

    @property
    def due(self) -> bool:
        return self.status in FINAL

    @property
    def charged_for_hand_close(self) -> bool:
        """Closed by hand before any answer: its cut-short clocks count against the owner."""
        return any(c.closed_by_hand and c.status in FINAL for c in (self.first, self.attempts))

    @property
    def needs_follow_up(self) -> bool:
        """Still MQL with a clock not met: on track, at risk, unassigned, or breached and
        still waiting for its owner (a breach does not end the work)."""
        return not self.left_mql and self.status in (BREACHED, UNASSIGNED, AT_RISK, ON_TRACK)

    @property
    def next_due(self) -> datetime:
        """The earliest deadline of a clock not met or closed (past, for a breach)."""
        waiting = [c.due_at for c in (self.first, self.attempts) if c.status not in (MET, CLOSED)]
        return min(waiting) if waiting else max(self.first.due_at, self.attempts.due_at)


def evaluate(spell: Spell, policy: Policy, calendar: Calendar, as_of: datetime) -> Evaluation:
    start = spell.started_at
    first_due = calendar.add(start, policy.first_response)
    attempts_due = calendar.add_days(start, policy.attempt_days)
    left = spell.ended_at if spell.ended_at is not None and spell.ended_at <= as_of else None

    counted = [
        (at, user)
        for at, user, kind in spell.follow_ups
        if kind in policy.attempt_kinds and start <= at <= as_of
    ]
    by_owner = [at for at, user in counted if user is not None and user == spell.owner_at(at)]
    verdicts = [
        at
        for at, user in spell.verdicts
        if start <= at <= as_of and user is not None and user == spell.owner_at(at)
    ]
    responses = sorted(by_owner[:1] + verdicts[:1])
    response = responses[0] if responses else None
    hand_close = spell.hand_close if left is not None else None
    # Closed before the owner's first counted follow-up: no answer, so no excuse.
    unanswered = hand_close is not None and not any(at <= left for at in by_owner)

    first = _clock(
        calendar,
        start,
        first_due,
        policy.at_risk_share,
        done=response,
        left=left,
        as_of=as_of,
        owner_of=spell.owner_at,
        by_hand=hand_close is not None,
        unanswered=unanswered,
    )
    in_window = [at for at in by_owner if at <= attempts_due]
    nth = in_window[policy.attempts - 1] if len(in_window) >= policy.attempts else None
    attempts = _clock(
        calendar,
        start,
        attempts_due,
        policy.at_risk_share,
        done=nth,
        left=left,
        as_of=as_of,
        owner_of=spell.owner_at,
        by_hand=hand_close is not None,
        unanswered=unanswered,
    )
    window_over = as_of >= attempts_due or left is not None
    owners = {who for _, who in spell.owners if who is not None}
    return Evaluation(
        lead_id=spell.lead_id,
        policy=policy,
        started_at=start,
        first=first,
        attempts=attempts,
        attempts_made=len([at for at in by_owner if at <= min(attempts_due, as_of)]),
        first_touch_hours=(
            calendar.elapsed(start, response).total_seconds() / 3600 if response else None
        ),
        never_followed_up=(not counted) if window_over else None,
        owner=first.owner if first.status in FINAL else spell.owner_at(as_of),
        reassigned=len(owners) > 1,
        hand_close=hand_close if first.closed_by_hand or attempts.closed_by_hand else None,
        left_mql=left is not None,
    )


def _clock(
    calendar, start, due, share, *, done, left, as_of, owner_of, by_hand=False, unanswered=False
) -> Clock:
    allowed = calendar.elapsed(start, due)
    at_risk_at = calendar.add(start, allowed * share)
    clock = Clock(status=ON_TRACK, due_at=due, at_risk_at=at_risk_at)
    if done is not None and done <= due:
        clock.status, clock.done_at, clock.owner = MET, done, owner_of(done)
    elif left is not None and left < due and (done is None or done > left):
        clock.status, clock.owner = CLOSED, owner_of(left)
        clock.closed_by_hand = by_hand
        if unanswered:
            clock.status = BREACHED if clock.owner is not None else UNASSIGNED
    elif as_of >= due or (done is not None and done > due):
        owner = owner_of(due)
        clock.status, clock.owner = (BREACHED if owner is not None else UNASSIGNED), owner
    else:
        owner = owner_of(as_of)
        clock.owner = owner
        if owner is None:
            clock.status = UNASSIGNED
        elif as_of >= at_risk_at:
            clock.status = AT_RISK
    return clock


# --- Summaries ---------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class RepFigures:
    rep: int | None
    due: int = 0
    met: int = 0
    breached: int = 0
    at_risk: int = 0
    on_track: int = 0
    never_followed_up: int = 0
    window_over: int = 0
    closed_by_hand: int = 0  # spells a person closed before any answer (see module doc)
    first_due: int = 0
    first_met: int = 0
    attempts_due: int = 0
    attempts_met: int = 0
    attempts_made: int = 0
    touch_hours: list = field(default_factory=list)

    @property
    def compliance(self) -> float | None:
        return _share(self.met, self.due)

    @property
    def first_compliance(self) -> float | None:
        return _share(self.first_met, self.first_due)

    @property
    def attempts_compliance(self) -> float | None:
        return _share(self.attempts_met, self.attempts_due)

    @property
    def median_first_touch_hours(self) -> float | None:
        return statistics.median(self.touch_hours) if self.touch_hours else None

    @property
    def attempts_per_lead(self) -> float | None:
        return _share(self.attempts_made, self.attempts_due)

    @property
    def never_followed_up_share(self) -> float | None:
        return _share(self.never_followed_up, self.window_over)

    def add(self, e: Evaluation) -> None:
        status = e.status
        if status in FINAL:
            self.due += 1
            if status == MET:
                self.met += 1
            else:  # breached and unassigned both count against compliance
                self.breached += 1
        elif status == AT_RISK:
            self.at_risk += 1
        elif status == ON_TRACK:
            self.on_track += 1
        if e.first.status in FINAL:
            self.first_due += 1
            self.first_met += e.first.status == MET
        if e.attempts.status in FINAL:
            self.attempts_due += 1
            self.attempts_met += e.attempts.status == MET
            self.attempts_made += e.attempts_made
        if e.first_touch_hours is not None:
            self.touch_hours.append(e.first_touch_hours)
        if e.never_followed_up is not None:
            self.window_over += 1
            self.never_followed_up += e.never_followed_up
        self.closed_by_hand += e.charged_for_hand_close


def summarise(evaluations: Sequence[Evaluation]) -> tuple[RepFigures, dict]:
    """Company totals and figures per rep (key: the owner counted against; None = nobody)."""
    total = RepFigures(rep=None)
    reps: dict[int | None, RepFigures] = {}
    for e in evaluations:
        total.add(e)
        reps.setdefault(e.owner, RepFigures(rep=e.owner)).add(e)
    return total, reps
