"""The permission matrix: every page of the URL configuration × every person of the cast and
an anonymous visitor × GET and POST, checked against the README's "Roles" table as
people/permissions.py decides it.

The URLs come from `get_resolver()`, not from a list: a new URL fails
`test_every_url_has_a_rule_and_a_filling` until RULES says who reads it and who may POST to
it, and FILL (for a URL with arguments) which object of the world goes into it (the world:
tests/factories.py, `create_world`, one of every kind of thing a page names). The API has
its own test (tests/security/test_api_fuzz.py); static files and the favicon redirect are
skipped.

Every request is sent once by Django's test client (which skips CSRF checks), a POST with an
empty body, inside a savepoint rolled back after it: each cell starts from the same world.
For every POST that its sender may not make (anonymous, not in the rule's set, a read-only
page, and every POST of vera, the viewer), the content of every table is compared before and
after: such a POST must change nothing.

Size on this branch: 75 URLs (from 64 patterns; an id goes into each, and each verb, kind
and format of the URLs that take one) × 11 visitors (the 10 of the cast and an anonymous
one) × 2 methods = 1,650 requests, in 20-30 s on a shared 2-core machine (2-3 s a visitor).
"""

import hashlib
import re
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from accord.core.models import Generation
from accord.people import permissions
from accord.sla.models import LeadClocks
from tests import factories

# The matrix runs once, in the module's fixture; the mark lets pytest-django set the database up.
pytestmark = pytest.mark.django_db

# --- The rules: who reads each page, who may POST to it ----------------------------------------

CAST = ("ada", "carol", "victor", "mona", "sam", "mike", "alice", "bob", "vera", "otto")
EVERYBODY = frozenset(CAST)
ADMINS = frozenset({"ada"})
LEADERS = frozenset({"carol", "victor"})
MANAGERS = frozenset({"mona", "sam"})
# Plans, lead definitions and backtests: admins, leaders and managers.
PLANNERS = ADMINS | LEADERS | MANAGERS
# The imports: admins, sales & marketing operations (otto), leaders and managers.
IMPORTERS = PLANNERS | {"otto"}
# Attribution runs: planners and the analysts of sales & marketing operations (otto).
ANALYSTS = PLANNERS | {"otto"}
# Webhooks: admins and sales & marketing operations (otto).
HOOK_KEEPERS = ADMINS | {"otto"}
# Follow-up policies and business hours: admins, leaders (and managers of operations: none here).
SLA_KEEPERS = ADMINS | LEADERS
# Spend and unit economics: admins, leaders, and managers of marketing (mona) or operations.
SPEND_KEEPERS = ADMINS | LEADERS | {"mona"}
# The world's lead and deal are alice's (a sales rep): admins and leaders change every lead,
# sam manages her team, alice works her own; mona manages marketing, bob and mike are other
# members, otto's operations team syncs through imports only, vera is a viewer.
ALICES_WORKERS = ADMINS | LEADERS | {"sam", "alice"}
ALICES_ROUTERS = ADMINS | LEADERS | {"sam"}  # members work their leads but do not hand them out
# Sales and SDR members land on their follow-up queue ("/" sends them there); alice's queue
# is opened by her, her manager (sam), leaders and admins: those who may work her leads.
REPS = frozenset({"alice", "bob"})
ALICES_QUEUE_READERS = ALICES_WORKERS
# What both teams sign: a marketing leader and a sales leader.
SIGNERS = LEADERS
# The content library: admins, leaders, managers and marketing/content members add assets;
# mike's asset is changed by him, content managers (mona manages marketing), leaders and admins.
ASSET_MAKERS = PLANNERS | {"mike"}
MIKES_ASSET_KEEPERS = ADMINS | LEADERS | {"mona", "mike"}
# Suggestions to mike: he answers, and so do mona (his manager, a content manager), leaders
# and admins; everybody but the viewer files them and rates content.
MIKES_ANSWERERS = MIKES_ASSET_KEEPERS
MEMBERS_AND_UP = EVERYBODY - {"vera"}
RUBRIC_EDITORS = ADMINS | LEADERS | {"mona"}  # mona manages marketing: a content manager
SUGGESTION_RULES_KEEPERS = ADMINS | {"otto"}  # admins and sales & marketing operations

# Value calculators: admins, leaders and marketing managers (mona) build them.
CALCULATOR_BUILDERS = ADMINS | LEADERS | {"mona"}
# The world's journey deliverable belongs to the account executive of Sales (alice): she, her
# manager (sam), the Sales leader (victor) and admins mark it done; planners map journeys.
DELIVERABLE_COMPLETERS = ADMINS | {"victor", "sam", "alice"}

ANYONE = "anyone, signed in or not"  # public: marked `login_not_required`
PUBLIC_POST = "anyone, signed in or not: POST only"  # public, and GET answers 405
SIGNED_IN = "everybody signed in"
POST_ONLY = "nobody: POST only"  # GET answers 405
READ_ONLY = "nobody: a page to read"  # POST changes nothing, answers as GET does (or 405)
SELF = "everybody, for themselves"  # one's own profile, tokens, notifications, session


@dataclass(frozen=True)
class Rule:
    get: str | frozenset  # who reads it: ANYONE, SIGNED_IN, POST_ONLY or a set (others: 403)
    post: str | frozenset  # who may POST: ANYONE, READ_ONLY, SELF or a set (others: `refused`)
    refused: int = 403  # 404: somebody else's thing, not even shown to exist


PAGE = Rule(SIGNED_IN, READ_ONLY)

RULES = {
    "login": Rule(ANYONE, ANYONE),
    "logout": Rule(POST_ONLY, SELF),
    "profile": PAGE,
    "password_change": Rule(SIGNED_IN, SELF),
    "token_new": Rule(POST_ONLY, SELF),
    "token_revoke": Rule(POST_ONLY, frozenset({"alice"}), refused=404),  # alice's token
    "notification_preferences": Rule(POST_ONLY, SELF),
    "time_zone": Rule(POST_ONLY, SELF),
    "notifications": PAGE,
    "notifications_read": Rule(POST_ONLY, SELF),
    "notification_open": Rule(POST_ONLY, frozenset({"alice"}), refused=404),  # alice's
    "people": Rule(ADMINS, READ_ONLY),
    "user_new": Rule(ADMINS, ADMINS),
    "user_edit": Rule(ADMINS, ADMINS),
    "user_unlock": Rule(POST_ONLY, ADMINS),
    "team_new": Rule(ADMINS, ADMINS),
    "team_edit": Rule(ADMINS, ADMINS),
    "crm:home": PAGE,  # REPS are sent on to their follow-up queue (a 302)
    "crm:overview": PAGE,
    "crm:leads": PAGE,
    "crm:lead": PAGE,
    "crm:lead_status": Rule(POST_ONLY, ALICES_WORKERS),
    "crm:lead_reassign": Rule(POST_ONLY, ALICES_ROUTERS),
    "crm:lead_follow_up": Rule(POST_ONLY, ALICES_WORKERS),
    "crm:accounts": PAGE,
    "crm:account": PAGE,
    "crm:opportunities": PAGE,
    "crm:opportunity": PAGE,
    "crm:campaigns": PAGE,
    "crm:campaign": PAGE,
    "crm:export": PAGE,
    "imports:list": Rule(IMPORTERS, IMPORTERS),
    "imports:detail": Rule(IMPORTERS, IMPORTERS),
    "imports:progress": Rule(IMPORTERS, READ_ONLY),
    "imports:rejects": Rule(IMPORTERS, READ_ONLY),
    "imports:retry": Rule(POST_ONLY, IMPORTERS),
    "webhooks:list": Rule(HOOK_KEEPERS, HOOK_KEEPERS),
    "webhooks:detail": Rule(HOOK_KEEPERS, READ_ONLY),
    "webhooks:edit": Rule(POST_ONLY, HOOK_KEEPERS),
    "webhooks:rotate": Rule(POST_ONLY, HOOK_KEEPERS),
    "webhooks:disable": Rule(POST_ONLY, HOOK_KEEPERS),
    "webhooks:enable": Rule(POST_ONLY, HOOK_KEEPERS),
    "webhooks:test": Rule(POST_ONLY, HOOK_KEEPERS),
    "webhooks:delete": Rule(POST_ONLY, HOOK_KEEPERS),
    "webhooks:send_again": Rule(POST_ONLY, HOOK_KEEPERS),
    "plan:list": PAGE,
    "plan:new": Rule(PLANNERS, PLANNERS),
    "plan:detail": PAGE,
    "plan:edit": Rule(PLANNERS, PLANNERS),
    "plan:approve": Rule(POST_ONLY, SIGNERS),
    "plan:decline": Rule(POST_ONLY, SIGNERS),
    "scoreboard:home": PAGE,
    "scoreboard:pacing_csv": PAGE,
    "scoreboard:digest": PAGE,
    "qualify:definitions": PAGE,
    "qualify:new": Rule(PLANNERS, PLANNERS),
    "qualify:definition": PAGE,
    "qualify:edit": Rule(PLANNERS, PLANNERS),
    "qualify:backtest_start": Rule(POST_ONLY, PLANNERS),
    "qualify:act": {  # by its verb
        "propose": Rule(POST_ONLY, PLANNERS),
        "withdraw": Rule(POST_ONLY, PLANNERS),
        "approve": Rule(POST_ONLY, SIGNERS),
        "activate": Rule(POST_ONLY, PLANNERS),
    },
    "qualify:backtest": PAGE,
    "qualify:compare": PAGE,
    "leadvalue:home": PAGE,
    "reviews:home": PAGE,
    "reviews:rates_csv": PAGE,
    "reviews:reasons": Rule(SIGNED_IN, ADMINS),
    "reviews:accept": Rule(POST_ONLY, ALICES_WORKERS),
    "reviews:reject": Rule(POST_ONLY, ALICES_WORKERS),
    "sla:board": PAGE,
    "sla:board_csv": PAGE,
    "sla:two_way": PAGE,
    "sla:queue": PAGE,  # one's own
    "sla:rep_queue": Rule(ALICES_QUEUE_READERS, READ_ONLY),  # alice's
    "sla:queue_log": Rule(POST_ONLY, ALICES_WORKERS),
    "sla:policies": PAGE,
    "sla:policy_new": Rule(SLA_KEEPERS, SLA_KEEPERS),
    "sla:policy_edit": Rule(SLA_KEEPERS, SLA_KEEPERS),
    "sla:calendars": PAGE,
    "sla:calendar_edit": Rule(SLA_KEEPERS, SLA_KEEPERS),
    "sla:day_off_remove": Rule(POST_ONLY, SLA_KEEPERS),
    "attribution:home": PAGE,
    "attribution:money": PAGE,
    "attribution:export": PAGE,
    "attribution:recompute": Rule(POST_ONLY, ANALYSTS),
    "attribution:spend": Rule(SIGNED_IN, SPEND_KEEPERS),
    "attribution:spend_edit": Rule(SPEND_KEEPERS, SPEND_KEEPERS),
    "attribution:spend_import": Rule(SPEND_KEEPERS, SPEND_KEEPERS),
    "content:list": PAGE,
    "content:new": Rule(ASSET_MAKERS, ASSET_MAKERS),
    "content:asset": PAGE,
    "content:edit": Rule(MIKES_ASSET_KEEPERS, MIKES_ASSET_KEEPERS),
    "content:version_new": Rule(POST_ONLY, MIKES_ASSET_KEEPERS),
    "content:download": PAGE,
    "content:publish": Rule(POST_ONLY, MIKES_ASSET_KEEPERS),
    "content:expire": Rule(POST_ONLY, MIKES_ASSET_KEEPERS),
    "content:archive": Rule(POST_ONLY, MIKES_ASSET_KEEPERS),
    "content:review": Rule(POST_ONLY, MIKES_ASSET_KEEPERS),
    # Sending: whoever works the lead (alice's); the empty form goes back to the page for all.
    "content:send": Rule(POST_ONLY, ALICES_WORKERS),
    "content:use": Rule(POST_ONLY, ALICES_WORKERS),
    "content:revoke": Rule(POST_ONLY, ALICES_WORKERS),  # alice's link: her, sam, leaders, admins
    "content:for_lead": PAGE,
    "content:for_account": PAGE,
    "content:for_opportunity": PAGE,
    # The public viewer of a tracked link (no login; a POST to the page is the email gate).
    "content:link": Rule(ANYONE, ANYONE),
    "content:link_file": Rule(ANYONE, READ_ONLY),
    "content:link_download": Rule(ANYONE, READ_ONLY),
    "content:link_ping": Rule(PUBLIC_POST, ANYONE),
    "content:preview": PAGE,
    "content:owners": PAGE,
    "content:influence": PAGE,
    "content:owner": PAGE,
    "content:suggestions": PAGE,
    "content:suggestion_new": Rule(POST_ONLY, MEMBERS_AND_UP),
    "content:suggestion_answer": Rule(POST_ONLY, MIKES_ANSWERERS),
    "content:suggestion_settings": Rule(SUGGESTION_RULES_KEEPERS, SUGGESTION_RULES_KEEPERS),
    "content:rate": Rule(POST_ONLY, MEMBERS_AND_UP),
    "content:rubrics": PAGE,
    "content:rubric": PAGE,
    "content:rubric_new": Rule(RUBRIC_EDITORS, RUBRIC_EDITORS),
    "content:rubric_edit": Rule(RUBRIC_EDITORS, RUBRIC_EDITORS),
    "content:rubric_act": {  # by its verb; the world's rubric is a draft
        "propose": Rule(POST_ONLY, RUBRIC_EDITORS),
        "approve": Rule(POST_ONLY, SIGNERS),
        "decline": Rule(POST_ONLY, SIGNERS),
    },
    "calculators:list": PAGE,
    "calculators:new": Rule(CALCULATOR_BUILDERS, CALCULATOR_BUILDERS),
    "calculators:detail": PAGE,
    "calculators:stats": PAGE,
    "calculators:stats_all": PAGE,
    "calculators:edit": Rule(CALCULATOR_BUILDERS, CALCULATOR_BUILDERS),
    "calculators:preview": Rule(POST_ONLY, CALCULATOR_BUILDERS),
    "calculators:act": {  # by its verb; the world's calculator version is proposed
        "propose": Rule(POST_ONLY, CALCULATOR_BUILDERS),
        "approve": Rule(POST_ONLY, SIGNERS),
        "decline": Rule(POST_ONLY, SIGNERS),
    },
    # A submission's business case: everybody inside reads it (its lead too); the visitor's
    # copy opens with its signed token, no login.
    "calculators:case": PAGE,
    "calculators:case_pdf": PAGE,
    "calculators:public_case": Rule(ANYONE, READ_ONLY),
    "calculators:public_case_pdf": Rule(ANYONE, READ_ONLY),
    "calculators:public_settings": Rule(CALCULATOR_BUILDERS, CALCULATOR_BUILDERS),
    # A published calculator's public doors (no login): the page, its live results and the
    # submit (an empty one is refused as a bad form), and a visitor's deletion request.
    "calculators:public": Rule(ANYONE, READ_ONLY),
    "calculators:public_compute": Rule(PUBLIC_POST, ANYONE),
    "calculators:public_submit": Rule(PUBLIC_POST, ANYONE),
    "calculators:public_forget": Rule(ANYONE, ANYONE),
    "calculators:public_forget_confirm": Rule(ANYONE, ANYONE),
    # Business cases on the deal: everybody reads them; whoever works alice's lead and deal
    # adjusts ann's case, starts one and records a won deal's realised value (the world's
    # deal is in negotiation: the empty POST goes back to its page with the refusal).
    "calculators:for_lead": PAGE,
    "calculators:for_account": PAGE,
    "calculators:for_opportunity": PAGE,
    "calculators:history": PAGE,
    "calculators:adjust": Rule(ALICES_WORKERS, ALICES_WORKERS),
    "calculators:adjust_preview": Rule(POST_ONLY, ALICES_WORKERS),
    "calculators:start": Rule(ALICES_WORKERS, ALICES_WORKERS),
    "calculators:realised": Rule(POST_ONLY, ALICES_WORKERS),
    "journey:list": PAGE,
    "journey:new": Rule(PLANNERS, PLANNERS),
    "journey:mine": PAGE,
    "journey:feed_new": Rule(POST_ONLY, MEMBERS_AND_UP),
    "journey:feed": Rule(ANYONE, READ_ONLY),  # public: the secret address is the key
    "journey:roles": Rule(SIGNED_IN, PLANNERS),
    "journey:goals": Rule(SIGNED_IN, PLANNERS),
    "journey:accountability": PAGE,
    "journey:board": PAGE,
    "journey:timeline": PAGE,
    "journey:edit": Rule(PLANNERS, PLANNERS),
    "journey:copy": Rule(PLANNERS, PLANNERS),
    "journey:stage_new": Rule(POST_ONLY, PLANNERS),
    "journey:launch": Rule(POST_ONLY, PLANNERS),
    "journey:act": {  # by its verb; the world's journey v1 is proposed
        "propose": Rule(POST_ONLY, PLANNERS),
        "approve": Rule(POST_ONLY, SIGNERS),
        "decline": Rule(POST_ONLY, SIGNERS),
    },
    "journey:stage_edit": Rule(PLANNERS, PLANNERS),
    "journey:stage_delete": Rule(POST_ONLY, PLANNERS),
    "journey:deliverable_delete": Rule(POST_ONLY, PLANNERS),
    "journey:deliverable_new": Rule(PLANNERS, PLANNERS),
    "journey:deliverable_edit": Rule(PLANNERS, PLANNERS),
    "journey:complete": Rule(POST_ONLY, DELIVERABLE_COMPLETERS),
}

# What goes into each URL's arguments: a string names an object of the world (its id goes in),
# a tuple lists the values to try (one URL each). "?" adds a query string ({names}: their ids).
FILL = {
    "token_revoke": {"pk": "alices_token"},
    "notification_open": {"pk": "alices_notification"},
    "user_edit": {"pk": "bob"},
    "user_unlock": {"pk": "bob"},
    "team_edit": {"pk": "sales_team"},
    "crm:lead": {"pk": "lead"},
    "crm:lead_status": {"pk": "lead"},
    "crm:lead_reassign": {"pk": "lead"},
    "crm:lead_follow_up": {"pk": "lead"},
    "crm:account": {"pk": "account"},
    "crm:opportunity": {"pk": "opportunity"},
    "crm:campaign": {"pk": "campaign"},
    "crm:export": {
        "kind": ("leads", "accounts", "opportunities", "campaigns"),
        "file_format": ("csv", "xlsx"),
    },
    "imports:detail": {"pk": ("uploaded_import", "finished_import")},
    "imports:progress": {"pk": "finished_import"},
    "imports:rejects": {"pk": "finished_import"},
    "imports:retry": {"pk": "finished_import"},
    "webhooks:detail": {"pk": "subscription"},
    "webhooks:edit": {"pk": "subscription"},
    "webhooks:rotate": {"pk": "subscription"},
    "webhooks:disable": {"pk": "subscription"},
    "webhooks:enable": {"pk": "subscription"},
    "webhooks:test": {"pk": "subscription"},
    "webhooks:delete": {"pk": "subscription"},
    "webhooks:send_again": {"pk": "delivery"},
    "plan:detail": {"pk": "plan"},
    "plan:edit": {"pk": "plan"},
    "plan:approve": {"pk": "plan", "number": (1,)},
    "plan:decline": {"pk": "plan", "number": (1,)},
    "qualify:definition": {"pk": "definition"},
    "qualify:edit": {"pk": "definition"},
    "qualify:backtest_start": {"pk": "definition"},
    "qualify:act": {"pk": "definition", "verb": ("propose", "withdraw", "approve", "activate")},
    "qualify:backtest": {"pk": "backtest"},
    "qualify:compare": {"?": "a={definition}&b={draft_definition}"},
    "reviews:accept": {"pk": "lead"},
    "reviews:reject": {"pk": "lead"},
    "sla:policy_edit": {"pk": "policy"},
    "sla:rep_queue": {"user_id": "alice"},
    "sla:queue_log": {"pk": "lead"},
    "sla:calendar_edit": {"pk": "calendar"},
    "sla:day_off_remove": {"pk": "day_off"},
    "attribution:spend_edit": {"pk": "spend_line"},
    "attribution:export": {"table": ("models", "channels", "campaigns", "quarters")},
    "content:asset": {"pk": "asset"},
    "content:edit": {"pk": "asset"},
    "content:version_new": {"pk": "asset"},
    "content:download": {"pk": "asset", "number": (1,)},
    "content:publish": {"pk": "asset"},
    "content:expire": {"pk": "asset"},
    "content:archive": {"pk": "asset"},
    "content:review": {"pk": "asset"},
    "content:send": {"pk": "sent_asset"},
    "content:use": {"pk": "sent_asset"},
    "content:revoke": {"pk": "link"},
    "content:for_lead": {"pk": "lead"},
    "content:for_account": {"pk": "account"},
    "content:for_opportunity": {"pk": "opportunity"},
    "content:link": {"token": ("world-link-token-0123456789abcdefghijklmnopq",)},
    "content:link_file": {"token": ("world-link-token-0123456789abcdefghijklmnopq",)},
    "content:link_download": {"token": ("world-link-token-0123456789abcdefghijklmnopq",)},
    "content:link_ping": {"token": ("world-link-token-0123456789abcdefghijklmnopq",)},
    "content:preview": {"pk": "asset", "number": (1,)},
    "content:owner": {"pk": "mike"},
    "content:suggestion_new": {"pk": "asset"},
    "content:suggestion_answer": {"pk": "suggestion"},
    "content:rate": {"pk": "sent_asset"},
    "content:rubric": {"pk": "rubric"},
    "content:rubric_edit": {"pk": "rubric"},
    "content:rubric_act": {"pk": "rubric", "verb": ("propose", "approve", "decline")},
    "calculators:detail": {"pk": "calculator"},
    "calculators:stats": {"pk": "calculator"},
    "calculators:edit": {"pk": "calculator", "number": (1,)},
    "calculators:preview": {"pk": "calculator", "number": (1,)},
    "calculators:act": {
        "pk": "calculator",
        "number": (1,),
        "verb": ("propose", "approve", "decline"),
    },
    "calculators:case": {"pk": "submission"},
    "calculators:case_pdf": {"pk": "submission"},
    "calculators:public_case": {"token": "case_token"},
    "calculators:public_case_pdf": {"token": "case_token"},
    "calculators:public_settings": {"pk": "calculator"},
    "calculators:public": {"slug": ("world-tco",)},
    "calculators:public_compute": {"slug": ("world-tco",)},
    "calculators:public_submit": {"slug": ("world-tco",)},
    "calculators:public_forget_confirm": {"token": "erasure_link"},
    "calculators:for_lead": {"pk": "lead"},
    "calculators:for_account": {"pk": "account"},
    "calculators:for_opportunity": {"pk": "opportunity"},
    "calculators:realised": {"pk": "opportunity"},
    "calculators:history": {"pk": "submission"},
    "calculators:adjust": {"pk": "submission"},
    "calculators:adjust_preview": {"pk": "submission"},
    "calculators:start": {"?": "opportunity={opportunity}"},
    "journey:feed": {"token": ("world-feed-token-0123456789abcdefghijklmnopq",)},
    "journey:board": {"pk": "journey"},
    "journey:timeline": {"pk": "journey"},
    "journey:edit": {"pk": "journey"},
    "journey:copy": {"pk": "journey"},
    "journey:stage_new": {"pk": "journey"},
    "journey:launch": {"pk": "journey"},
    "journey:act": {"pk": "journey", "number": (1,), "verb": ("propose", "approve", "decline")},
    "journey:stage_edit": {"pk": "journey_stage"},
    "journey:deliverable_new": {"pk": "journey_stage"},
    "journey:deliverable_edit": {"pk": "deliverable"},
    "journey:stage_delete": {"pk": "journey_stage"},
    "journey:deliverable_delete": {"pk": "deliverable"},
    "journey:complete": {"pk": "deliverable"},
}

# Routes not in the matrix, and why.
SKIPPED = {
    "api/v1/": "the API: its own test, tests/security/test_api_fuzz.py",
    "favicon.ico": "a permanent redirect to a static file, for everybody",
    settings.STATIC_URL.lstrip("/"): "static files",
}


# --- Walking the URL configuration -------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None
    public: bool  # marked login_not_required


def url_patterns(patterns=None, prefix: str = "", namespace: str = "", urlconf=None):
    """Every URL pattern of the configuration, includes and namespaces resolved."""
    for entry in get_resolver(urlconf).url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
            yield from url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            public = getattr(entry.callback, "login_required", True) is False
            yield Pattern(route, name, public)


def skipped(route: str) -> str | None:
    return next((why for start, why in SKIPPED.items() if route.startswith(start)), None)


@dataclass(frozen=True)
class Url:
    name: str
    path: str
    rule: Rule
    kwargs: dict = field(default_factory=dict, hash=False)


def concrete_urls(world: dict, urlconf=None) -> tuple[list[Url], list[str]]:
    """The URLs to visit, and what could not be built (each a message saying what to add)."""
    urls, problems = [], []
    for pattern in url_patterns(urlconf=urlconf):
        if skipped(pattern.route):
            continue
        where = f"{pattern.name or '(no name)'} ({pattern.route})"
        if pattern.name is None:
            problems.append(f"{where}: give the pattern a name, then a rule in RULES")
            continue
        if pattern.name not in RULES:
            problems.append(f"{where}: add who reads it and who may POST to RULES in {__name__}")
            continue
        fill = FILL.get(pattern.name, {})
        combos = [{}]
        for argument in ARGUMENT.finditer(pattern.route):
            name = argument["name"]
            if name not in fill:
                problems.append(
                    f"{where}: add how to fill <{argument[0][1:-1]}> (an object of the world "
                    f"or values) to FILL in {__name__}"
                )
                combos = []
                break
            values = fill[name]
            values = [values] if isinstance(values, str) else list(values)
            values = [world[v].pk if isinstance(v, str) and v in world else v for v in values]
            combos = [{**combo, name: value} for combo in combos for value in values]
        for kwargs in combos:
            address = reverse(pattern.name, kwargs=kwargs, urlconf=urlconf)
            if "?" in fill:
                address += "?" + fill["?"].format(
                    **{k: v.pk for k, v in world.items() if k != "cast"}
                )
            rule = RULES[pattern.name]
            if isinstance(rule, dict):  # a rule per value of an argument (a verb)
                rule = next((rule[str(v)] for v in kwargs.values() if str(v) in rule), None)
                if rule is None:
                    problems.append(f"{where}: add a rule for {kwargs} to RULES in {__name__}")
                    continue
            urls.append(Url(pattern.name, address, rule, kwargs))
    return urls, problems


# --- Running the matrix ------------------------------------------------------------------------


def may_post(rule: Rule, who: str | None) -> bool:
    if who is None:
        return rule.post == ANYONE
    if rule.post in (ANYONE, SELF):
        return True
    if rule.post == READ_ONLY:
        return False
    return who in rule.post


def get_status(rule: Rule, who: str | None) -> int | None:
    """What a GET must answer (None: a redirect to the login page)."""
    if rule.get == PUBLIC_POST:
        return 405
    if who is None:
        return 200 if rule.get == ANYONE else None
    if rule.get == POST_ONLY:
        return 405
    if rule.get in (ANYONE, SIGNED_IN):
        return 200
    return 200 if who in rule.get else 403


def snapshot() -> dict[str, str]:
    """A digest of every table's content (sessions aside: signing in and out writes them; the
    tables' write counters, which count a save that changes nothing too; and the clocks kept
    per lead, which a page showing a lead keeps as it reads them)."""
    digests = {}
    for model in apps.get_models(include_auto_created=True):
        if model in (Session, Generation, LeadClocks):
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digests[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


@dataclass
class Cell:
    url: Url
    who: str | None  # None: anonymous
    method: str
    status: int
    location: str
    changed: list[str] | None  # the tables a refused POST changed (None: not checked)
    seconds: float = 0.0

    def __str__(self) -> str:
        to = f" -> {self.location}" if self.location else ""
        changed = f", changed {', '.join(self.changed)}" if self.changed else ""
        return (
            f"{self.who or 'anonymous'} {self.method} {self.url.path}: {self.status}{to}{changed}"
        )


@dataclass
class Matrix:
    urls: list[Url]
    problems: list[str]
    cells: list[Cell]
    patterns: int
    seconds: dict[str, float]
    permitted: dict[str, frozenset]

    @property
    def size(self) -> str:
        visitors = len(CAST) + 1
        return (
            f"{len(self.urls)} URLs (from {self.patterns} patterns) × {visitors} visitors "
            f"(the cast and anonymous) × 2 methods = {len(self.cells)} requests"
        )


class Writes:
    """Notes every statement but reads (and savepoints) that a request sends to the database."""

    READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "WITH")

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, execute, sql, params, many, context):
        statement = sql.lstrip().upper()
        if not statement.startswith(self.READS) and Session._meta.db_table.upper() not in statement:
            self.seen = True
        return execute(sql, params, many, context)


def visit(client: Client, url: Url, who: str | None, method: str, check: bool, before) -> Cell:
    """One request in a savepoint rolled back after it. With `check`, the tables whose content
    differs from `before` afterwards (compared only when the request wrote something)."""
    started = time.perf_counter()
    writes = Writes()
    with transaction.atomic(), connection.execute_wrapper(writes):
        send = client.get if method == "GET" else client.post
        response = send(url.path)
        if response.streaming:  # a download: read it to its end, which closes its file
            b"".join(response.streaming_content)
        changed = None
        if check:
            changed = []
            if writes.seen:
                after = snapshot()
                changed = sorted(label for label, value in after.items() if before[label] != value)
        transaction.set_rollback(True)
    location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
    elapsed = time.perf_counter() - started
    return Cell(url, who, method, response.status_code, location, changed, elapsed)


def permitted(world: dict) -> dict[str, frozenset]:
    """Who of the cast people/permissions.py lets do each thing, on the world's lead and deal."""
    lead, deal = world["lead"], world["opportunity"]
    checks = {
        name: getattr(permissions, name)
        for name in (
            "can_manage_people", "can_edit_plan", "can_edit_definition", "can_run_backtest",
            "can_run_attribution", "can_import", "can_edit_service_levels", "can_edit_spend",
            "can_manage_reasons", "can_change_anything", "can_create_asset",
        )
    }  # fmt: skip
    checks |= {
        "can_change_lead": lambda user: permissions.can_change_lead(user, lead),
        "can_review_lead": lambda user: permissions.can_review_lead(user, lead),
        "can_change_opportunity": lambda user: permissions.can_change_opportunity(user, deal),
        "can_reassign_lead": lambda user: permissions.can_reassign_lead(user, lead),
        "can_see_follow_up_queue": lambda user: permissions.can_see_follow_up_queue(
            user, lead.owner
        ),
        "works_a_follow_up_queue": permissions.works_a_follow_up_queue,
        "approval_side": lambda user: permissions.approval_side(user) is not None,
        "can_edit_asset": lambda user: permissions.can_edit_asset(user, world["asset"]),
        "can_work_business_case": lambda user: all(
            permissions.can_work_business_case(user, record)
            for record in (lead, deal, world["account"])
        ),
    }
    return {
        name: frozenset(who for who in CAST if allowed(world[who]))
        for name, allowed in checks.items()
    }


def run_matrix(folder: Path) -> Matrix:
    world = factories.create_world(folder)
    urls, problems = concrete_urls(world)
    cells, seconds = [], {}
    for who in (None, *CAST):
        started = time.perf_counter()
        client = Client(raise_request_exception=False)
        user = world[who] if who else None
        if user:
            client.force_login(user)
        before = snapshot()
        for url in urls:
            for method in ("GET", "POST"):
                check = method == "POST" and (not may_post(url.rule, who) or who == "vera")
                cells.append(visit(client, url, who, method, check, before))
                if user and client.session.get("_auth_user_id") != str(user.pk):
                    client.force_login(user)  # after logging out
                    before = snapshot()
        seconds[who or "anonymous"] = time.perf_counter() - started
    patterns = sum(1 for p in url_patterns() if not skipped(p.route))
    return Matrix(urls, problems, cells, patterns, seconds, permitted(world))


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory, security_report):
    """The whole matrix, run once for the module in a transaction rolled back at its end."""
    folder = tmp_path_factory.mktemp("matrix")
    with (
        django_db_blocker.unblock(),
        # The public viewer is visited by every visitor from one address: no rate limit here.
        override_settings(
            VAR_DIR=folder,
            CONTENT_VIEWER_RATE_LIMIT=1_000_000,
            CALCULATOR_ADDRESS_RATE_LIMIT=1_000_000,
            CALCULATOR_COMPUTE_RATE_LIMIT=1_000_000,
            CALCULATOR_RATE_LIMIT=1_000_000,
        ),
        transaction.atomic(),
    ):
        started = time.perf_counter()
        result = run_matrix(folder)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    security_report.append(f"permission matrix: {result.size} in {elapsed:.1f} s")
    return result


def failures(matrix: Matrix, problems: list[str], what: str) -> str:
    shown = "\n  ".join(problems[:60])
    more = f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else ""
    return f"{len(problems)} {what} in the permission matrix ({matrix.size}):\n  {shown}{more}"


# --- The tests ---------------------------------------------------------------------------------


def test_every_url_has_a_rule_and_a_filling(matrix):
    assert not matrix.problems, failures(matrix, matrix.problems, "URLs the matrix cannot visit")
    assert matrix.urls


def test_a_new_url_fails_until_it_has_a_rule_and_a_filling():
    """What the test above says about URLs added without a rule, an argument's filling or a
    name (a URL configuration of its own, beside the app's)."""
    view = Client  # any callable: nothing is requested
    urlconf = types.ModuleType("new_urls")
    crm = ([path("campaigns/<int:pk>/<slug:tab>/", view, name="campaign")], "crm")
    urlconf.urlpatterns = [
        path("widgets/<int:pk>/", view, name="widget"),
        path("", include(crm)),
        path("gadgets/", view),
    ]
    urls, problems = concrete_urls({}, urlconf)
    assert urls == []
    assert problems == [
        f"widget (widgets/<int:pk>/): add who reads it and who may POST to RULES in {__name__}",
        "crm:campaign (campaigns/<int:pk>/<slug:tab>/): add how to fill <slug:tab> (an object "
        f"of the world or values) to FILL in {__name__}",
        "(no name) (gadgets/): give the pattern a name, then a rule in RULES",
    ]


def test_the_public_pages_are_exactly_those_marked_login_not_required(matrix):
    marked = {p.name for p in url_patterns() if p.public and not skipped(p.route)}
    ruled = {
        name
        for name, rule in RULES.items()
        if isinstance(rule, Rule) and rule.get in (ANYONE, PUBLIC_POST)
    }
    viewer = {"content:link", "content:link_file", "content:link_download", "content:link_ping"}
    case = {"calculators:public_case", "calculators:public_case_pdf"}
    calculator = {
        "calculators:public",
        "calculators:public_compute",
        "calculators:public_submit",
        "calculators:public_forget",
        "calculators:public_forget_confirm",
    }
    feeds = {"journey:feed"}  # calendar apps cannot sign in: the secret address is the key
    assert marked == ruled == {"login"} | viewer | case | calculator | feeds, matrix.size


def test_anonymous_visitors_are_sent_to_the_login_page_everywhere_but_the_public_pages(matrix):
    wrong = []
    for cell in matrix.cells:
        if cell.who is not None:
            continue
        if cell.url.rule.get in (ANYONE, PUBLIC_POST):
            if cell.status >= 300 and cell.location.startswith(reverse("login")):
                wrong.append(f"{cell} (a public page)")
        elif cell.status != 302 or not cell.location.startswith(f"{reverse('login')}?next="):
            wrong.append(f"{cell} (expected 302 to the login page)")
    assert not wrong, failures(matrix, wrong, "anonymous requests answered wrongly")


def test_no_request_is_answered_with_a_server_error(matrix):
    wrong = [str(cell) for cell in matrix.cells if cell.status >= 500]
    assert not wrong, failures(matrix, wrong, "server errors")


def test_everybody_signed_in_reads_what_the_rules_say(matrix):
    """GET: 200 on what everybody reads; 200 or 403 by role; 405 on what only takes POST."""
    wrong = []
    for cell in matrix.cells:
        if cell.who is None or cell.method != "GET":
            continue
        expected = get_status(cell.url.rule, cell.who)
        if cell.url.name == "login":  # signed in already: on to the home page
            expected = 302
        if cell.url.name == "crm:home" and cell.who in REPS:  # on to their follow-ups
            expected = 302
        if cell.status != expected:
            wrong.append(f"{cell} (expected {expected})")
    assert not wrong, failures(matrix, wrong, "GETs answered wrongly")


def test_who_may_post_is_let_through_and_nobody_else(matrix):
    """POST with an empty body: the people the rule names get past the permission check (a
    form error, a redirect, a 400 are all fine); everybody else gets the rule's refusal (403,
    404 for somebody else's thing), 405 where the view takes no POST, the GET's answer on a
    page to read, or a redirect back to a page, and in each case nothing changed."""
    wrong = []
    for cell in matrix.cells:
        if cell.who is None or cell.method != "POST":
            continue
        rule = cell.url.rule
        if may_post(rule, cell.who):
            if cell.status in (403, 405):
                wrong.append(f"{cell} (expected to be let through)")
            continue
        allowed = {rule.refused, 405}
        if rule.post == READ_ONLY:
            allowed = {get_status(rule, cell.who), 405}
        redirected_back = cell.status == 302 and not cell.location.startswith(reverse("login"))
        if cell.status not in allowed and not redirected_back:
            wrong.append(f"{cell} (expected one of {sorted(allowed)} or a redirect to a page)")
        elif cell.changed:
            wrong.append(f"{cell} (a refused POST changed something)")
    assert not wrong, failures(matrix, wrong, "POSTs answered wrongly")


def test_a_viewer_changes_nothing(matrix):
    """vera, the viewer: every POST is refused (403, or 404 for somebody else's thing), 405 on
    a view that takes no POST, the page again on a page to read, or a redirect back to a page;
    her own profile's forms answer as they do for anybody. No table changes (an empty form of
    her own changes nothing either)."""
    wrong = []
    posts = [cell for cell in matrix.cells if cell.who == "vera" and cell.method == "POST"]
    for cell in posts:
        rule = cell.url.rule
        read = get_status(rule, "vera") if rule.post == READ_ONLY else 403
        redirected_back = cell.status == 302 and not cell.location.startswith(reverse("login"))
        if rule.post in (SELF, ANYONE):
            pass  # her own session, tokens...; a public page answers her as anybody: below
        elif cell.status not in {403, 404, 405, read} and not redirected_back:
            wrong.append(f"{cell} (expected 403, 404, 405, {read} or a redirect to a page)")
        if cell.changed is None or cell.changed:
            wrong.append(f"{cell} (the viewer changed something)")
    assert posts and not wrong, failures(matrix, wrong, "viewer POSTs answered wrongly")


def test_the_rules_table_is_what_permissions_py_says(matrix):
    """The sets of people in RULES, written out by hand from the README, are those that
    people/permissions.py lets do each thing in the world of this matrix."""
    assert matrix.permitted == {
        "can_manage_people": ADMINS,
        "can_edit_plan": PLANNERS,
        "can_edit_definition": PLANNERS,
        "can_run_backtest": PLANNERS,
        "can_run_attribution": ANALYSTS,
        "can_import": IMPORTERS,
        "can_edit_service_levels": SLA_KEEPERS,
        "can_edit_spend": SPEND_KEEPERS,
        "can_manage_reasons": ADMINS,
        "can_change_lead": ALICES_WORKERS,
        "can_review_lead": ALICES_WORKERS,
        "can_change_opportunity": ALICES_WORKERS,
        "can_reassign_lead": ALICES_ROUTERS,
        "can_see_follow_up_queue": ALICES_QUEUE_READERS,
        "works_a_follow_up_queue": REPS,
        "approval_side": SIGNERS,
        "can_change_anything": EVERYBODY - {"vera"},
        "can_create_asset": ASSET_MAKERS,
        "can_edit_asset": MIKES_ASSET_KEEPERS,
        "can_work_business_case": ALICES_WORKERS,
    }


def test_every_visitor_takes_a_few_seconds_at_most(matrix):
    slow = {who: round(s, 1) for who, s in matrix.seconds.items() if s > 20}
    assert not slow, f"{matrix.size}; too slow per visitor (seconds): {slow}"
