"""Where a plan goal stands: met, on track, at risk, missed, or no measure. Worked out, never
typed in.

A goal (a stage, an owner, a due date) is measured by the stage's number reaching the plan's
figure by the due date, or by a journey deliverable being done by then. Both need read models
above the plan's floor (the actuals of the scoreboard, the deliverables of the journey), so the
app that holds them registers a `source` here (`@measured_by`) when it loads, and the plan page
asks `statuses()`: the plan never imports what stands above it. A goal no source measures is
shown as having no measure.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from accord.plan.models import PlanRevision

MET, ON_TRACK, AT_RISK, MISSED, NO_MEASURE = "met", "on_track", "at_risk", "missed", "no_measure"
LABELS = {
    MET: "Met",
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    MISSED: "Missed",
    NO_MEASURE: "No measure",
}


@dataclass(frozen=True)
class GoalStatus:
    status: str
    measure: str = ""  # the measure in words: "420 SQLs by 30 Jun 2026"
    detail: str = ""  # where it stands in words: "310 so far; 96% of the pace to date"

    @property
    def label(self) -> str:
        return LABELS[self.status]


Source = Callable[[PlanRevision, datetime | None], dict[str, GoalStatus]]
_sources: list[Source] = []


def measured_by(source: Source) -> Source:
    """Register a source: given a revision and the moment, stage -> status of its goals."""
    if source not in _sources:
        _sources.append(source)
    return source


def statuses(revision: PlanRevision, now: datetime | None = None) -> dict[str, GoalStatus]:
    """Stage -> the status of the revision's goal for it; every goal has one."""
    found: dict[str, GoalStatus] = {}
    for source in _sources:
        found.update(source(revision, now))
    for stage in revision.goals.values_list("stage", flat=True):
        found.setdefault(stage, GoalStatus(NO_MEASURE))
    return found
