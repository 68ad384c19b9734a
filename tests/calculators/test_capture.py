"""Lead capture on the public page: the submit creates or finds the lead, touches it from the
calculator, stores the server's results once; bad, robotic, hasty and replayed posts store
nothing more; and a visitor's deletion request."""

import re
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.calculators import actions, compute, public
from accord.calculators.models import Calculator, DeletionRequest, Submission, Visit
from accord.crm.models import Account, Campaign, Channel, Lead, Touchpoint
from accord.people.models import AuditLog, Notification

PAGE = "/c/analyst-roi/"
SUBMIT = "/c/analyst-roi/submit/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limits count in the default cache


def form(calculator, *, seconds_ago=10, email="ann@example.com", **overrides):
    """What the page's form posts, served `seconds_ago`."""
    issued = time.time() - seconds_ago
    data = {
        "form_key": public.form_key(calculator, issued_at=issued),
        "email": email,
        "name": "Ann Lee",
        "company": "Example Corp",
        "in_analysts": "10",
        "in_hours_saved": "5",
        "in_salary": "90,000",
        "in_licence": "1200",
        "in_implementation": "25000",
    }
    data.update(overrides)
    return data


def stored():
    return (
        Lead.objects.count(),
        Touchpoint.objects.count(),
        Submission.objects.count(),
    )


def test_a_submit_creates_the_lead_a_calculator_touch_and_the_submission(client, published):
    calculator = published.calculator
    client.get(PAGE)
    visit = Visit.objects.get()
    response = client.post(SUBMIT, form(calculator, visit=visit.token))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Thank you" in page and "276,000.00" in page and "352.46%" in page

    lead = Lead.objects.get()
    assert (lead.email, lead.first_name, lead.last_name) == ("ann@example.com", "Ann", "Lee")
    assert lead.account.name == "Example Corp" and lead.owner is None
    assert lead.source.key == "value-calculators" and lead.source.group == "marketing"
    touch = Touchpoint.objects.get()
    calculator.refresh_from_db()
    assert (touch.lead, touch.kind, touch.channel.name) == (lead, "calculator", "Value calculators")
    assert touch.campaign == calculator.campaign
    assert calculator.campaign.name == "Analyst ROI (value calculator)"
    submission = Submission.objects.get()
    assert (submission.lead, submission.touchpoint, submission.version) == (lead, touch, published)
    assert submission.lead_was_new and submission.email == "ann@example.com"
    assert submission.inputs["salary"] == "90000"
    assert submission.results["total_benefit"] == "276000"
    visit.refresh_from_db()
    assert submission.visit == visit and visit.completed_at == submission.created_at


def test_the_stored_results_are_the_servers_whatever_the_client_sends(client, published):
    calculator = published.calculator
    tampered = client.post(SUBMIT, form(calculator, total_benefit="99999999"))
    assert tampered.status_code == 400
    assert "total_benefit: this form has no such field" in tampered.content.decode()
    as_input = client.post(SUBMIT, form(calculator, in_roi="50"))
    assert "this calculator has no such input" in as_input.content.decode()
    assert stored() == (0, 0, 0)

    client.post(SUBMIT, form(calculator))
    submission = Submission.objects.get()
    expected = compute.compute(published, compute.read_inputs(published, {
        "analysts": "10", "hours_saved": "5", "salary": "90000", "licence": "1200",
        "implementation": "25000",
    }))  # fmt: skip
    assert submission.results == expected.stored_values()


def without_case_link(response) -> str:
    """The answer with the visitor's business-case token taken out."""
    return re.sub(r"/c/case/[^/\"]+/", "/c/case/TOKEN/", response.content.decode())


def test_a_lead_is_found_by_its_email_case_aside(client, published):
    calculator = published.calculator
    client.post(SUBMIT, form(calculator, email="Ann@X.com"))
    client.post(SUBMIT, form(calculator, email=" ann@x.com ", name="Someone Else"))
    lead = Lead.objects.get()
    assert lead.email == "ann@x.com" and lead.first_name == "Ann"
    first, second = Submission.objects.order_by("id")
    assert (first.lead, second.lead) == (lead, lead)
    assert (first.lead_was_new, second.lead_was_new) == (True, False)
    assert Touchpoint.objects.filter(lead=lead, kind="calculator").count() == 2


def test_a_lead_owned_by_someone_else_keeps_its_owner_and_the_answer_is_the_same(
    client, published, make_lead, cast
):
    calculator = published.calculator
    known = make_lead("known@example.com", owner="alice", status="mql", first_name="Kim")
    fresh = client.post(SUBMIT, form(calculator, email="new@example.com"))
    existing = client.post(SUBMIT, form(calculator, email="KNOWN@example.com", name="Eve Mallory"))
    assert fresh.status_code == existing.status_code == 200
    # Nothing says whether the email was known: the answers differ only by the signed link to
    # each visitor's own business case.
    assert without_case_link(fresh) == without_case_link(existing)
    assert without_case_link(fresh) != fresh.content.decode()
    known.refresh_from_db()
    assert (known.owner, known.status, known.first_name) == (cast["alice"], "mql", "Kim")
    assert known.source.key == "webinar"
    submission = Submission.objects.get(email="known@example.com")
    assert submission.lead == known and not submission.lead_was_new
    assert submission.touchpoint.lead == known


@override_settings(CALCULATOR_ADDRESS_RATE_LIMIT=2000, CALCULATOR_RATE_LIMIT=2000)
def test_a_submission_replayed_a_thousand_times_is_stored_once(client, published):
    data = form(published.calculator)
    answers = {without_case_link(client.post(SUBMIT, data)) for _ in range(1000)}
    assert len(answers) == 1  # the same answer each time (its case link signed anew)
    assert stored() == (1, 1, 1)


def test_the_honeypot_filled_in_gets_the_answer_a_person_gets_and_stores_nothing(client, published):
    calculator = published.calculator
    robot = client.post(SUBMIT, form(calculator, website="https://spam.example"))
    assert robot.status_code == 200 and "Thank you" in robot.content.decode()
    assert stored() == (0, 0, 0)
    assert Calculator.objects.get().campaign is None


def test_a_submit_sooner_than_a_person_types_is_refused_politely(client, published):
    calculator = published.calculator
    hasty = client.post(SUBMIT, form(calculator, seconds_ago=0.5))
    page = hasty.content.decode()
    assert hasty.status_code == 400
    assert "quicker than a person types" in page
    assert 'value="ann@example.com"' in page and 'name="in_salary" value="90,000"' in page
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize("key", ["expired", "forged", "other calculator", "missing"])
def test_a_form_key_that_is_old_forged_or_for_another_calculator_is_refused(
    client, cast, published, key
):
    calculator = published.calculator
    other = actions.create_calculator(cast["mona"], name="Other", kind="tco")
    keys = {
        "expired": public.form_key(calculator, issued_at=time.time() - 25 * 3600),
        "forged": public.form_key(calculator, issued_at=time.time() - 10)[:-2] + "xx",
        "other calculator": public.form_key(other, issued_at=time.time() - 10),
        "missing": "",
    }
    response = client.post(SUBMIT, form(calculator, form_key=keys[key]))
    assert response.status_code == 400
    assert "This form has expired; reload the page" in response.content.decode()
    assert stored() == (0, 0, 0)


def test_inputs_out_of_range_or_of_the_wrong_type_are_named_and_nothing_is_stored(
    client, published
):
    calculator = published.calculator
    response = client.post(
        SUBMIT, form(calculator, in_analysts="2.5", in_hours_saved="41", email="not-an-email")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Analysts on the team: give a whole number" in page
    assert "Hours each saves a week: at most 40" in page
    assert "That is not an email address." in page
    assert stored() == (0, 0, 0)


def test_consent_is_required_when_the_calculator_asks_for_it(client, cast, published):
    calculator = actions.set_public_page(
        cast["mona"], published.calculator, gate="results_first",
        consent_text="Email me the business case and related news.",
    )  # fmt: skip
    page = client.get(PAGE).content.decode()
    assert "Email me the business case and related news." in page
    refused = client.post(SUBMIT, form(calculator))
    assert refused.status_code == 400 and "Please tick the box" in refused.content.decode()
    assert stored() == (0, 0, 0)
    assert client.post(SUBMIT, form(calculator, consent="yes")).status_code == 200
    assert Submission.objects.count() == 1


@override_settings(CALCULATOR_ADDRESS_RATE_LIMIT=2)
def test_too_many_submits_from_one_address_get_a_429_and_store_nothing(client, published):
    calculator = published.calculator
    codes = [
        client.post(SUBMIT, form(calculator, email=f"v{n}@example.com")).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    assert Submission.objects.count() == 2


def test_a_script_submits_with_curl_and_reads_json(client, published):
    response = client.post(SUBMIT, form(published.calculator), HTTP_ACCEPT="application/json")
    body = response.json()
    assert body["ok"] is True and body["results"]["roi"] == "352.46%"
    bad = client.post(
        SUBMIT, form(published.calculator, in_analysts="0"), HTTP_ACCEPT="application/json"
    )
    assert bad.status_code == 400
    assert bad.json() == {"ok": False, "errors": {"analysts": ["Analysts on the team: at least 1"]}}


def test_the_touch_counts_for_scoring_like_an_imported_one(client, published):
    client.post(SUBMIT, form(published.calculator))
    touch = Touchpoint.objects.get()
    assert touch.source_system == "value-calculators" and touch.external_id
    assert Channel.objects.filter(key="value-calculators").count() == 1


# --- Deletion requests ---------------------------------------------------------------------------


def test_a_visitor_has_what_they_entered_deleted(
    client, published, cast, django_capture_on_commit_callbacks
):
    calculator = published.calculator
    client.get(PAGE)
    visit = Visit.objects.get()
    client.post(SUBMIT, form(calculator, email="Ann@Example.com", visit=visit.token))
    client.post(SUBMIT, form(calculator))

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/c/forget/", {"email": "ANN@example.com"})
        unknown = client.post("/c/forget/", {"email": "nobody@example.com"})
    said = "If we hold anything you entered in our calculators under that address"
    assert said in asked.content.decode() and said in unknown.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]
    link = re.search(r"http://\S+/c/forget/(\S+)/", mail.outbox[0].body)
    path = link.group(0).removeprefix(link.group(0).split("/c/")[0])

    shown = client.get(path)  # a mail scanner opening the link deletes nothing
    assert shown.status_code == 200 and "Delete them" in shown.content.decode()
    assert all(s.inputs for s in Submission.objects.all())

    client.post(path)  # without the button's answer, nothing either
    assert all(s.inputs for s in Submission.objects.all())
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path, {"confirm": "yes"})
    assert "Done" in done.content.decode()
    assert [(s.inputs, s.results, s.visit) for s in Submission.objects.all()] == [
        ({}, {}, None)
    ] * 2
    assert not Visit.objects.exists()
    request = DeletionRequest.objects.get()
    assert request.submissions_deleted == 2 and request.confirmed_at is not None
    assert AuditLog.objects.filter(action="calculator.erased").count() == 1
    note = Notification.objects.get(kind="calculator.erasure")
    assert note.user == cast["ada"]  # no operations manager in the cast: the admins hear it
    assert "ann@example.com" in note.title
    assert Lead.objects.filter(email="ann@example.com").exists()  # the CRM's lead stays

    client.post(path, {"confirm": "yes"})  # confirming again changes nothing more
    assert AuditLog.objects.filter(action="calculator.erased").count() == 1


def test_a_tampered_deletion_link_gets_a_polite_404(client, published):
    client.post(SUBMIT, form(published.calculator))
    client.post("/c/forget/", {"email": "ann@example.com"})
    response = client.post("/c/forget/not-a-real-token/")
    assert response.status_code == 404
    assert "This link is not valid or has expired" in response.content.decode()
    assert Submission.objects.get().inputs


def test_a_new_leads_company_joins_the_account_of_that_name_without_reading_every_account(
    client, published, acme
):
    Account.objects.bulk_create(
        Account(name=f"Other {n}", created_at=acme.created_at) for n in range(50)
    )
    with CaptureQueriesContext(connection) as queries:
        client.post(SUBMIT, form(published.calculator, company="ACME robotics"))
    lead = Lead.objects.get()
    assert lead.account == acme and Account.objects.count() == 51
    account_reads = [q["sql"] for q in queries if 'FROM "crm_account"' in q["sql"]]
    assert account_reads and all("WHERE" in sql for sql in account_reads)


def test_the_visitor_is_answered_before_the_worker_makes_the_lead_and_nothing_is_lost(
    client, published, settings, time_machine
):
    """With the real queue, the submit stores the submission and queues its lead; the worker
    makes the lead and the touch (at the moment of the submit) once, and a submission whose
    task was lost is picked up by the minute's safety net."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from accord.calculators import capture, tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    time_machine.move_to(timezone.now(), tick=True)
    response = client.post(SUBMIT, form(published.calculator))
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    submission = Submission.objects.get()
    assert submission.lead is None and stored() == (0, 0, 1)
    (queued,) = DBTaskResult.objects.filter(task_path=capture.attach_lead.module_path)
    assert queued.status == TaskResultStatus.READY and queued.args_kwargs["args"] == [submission.pk]

    capture.attach_lead.call(submission.pk)  # what the worker runs
    capture.attach_lead.call(submission.pk)  # again: a retry changes nothing
    submission.refresh_from_db()
    assert stored() == (1, 1, 1) and submission.lead.email == "ann@example.com"
    assert submission.touchpoint.occurred_at == submission.created_at
    assert submission.lead_was_new and submission.lead.first_name == "Ann"

    # A second visitor whose task the worker never ran (it was stopped and its queue lost).
    client.post(SUBMIT, form(published.calculator, email="bo@example.com"))
    DBTaskResult.objects.all().delete()
    lost = Submission.objects.get(email="bo@example.com")
    tasks.capture_pending.call()  # a minute later: too soon to call it missed
    assert Submission.objects.get(pk=lost.pk).lead is None
    time_machine.shift(tasks.MISSED_AFTER)
    tasks.capture_pending.call()
    assert Submission.objects.get(pk=lost.pk).lead.email == "bo@example.com"
    assert stored() == (2, 2, 2)


def test_a_calculator_tied_to_a_campaign_of_marketings_own_credits_that_campaign(client, published):
    """Marketing tied the calculator to its own campaign (as the demo does): the touches go
    to that campaign, never to one capture would have made."""
    from datetime import date

    from accord.calculators import capture

    calculator = published.calculator
    channel = capture._channel()
    spring = Campaign.objects.create(
        name="Spring ROI push", channel=channel, starts_on=date(2026, 3, 1)
    )
    Calculator.objects.filter(pk=calculator.pk).update(campaign=spring)
    client.post(SUBMIT, form(calculator))
    touch = Touchpoint.objects.get()
    assert touch.campaign == spring and touch.kind == "calculator"
    assert Campaign.objects.count() == 1
