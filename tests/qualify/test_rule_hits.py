"""Lead definitions that say when a rule never matches: the values the data holds, a warning
on save about values nobody has, every rule's hit count (definition page, backtest, CLI, one
read model), the fields a lead is scored on; comparisons labelled by version; proposals
withdrawn when another version goes live."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accord.analytics import scoring as engine
from accord.crm.models import Account, Lead, Touchpoint
from accord.people.models import AuditLog, Notification
from accord.qualify import actions, backtest, queries, scoring
from accord.qualify.models import LeadDefinition
from tests.factories import T0

VP = {"type": "fit", "field": "title", "op": "contains", "value": "vp", "points": 40}
COUNTRY_NAMES = {
    "type": "fit",
    "field": "country",
    "op": "one_of",
    "value": ["United States", "Canada"],
    "points": 30,
    "label": "Target countries",
}
DEMO = {"type": "engagement", "touch_kind": "demo_request", "points": 50}
VISITS = {"type": "engagement", "touch_kind": "web_visit", "points": 5, "cap": 20}
WEBINAR = {"type": "engagement", "touch_kind": "webinar", "points": 10}


def content(rules, **changes):
    return {
        "name": "Fit and intent",
        "rules": rules,
        "grade_thresholds": {"A": 60, "B": 30, "C": 10},
        "mql_grades": ["A", "B"],
        "mql_min_score": 40,
        **changes,
    }


@pytest.fixture
def world(make_lead, acme, channels):
    """Acme (DE, Manufacturing) with a VP who asked for a demo and an engineer; Globex (US)
    with a CEO. All three leads were created at T0 (March 2, 2026)."""
    globex = Account.objects.create(
        name="Globex", domain="globex.example", industry="Software", employees=60,
        country="US", created_at=T0,
    )  # fmt: skip
    vp = make_lead("vp@acme.example", title="VP Plant")
    make_lead("eng@acme.example", title="Engineer")
    make_lead("ceo@globex.example", title="CEO", account=globex)
    Touchpoint.objects.create(lead=vp, channel=channels["webinar"], kind="demo_request",
                              occurred_at=T0 + timedelta(days=1))  # fmt: skip
    return {"vp": vp, "acme": acme, "globex": globex}


@pytest.fixture
def march(time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 12, tzinfo=UTC), tick=False)


@pytest.fixture
def names_rule(cast, world):
    """The rule from the issue: countries written as names while the data holds ISO codes."""
    return actions.create_definition(cast["mona"], content([VP, COUNTRY_NAMES, DEMO, VISITS]))


def go_live(definition, cast, proposer="mona"):
    actions.propose(cast[proposer], definition)
    actions.approve(cast["carol"], definition)
    actions.approve(cast["victor"], definition)
    return actions.activate(cast["ada"], definition)


def editor_post(**rows):
    data = {
        "name": "Countries",
        "note": "",
        "grade_a": "60",
        "grade_b": "30",
        "grade_c": "10",
        "mql_grades": ["A", "B"],
        "mql_min_score": "40",
        "fit-TOTAL_FORMS": "2",
        "fit-INITIAL_FORMS": "0",
        "fit-0-field": "title",
        "fit-0-op": "contains",
        "fit-0-value": "vp",
        "fit-0-points": "40",
        "fit-1-field": "country",
        "fit-1-op": "one_of",
        "fit-1-value": "United States, Canada",
        "fit-1-points": "30",
        "fit-1-label": "Target countries",
        "engagement-TOTAL_FORMS": "1",
        "engagement-INITIAL_FORMS": "0",
        "engagement-0-touch_kind": "demo_request",
        "engagement-0-points": "50",
    }
    return data | rows


# Values in the data --------------------------------------------------------------------


def test_the_editor_offers_the_values_in_the_data_with_their_lead_counts(login, cast, world):
    page = login(cast["mona"]).get("/qualify/definitions/new/").content.decode()
    countries = re.search(r'<datalist id="rule-values-country">(.*?)</datalist>', page).group(1)
    # Acme (DE) has two leads, Globex (US) one: most leads first, with the count.
    assert countries == (
        '<option value="DE" label="2 leads"></option><option value="US" label="1 lead"></option>'
    )
    assert '<option value="Manufacturing" label="2 leads">' in page
    assert '<option value="webinar" label="3 leads">' in page  # source channels by key
    assert "<script" not in page.split("<body", 1)[1].replace(
        '<script src="/static/accord/rules.js', ""
    )  # the editor's script is a static file: nothing inline


def test_a_rule_row_suggests_the_values_of_its_field(login, cast, names_rule):
    page = login(cast["mona"]).get(f"/qualify/definitions/{names_rule.pk}/edit/").content.decode()
    country_row = re.search(r'<input[^>]*name="fit-1-value"[^>]*>', page).group(0)
    assert 'list="rule-values-country"' in country_row
    title_row = re.search(r'<input[^>]*name="fit-0-value"[^>]*>', page).group(0)
    assert 'list="rule-values-title"' in title_row


def test_saving_values_that_match_no_lead_or_account_warns_naming_rule_field_and_values(
    login, cast, world
):
    response = login(cast["mona"]).post("/qualify/definitions/new/", editor_post(), follow=True)
    definition = LeadDefinition.objects.get()  # a warning, not a refusal: the draft is saved
    page = response.content.decode()
    warning = (
        "Rule 2 (Target countries): no lead or account has Account country "
        "“United States” or “Canada”, so it never matches them. The data holds DE, US"
    )
    assert "message-warning" in page and warning in page
    # The signed page keeps saying so, for the leaders asked to approve it.
    detail = login(cast["carol"]).get(definition.get_absolute_url()).content.decode()
    assert 'id="value-warnings"' in detail and warning in detail


def test_only_the_values_nobody_has_are_named_and_a_clean_rule_saves_quietly(login, cast, world):
    client = login(cast["mona"])
    response = client.post(
        "/qualify/definitions/new/", editor_post(**{"fit-1-value": " us , CA"}), follow=True
    )
    assert "Account country “CA”, so it never matches it." in response.content.decode()
    response = client.post(
        "/qualify/definitions/new/", editor_post(**{"fit-1-value": "us, de"}), follow=True
    )
    page = response.content.decode()
    assert "Saved as draft v2" in page and "never matches" not in page


# Hit counts ----------------------------------------------------------------------------


def test_the_definition_page_shows_every_rules_hits_and_flags_those_that_never_fire(
    login, cast, names_rule, march
):
    page = login(cast["vera"]).get(names_rule.get_absolute_url()).content.decode()
    assert "of the 3 leads created in the last 90 days" in page
    assert "2 rules never matched." in page
    rows = re.findall(r"<tr( class=\"never\")?><td>(.*?)</td>.*?<td class=\"num\">(\d+)</td></tr>",
                      page)  # fmt: skip
    hits = {re.sub(r"<.*", "", what).strip(): (int(n), bool(never)) for never, what, n in rows}
    assert hits == {
        "Job title contains &#x27;vp&#x27;": (1, False),
        "Account country is one of united states, canada": (0, True),
        "demo request": (1, False),
        "web visit": (0, True),
    }
    assert page.count("never matched in the last 90 days") == 2


def test_hits_mean_the_same_on_the_definition_page_the_backtest_and_the_cli(
    names_rule, capsys, time_machine
):
    # On April 1 the last 90 days and a backtest of Jan 1 .. Apr 1 hold the same leads.
    time_machine.move_to(datetime(2026, 4, 1, tzinfo=UTC), tick=False)
    recent = queries.recent_hits(scoring.parse(names_rule))
    assert (recent.leads, recent.fit, recent.engagement) == (3, (1, 0), (1, 0))
    result = backtest.backtest([names_rule], date(2026, 1, 1), date(2026, 4, 1))
    replayed = result["definitions"][0]
    assert [r["hits"] for r in replayed["rules"]] == [1, 0, 1, 0]
    assert replayed["totals"]["leads"] == recent.leads
    call_command("qualify", "backtest", "--definition", str(names_rule.pk),
                 "--from", "2026-01-01", "--to", "2026-04-01")  # fmt: skip
    printed = capsys.readouterr().out
    assert "hits by rule (of 3 leads):" in printed
    assert (
        "       0  Fit: Account country is one of united states, canada  never matched" in printed
    )
    assert "       1  Engagement: demo request\n" in printed


def test_a_demo_request_after_the_first_30_days_is_not_a_hit(names_rule, world, channels, march):
    Touchpoint.objects.create(lead=world["vp"], channel=channels["webinar"], kind="web_visit",
                              occurred_at=T0 + timedelta(days=31))  # fmt: skip
    hits = queries.recent_hits(scoring.parse(names_rule))
    assert hits.engagement == (1, 0)  # as a backtest scores a lead: its first 30 days


def test_the_backtest_page_lists_each_rules_hits(
    login, cast, names_rule, time_machine, django_capture_on_commit_callbacks
):
    go_live(actions.create_definition(cast["sam"], content([VP, DEMO], name="Live")), cast)
    time_machine.move_to(datetime(2026, 6, 1, tzinfo=UTC), tick=False)
    client = login(cast["mona"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/qualify/definitions/{names_rule.pk}/backtest/",
            {"from": "2026-03-01", "to": "2026-04-01"},
        )
    page = client.get(response["Location"]).content.decode()
    table = page.split('id="rule-hits"', 1)[1].split("</tbody>", 1)[0]
    assert "how many of the 3 leads created in the window each rule gave points to" in table
    assert table.count('class="num never"') == 2 and table.count("never matched") == 2
    row = re.search(r"<tr>(?:(?!</tr>).)*united states, canada.*?</tr>", table).group(0)
    assert "never matched" in row and "not in this version" in row  # v2 (live) lacks it
    row = re.search(r"<tr>(?:(?!</tr>).)*demo request.*?</tr>", table).group(0)
    assert row.count('<td class="num">1</td>') == 2  # the same rule in both versions


# The lead page -------------------------------------------------------------------------


def test_the_lead_page_shows_the_fields_the_active_rules_read(login, cast, names_rule, world):
    go_live(names_rule, cast)
    page = login(cast["alice"]).get(f"/leads/{world['vp'].pk}/").content.decode()
    fields = page.split('id="fields-read"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Job title</th><td>VP Plant</td>' in fields
    assert '<th scope="row">Account country</th><td>DE</td>' in fields
    assert "Account industry" not in fields  # no rule of the definition reads it


# Comparison and withdrawal ---------------------------------------------------------------


def test_the_comparison_labels_changes_by_version_whichever_side_the_newer_is_on(
    login, cast, names_rule
):
    newer = actions.create_definition(
        cast["mona"], content([VP, COUNTRY_NAMES, DEMO, WEBINAR], mql_min_score=50),
        based_on=names_rule,
    )  # fmt: skip
    client = login(cast["vera"])
    for a, b in ((newer, names_rule), (names_rule, newer)):
        page = client.get(f"/qualify/compare/?a={a.pk}&b={b.pk}").content.decode()
        assert '<span class="change-added nowrap">added in v2</span>' in page
        row = re.search(r"<tr>(?:(?!</tr>).)*webinar.*?</tr>", page).group(0)
        assert "added in v2" in row  # the rule v2 added, even with v2 on the left
        row = re.search(r"<tr>(?:(?!</tr>).)*web visit.*?</tr>", page).group(0)
        assert "removed in v2" in row
        assert (
            '<span class="change-changed nowrap">changed in v2</span>' in page
        )  # the minimum score


def test_a_proposal_is_withdrawn_with_a_note_when_another_version_goes_live(
    login, cast, names_rule, march
):
    waiting = actions.create_definition(cast["mona"], content([VP, DEMO], name="Simpler"))
    actions.propose(cast["mona"], waiting)
    actions.approve(cast["carol"], waiting)
    approved = actions.create_definition(cast["sam"], content([VP, DEMO, VISITS], name="Third"))
    actions.propose(cast["sam"], approved)
    actions.approve(cast["carol"], approved)
    actions.approve(cast["victor"], approved)

    go_live(names_rule, cast, proposer="ada")

    for definition in (waiting, approved):
        definition.refresh_from_db()
        assert definition.status == "withdrawn"
        assert definition.withdrawn_note.startswith("v1 Fit and intent went live on Mar 20, 2026")
    with pytest.raises(ValidationError, match="only a proposed definition can be approved"):
        actions.approve(cast["victor"], waiting)
    with pytest.raises(ValidationError, match="approved by both"):
        actions.activate(cast["ada"], approved)
    # Each proposer is told, and the page says which version went live.
    note = Notification.objects.get(user=cast["mona"], kind="definition.withdrawn")
    assert note.body == waiting.withdrawn_note and note.url == waiting.get_absolute_url()
    assert Notification.objects.filter(user=cast["sam"], kind="definition.withdrawn").exists()
    page = login(cast["mona"]).get(waiting.get_absolute_url()).content.decode()
    assert "<strong>Withdrawn</strong> (proposed by Mona): v1 Fit and intent went live" in page
    assert "so this proposed version was withdrawn" in page
    assert f'?a={waiting.pk}&amp;b={names_rule.pk}">Compare it with v1</a>' in page
    assert AuditLog.objects.filter(action="definition.superseded").count() == 2


def test_a_draft_is_not_withdrawn_when_another_version_goes_live(cast, names_rule):
    draft = actions.create_definition(cast["mona"], content([VP, DEMO], name="Still drafting"))
    go_live(names_rule, cast)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.withdrawn_note == ""


def test_hit_counts_agree_with_the_reference_scoring_of_each_lead(
    cast, make_lead, channels, acme, march
):
    """The SQL that counts hits and the plain-Python scoring agree, lead by lead."""
    titles = ["VP Sales", "vp ops", " Head of IT", "Student", "", "Director", "CTO"]
    for number, title in enumerate(titles):
        lead = make_lead(f"p{number}@{'gmail.com' if number % 3 else 'acme.example'}",
                         title=title, account=acme if number % 2 else None,
                         source="paid_search" if number % 4 else "webinar")  # fmt: skip
        for day in range(number):  # touches on days 0..n-1, some after the first 30 days
            Touchpoint.objects.create(lead=lead, channel=channels["webinar"],
                                      kind="web_visit" if day % 2 else "webinar",
                                      occurred_at=T0 + timedelta(days=day * 6))  # fmt: skip
    rules = [
        VP,
        {"type": "fit", "field": "title", "op": "starts_with", "value": "head", "points": 5},
        {"type": "fit", "field": "email_domain", "op": "equals", "value": "GMAIL.com", "points": -9},
        {"type": "fit", "field": "source", "op": "one_of", "value": ["webinar"], "points": 3},
        {"type": "fit", "field": "industry", "op": "is_empty", "points": -1},
        {"type": "fit", "field": "employees", "op": "between", "value": [500, None], "points": 7},
        DEMO, VISITS, WEBINAR,
    ]  # fmt: skip
    definition = actions.create_definition(cast["mona"], content(rules, mql_grades=["A", "B"]))
    parsed = scoring.parse(definition)
    hits = queries.recent_hits(parsed)
    fit, engagement = [0] * len(parsed.fit_rules), [0] * len(parsed.engagement_rules)
    for lead in Lead.objects.select_related("account", "source"):
        as_of = lead.created_at + timedelta(days=queries.WINDOW_DAYS)
        result = engine.evaluate(parsed, scoring.lead_facts(lead), scoring.touch_facts(lead), as_of)
        for rule, _ in result.fit:
            fit[parsed.fit_rules.index(rule)] += 1
        for number, (_, touches, _) in enumerate(result.engagement):
            engagement[number] += touches > 0
    assert hits.leads == len(titles)
    assert (list(hits.fit), list(hits.engagement)) == (fit, engagement)
    assert all(fit) and engagement[0] == 0 and engagement[1] and engagement[2]
