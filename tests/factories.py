"""What tests build their data from: the cast's password, the moment most stories start, and
plain functions that write the shared cast, channels, account and leads, and a world with one
of every kind of thing a page or the API names (`create_world`, for the security tests).

The fixtures in tests/conftest.py call these; a test module imports from here (never from a
conftest or another test module).
"""

import hashlib
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

import accord
from accord.attribution.models import Spend
from accord.calculators import actions as calculator_actions
from accord.calculators import business_case, capture
from accord.calculators import compute as calculator_compute
from accord.calculators.models import DeletionRequest, Submission
from accord.content import actions as content_actions
from accord.content import ratings as content_ratings
from accord.content import suggestions as content_suggestions
from accord.content.models import TrackedLink
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Channel,
    ImportJob,
    Lead,
    Opportunity,
    Touchpoint,
)
from accord.journey import actions as journey_actions
from accord.journey.models import CalendarFeed
from accord.people import notify, tokens
from accord.people.models import Team, User
from accord.plan import actions as plan_actions
from accord.qualify import actions as qualify_actions
from accord.qualify.models import BacktestRun
from accord.sla.models import BusinessCalendar, DayOff, FollowUpPolicy
from accord.webhooks.models import Delivery, Subscription

PASSWORD = "correct-horse-battery"

# For tests that start Accord in a subprocess with the production settings: a key of the
# kind the README asks for (`openssl rand -hex 32`; a weak one is refused), and where the
# subprocess imports accord from: the code under test, wherever this process found it.
PRODUCTION_SECRET_KEY = "3f1c9a7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"
ACCORD_SOURCE = str(Path(accord.__file__).resolve().parent.parent)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The small demo company: `accord demo` with these arguments (and its default seed, 7), as
# `build_demo_company(seed=7, scale=0.03, months=12, until=SMALL_DEMO_UNTIL)` writes it.
SMALL_DEMO_UNTIL = date(2026, 3, 2)
SMALL_DEMO = ("--scale", "0.03", "--months", "12", "--until", SMALL_DEMO_UNTIL.isoformat())


def create_teams() -> dict[str, Team]:
    return {
        "marketing": Team.objects.create(name="Marketing", kind=Team.Kind.MARKETING),
        "sales": Team.objects.create(name="Sales", kind=Team.Kind.SALES),
        "ops": Team.objects.create(name="Sales & marketing operations", kind=Team.Kind.SALES_OPS),
    }


def create_person(username: str, role: str, team: Team | None = None, **extra) -> User:
    """A user of the cast's kind: the cast's password, an example.com address, a first name."""
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.com",
        first_name=username.title(),
        role=role,
        **extra,
    )
    if team:
        user.teams.add(team)
    return user


def create_cast(teams: dict[str, Team]) -> dict[str, User]:
    """The shared cast (see tests/conftest.py), by username."""

    def person(username, role, team=None):
        return create_person(username, role, teams[team] if team else None)

    R = User.Role
    return {
        "ada": person("ada", R.ADMIN),
        "carol": person("carol", R.LEADER, "marketing"),
        "mona": person("mona", R.MANAGER, "marketing"),
        "mike": person("mike", R.MEMBER, "marketing"),
        "victor": person("victor", R.LEADER, "sales"),
        "sam": person("sam", R.MANAGER, "sales"),
        "alice": person("alice", R.MEMBER, "sales"),
        "bob": person("bob", R.MEMBER, "sales"),
        "vera": person("vera", R.VIEWER),
        "otto": person("otto", R.MEMBER, "ops"),
    }


def create_channels() -> dict[str, Channel]:
    return {
        key: Channel.objects.create(key=key, name=name, group=group)
        for key, name, group in [
            ("webinar", "Webinar", Channel.Group.MARKETING),
            ("paid_search", "Paid search", Channel.Group.MARKETING),
            ("outbound_sdr", "Outbound SDR", Channel.Group.SALES),
        ]
    }


def create_acme() -> Account:
    return Account.objects.create(
        name="Acme Robotics",
        domain="acme.example",
        industry="Manufacturing",
        employees=800,
        country="DE",
        created_at=T0,
    )


def create_lead(
    email: str,
    *,
    cast: dict[str, User],
    channels: dict[str, Channel],
    account: Account | None,
    owner: str | None = "alice",
    status: str = Lead.Status.NEW,
    source: str | None = "webinar",
    **extra,
) -> Lead:
    """A lead created at T0 (its status changed at `created_at`, else T0), owned by a member
    of the cast and sourced from one of the channels, both named by key."""
    return Lead.objects.create(
        email=email,
        first_name=extra.pop("first_name", email.split("@")[0].title()),
        last_name=extra.pop("last_name", "Tester"),
        account=account,
        owner=cast[owner] if owner else None,
        source=channels[source] if source else None,
        status=status,
        status_changed_at=extra.pop("created_at", T0),
        created_at=T0,
        **extra,
    )


WORLD_FEED_TOKEN = "world-feed-token-0123456789abcdefghijklmnopq"
WORLD_CALCULATOR = {
    "horizon_months": 12,
    "inputs": [{"key": "seats", "label": "Seats", "type": "whole", "min": 1, "max": 500, "default": 10}],
    "assumptions": [{"key": "saving", "label": "Saving a seat", "value": "100", "source": "Survey"}],
    "values": [{"key": "benefit", "label": "Benefit", "formula": "seats * saving", "is_output": True, "format": "money"}],
}  # fmt: skip


def create_world(folder: Path) -> dict:
    """The cast, and one object of each kind a page or the API names, by name (`cast` too):
    alice's MQL `lead` at `account` (Acme) with a touchpoint and a call, her `opportunity` in
    negotiation, a `campaign`, mona's draft `plan` (FY2026), mona's proposed `definition`
    and sam's `draft_definition`, a `backtest` of the first, otto's `uploaded_import` (a
    file in `folder`, waiting for its mapping) and `finished_import` (with a rejects file), otto's webhook `subscription` and a failed
    `delivery` of it,
    a follow-up `policy`, the company `calendar` with a `day_off`, a `spend_line`, and
    alice's `alices_token` and `alices_notification`, mike's draft `asset` (a case study with
    a PDF), his published `sent_asset` and the tracked `link` alice sent her lead to it,
    mona's proposed `calculator`, a `submission` to it from alice's lead and the `case_token`
    of its business case (its `pk` is the token). The security tests visit them all."""
    teams = create_teams()
    cast = create_cast(teams)
    channels = create_channels()
    acme = create_acme()
    t0 = T0
    lead = create_lead(
        "ann.lee@acme.example",
        cast=cast,
        channels=channels,
        account=acme,
        owner="alice",
        status=Lead.Status.MQL,
        title="VP Engineering",
    )
    campaign = Campaign.objects.create(
        name="Spring webinar", channel=channels["webinar"], kind=Campaign.Kind.WEBINAR,
        starts_on=date(2026, 2, 1), ends_on=date(2026, 4, 30), owner=cast["mike"],
    )  # fmt: skip
    CampaignCost.objects.create(campaign=campaign, month=date(2026, 2, 1), amount=D("5000"))
    Touchpoint.objects.create(
        lead=lead, channel=channels["webinar"], campaign=campaign,
        kind=Touchpoint.Kind.WEB_VISIT, occurred_at=t0 - timedelta(days=3),
    )  # fmt: skip
    Activity.objects.create(
        lead=lead, user=cast["alice"], kind=Activity.Kind.CALL, occurred_at=t0 + timedelta(hours=2)
    )
    opportunity = Opportunity.objects.create(
        name="Acme rollout", account=acme, primary_lead=lead, owner=cast["alice"],
        source=channels["webinar"], amount=D("73000"), stage=Opportunity.Stage.NEGOTIATION,
        created_at=t0 + timedelta(days=10), close_date=date(2026, 6, 30),
    )  # fmt: skip

    plan = plan_actions.create_plan(
        cast["mona"],
        name="FY2026",
        fiscal_year=2026,
        first_month=1,
        values=plan_actions.PlanValues(
            target=D("18984000"),
            asp=D("113000"),
            rates={k: D(v) for k, v in WORLD_PLAN_RATES.items()},
            lags={"opp_won": 60},
            basis={},
            shares={"marketing": D("0.6"), "sales": D("0.3"), "partner": D("0.1")},
            seasonality=[D(1)] * 12,
        ),
    )
    definition = qualify_actions.create_definition(cast["mona"], WORLD_DEFINITION)
    definition = qualify_actions.propose(cast["mona"], definition)  # carol and victor may sign
    draft = qualify_actions.create_definition(cast["sam"], {**WORLD_DEFINITION, "name": "Stricter"})
    backtest = BacktestRun.objects.create(
        definition=definition, window_from=date(2025, 1, 1), window_to=date(2025, 7, 1),
        created_by=cast["mona"], created_at=t0,
    )  # fmt: skip

    uploaded = folder / "leads.csv"
    uploaded.write_text("external_id,email,first_name\nX-1,ann.lee@acme.example,Ann\n")
    rejects = folder / "leads.rejects.csv"
    rejects.write_text("row,email,error\n2,not-an-email,not an email address\n")
    uploaded_import = ImportJob.objects.create(
        created_by=cast["otto"], kind="leads", original_name="leads.csv", path=str(uploaded),
        size=uploaded.stat().st_size, rows_total=1, format="accord", source_system="accord",
        columns={"external_id": "external_id", "email": "email", "first_name": "first_name"},
    )  # fmt: skip
    finished_import = ImportJob.objects.create(
        created_by=cast["otto"], kind="leads", original_name="old.csv", path=str(uploaded),
        size=1, rows_total=2, format="accord", source_system="accord",
        status=ImportJob.Status.DONE, started_at=t0, finished_at=t0,
        report={"kind": "leads", "rows": 2, "created": 1, "updated": 0, "unchanged": 0,
                "rejected": 1, "errors": [], "rejects_file": str(rejects)},
    )  # fmt: skip

    policy = FollowUpPolicy.objects.create(
        name="Every MQL", priority=10, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=["call", "email"],
    )  # fmt: skip
    calendar = BusinessCalendar.objects.create(team=None, time_zone="UTC", country="US")
    day_off = DayOff.objects.create(calendar=calendar, date=date(2026, 12, 24), name="Eve")
    spend_line = Spend.objects.create(
        month=date(2026, 2, 1), side=Spend.Side.MARKETING, channel=channels["webinar"],
        label="Webinar platform", amount=D("1200"),
    )  # fmt: skip

    subscription = Subscription.objects.create(
        url="https://hooks.example/accord", kinds=["lead.mql"], secret="whsec_" + "A" * 32,
        owner=cast["otto"], created_at=t0,
    )  # fmt: skip
    delivery = Delivery.objects.create(
        subscription=subscription, kind="lead.mql", message_id="msg_world", body="{}",
        status=Delivery.Status.FAILED, created_at=t0,
    )  # fmt: skip

    asset = content_actions.create_asset(
        cast["mike"], title="Acme case study", kind="case_study", stages=["mql"],
        version={"file": SimpleUploadedFile("acme.pdf", one_page_pdf())},  # with a preview
    )  # fmt: skip

    # A published asset alice sent to her lead: the public viewer's `link` (written directly,
    # so that the lead's timeline and follow-ups stay as above).
    sent_asset = content_actions.create_asset(
        cast["mike"], title="Acme pricing", kind="pricing_sheet", stages=["mql"],
        version={"file": SimpleUploadedFile("pricing.pdf", b"%PDF-1.7\n%%EOF\n")},
    )  # fmt: skip
    sent_asset = content_actions.publish(cast["mike"], sent_asset, today=t0.date())
    link = TrackedLink.objects.create(
        token="world-link-token-0123456789abcdefghijklmnopq", asset=sent_asset,
        version=sent_asset.versions.get(), lead=lead, sent_by=cast["alice"], sent_at=t0,
    )  # fmt: skip

    # mona's draft rating rubric, and alice's suggestion on mike's asset (mike must answer).
    rubric = content_ratings.create_rubric(
        cast["mona"], name="World rubric", criteria=WORLD_RUBRIC, now=t0
    )
    suggestion = content_suggestions.file_suggestion(
        cast["alice"], asset, kind="fix", comment="The logo is the old one.", now=t0
    )

    # mona's ROI calculator, its v1 proposed: carol and victor may sign its assumptions.
    calculator = calculator_actions.create_calculator(cast["mona"], name="World ROI", kind="roi")
    calculator_actions.save_draft(cast["mona"], calculator.versions.get(), WORLD_CALCULATOR)
    calculator_actions.propose(cast["mona"], calculator.versions.get())
    # What ann typed into it (as the public page stores it): the `submission` alice may adjust;
    # `case_token` opens its business case.
    version = calculator.versions.get()
    result = calculator_compute.compute(version, calculator_compute.defaults(version))
    submission = Submission.objects.create(
        calculator=calculator, version=version, email=lead.email, lead=lead, account=acme,
        inputs=result.stored_inputs(), results=result.stored_values(), created_at=t0,
    )  # fmt: skip
    case_token = SimpleNamespace(pk=business_case.public_token(submission))
    # Her TCO calculator, published (both leaders signed): its public page, live results and
    # submit (/c/world-tco/...), and a visitor's deletion request with its mailed link.
    public_calculator = calculator_actions.create_calculator(
        cast["mona"], name="World TCO", kind="tco"
    )
    calculator_actions.save_draft(cast["mona"], public_calculator.versions.get(), WORLD_CALCULATOR)
    calculator_actions.propose(cast["mona"], public_calculator.versions.get())
    calculator_actions.approve(cast["carol"], public_calculator.versions.get())
    calculator_actions.approve(cast["victor"], public_calculator.versions.get())
    erasure = DeletionRequest.objects.create(email="ann.lee@example.com", requested_at=t0)
    erasure_link = SimpleNamespace(
        pk=signing.dumps({"r": erasure.pk, "e": erasure.email}, salt=capture.ERASURE_SALT)
    )

    # mona's customer journey, proposed (carol and victor may sign it): one Sales stage whose
    # deliverable belongs to the account executive (alice), and alice's calendar feed.
    journey_actions.set_role(cast["mona"], teams["sales"], "Account executive", cast["alice"])
    journey = journey_actions.create_journey(
        cast["mona"], name="World journey", starts_on=date(2026, 1, 5), ends_on=date(2026, 12, 31)
    )
    journey_stage = journey_actions.add_stage(
        cast["mona"], journey, name="Evaluation", team=teams["sales"], role="Account executive",
        funnel_step="sal_sql",
    )  # fmt: skip
    deliverable = journey_actions.add_deliverable(
        cast["mona"], journey_stage, title="Call list", anchor="fixed",
        fixed_on=date(2026, 2, 2), today=date(2026, 1, 5),
    )  # fmt: skip
    journey_actions.propose(cast["mona"], journey)
    CalendarFeed.objects.create(
        user=cast["alice"], digest=hashlib.sha256(WORLD_FEED_TOKEN.encode()).hexdigest(),
        created_at=t0,
    )  # fmt: skip

    alices_token, _ = tokens.issue_token(cast["alice"], name="phone", scope="read")
    (alices_notification,) = notify.notify(
        [cast["alice"]], kind="sla.at_risk", title="Ann Lee is at risk", url=f"/leads/{lead.pk}/"
    )
    return {
        **cast,
        "cast": cast,
        "sales_team": teams["sales"],
        "lead": lead,
        "account": acme,
        "opportunity": opportunity,
        "campaign": campaign,
        "plan": plan,
        "definition": definition,
        "draft_definition": draft,
        "backtest": backtest,
        "uploaded_import": uploaded_import,
        "finished_import": finished_import,
        "policy": policy,
        "calendar": calendar,
        "day_off": day_off,
        "spend_line": spend_line,
        "alices_token": alices_token,
        "alices_notification": alices_notification,
        "subscription": subscription,
        "delivery": delivery,
        "asset": asset,
        "sent_asset": sent_asset,
        "link": link,
        "rubric": rubric,
        "suggestion": suggestion,
        "calculator": calculator,
        "submission": submission,
        "case_token": case_token,
        "public_calculator": public_calculator,
        "erasure_link": erasure_link,  # its pk is the signed token the link carries
        "journey": journey,
        "journey_stage": journey_stage,
        "deliverable": deliverable,
    }


def one_page_pdf() -> bytes:
    """A real PDF of one blank page (made by pdfium), which the library draws a preview of."""
    document = pypdfium2.PdfDocument.new()
    document.new_page(612, 792)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


WORLD_RUBRIC = [
    {"key": key, "name": name, "labels": [f"{name} {n}" for n in range(1, 6)]}
    for key, name in (("accuracy", "Accuracy"), ("fit", "Fit"), ("reaction", "Reaction"))
]
WORLD_PLAN_RATES = {"lead_mql": "0.1", "mql_sal": "0.7", "sal_sql": "0.6", "sql_opp": "0.8",
              "opp_won": "0.25"}  # fmt: skip
WORLD_DEFINITION = {
    "name": "Fit and intent",
    "rules": [
        {"type": "fit", "field": "title", "op": "contains", "value": "vp", "points": 40},
        {"type": "engagement", "touch_kind": "web_visit", "points": 5, "cap": 20},
    ],
    "grade_thresholds": {"A": 60, "B": 30, "C": 10},
    "mql_grades": ["A", "B"],
    "mql_min_score": 20,
}
