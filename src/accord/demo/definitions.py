"""The demo company's lead definitions: the one in force, and a proposal to discuss.

v1 is what Northwind's marketing and sales agreed when its history starts: fit from title,
industry, company size and email domain, engagement from what leads did. v2 is marketing
operations' proposal: the same fit, engagement that fades with a 30-day half-life, and a
higher bar. The demo's statuses come from its simulation, so the build scores every lead
under v1 without promoting anybody; a real activation promotes.
"""

from datetime import datetime

from django.utils import timezone

from accord.people import audit
from accord.people.models import User
from accord.qualify.models import DefinitionApproval, LeadDefinition, ScoringRun
from accord.qualify.scoring import rescore


def _fit(field, op, value, points, label=""):
    return {
        "type": "fit",
        "field": field,
        "op": op,
        "value": value,
        "points": points,
        "label": label,
    }


def _touch(points, kind="", cap=None, half_life=None, label=""):
    return {
        "type": "engagement",
        "touch_kind": kind,
        "points": points,
        "cap": cap,
        "half_life_days": half_life,
        "label": label,
    }


FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "hotmail.com"]
FIT_RULES = [
    _fit("title", "starts_with", "chief", 30, "C-level"),
    _fit("title", "starts_with", "vp", 35, "Vice president"),
    _fit("title", "contains", "director", 30, "Director"),
    _fit("title", "starts_with", "head of", 30, "Head of a function"),
    _fit("title", "contains", "manager", 15, "Manager"),
    _fit("industry", "one_of", ["Software", "Financial services"], 25, "Best industries"),
    _fit("industry", "one_of", ["Healthcare", "Manufacturing", "Logistics"], 10, "Good industries"),
    _fit("industry", "one_of", ["Education", "Government"], -15, "Slow buyers"),
    _fit("employees", "between", [200, 10000], 20, "Mid-market and enterprise"),
    _fit("email_domain", "one_of", FREE_MAIL, -40, "Free-mail address"),
    _fit("title", "one_of", ["Student", "MSc Student", "PhD Candidate", "Graduate Student",
                             "Open to Work", "Job Seeker", "Between Roles"], -60,
         "Students and job seekers"),
]  # fmt: skip
THRESHOLDS = {"A": 60, "B": 40, "C": 20}


def engagement(half_life=None):
    return [
        _touch(40, "demo_request", cap=40, label="Asked for a demo"),
        _touch(12, "calculator", cap=24, half_life=half_life, label="Used a value calculator"),
        _touch(10, "webinar", cap=20, half_life=half_life, label="Attended a webinar"),
        _touch(10, "event", cap=20, half_life=half_life, label="Met us at an event"),
        _touch(8, "form_fill", cap=16, half_life=half_life, label="Filled in a form"),
        _touch(4, "content_view", cap=20, half_life=half_life, label="Read content"),
        _touch(3, "email_click", cap=15, half_life=half_life, label="Clicked an email"),
        _touch(2, "web_visit", cap=20, half_life=half_life, label="Visited the website"),
    ]


def install(start: datetime, until: datetime) -> LeadDefinition:
    """Write v1 (active since `start`) and v2 (proposed), and score every lead under v1."""
    people = {u.username: u for u in User.objects.filter(
        username__in=["cmo", "vp.sales", "ops.manager", "marketing.manager"]
    )}  # fmt: skip
    began = start
    v1 = LeadDefinition.objects.create(
        version=1,
        name="Fit and intent",
        status=LeadDefinition.Status.ACTIVE,
        rules=FIT_RULES + engagement(),
        grade_thresholds=THRESHOLDS,
        mql_grades=["A", "B"],
        mql_min_score=40,
        note="Agreed at the revenue kick-off.",
        created_by=people.get("ops.manager"),
        created_at=began,
        proposed_by=people.get("ops.manager"),
        proposed_at=began,
        approved_at=began,
        activated_by=people.get("ops.manager"),
        activated_at=began,
    )
    for username, side in (("cmo", "marketing"), ("vp.sales", "sales")):
        if username in people:
            DefinitionApproval.objects.create(
                definition=v1, user=people[username], side=side, approved_at=began
            )
    audit.record(
        people.get("ops.manager"),
        "definition.activated",
        v1,
        after=v1.snapshot(),
        summary="Activated v1 (demo company history)",
    )
    now = until
    proposer = people.get("marketing.manager")
    v2 = LeadDefinition.objects.create(
        version=2,
        name="Fading engagement, higher bar",
        status=LeadDefinition.Status.PROPOSED,
        based_on=v1,
        rules=FIT_RULES + engagement(half_life=30),
        grade_thresholds=THRESHOLDS,
        mql_grades=["A", "B"],
        mql_min_score=45,
        note="Old clicks should not make an MQL; engagement halves every 30 days.",
        created_by=proposer,
        created_at=now,
        proposed_by=proposer,
        proposed_at=now,
    )
    audit.record(
        proposer, "definition.proposed", v2, after=v2.snapshot(),
        summary="Proposed v2 for sign-off by marketing and sales",
    )  # fmt: skip
    rescore(v1, trigger=ScoringRun.Trigger.MANUAL, now=min(now, timezone.now()), promote=False)
    return v1
