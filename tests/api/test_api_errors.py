"""The API never answers 500 for what a client sends: ids beyond a 64-bit integer, days and
moments beyond the calendar, dates written as numbers and numbers too large to store are
refused up front (404 or 422); an error nobody expected answers JSON too; and the OpenAPI
document says which errors each operation answers and which filters each list takes."""

import json
import logging
import re
from datetime import date
from urllib.parse import quote, urlencode

import pytest

from accord.attribution import compute
from accord.attribution.models import AttributionRun
from accord.crm.models import Lead, LeadStatusChange
from accord.people import tokens
from accord.plan.models import Plan
from accord.sla.models import BusinessCalendar, FollowUpPolicy

pytestmark = pytest.mark.django_db

BEYOND_64_BITS = 99999999999999999999


@pytest.fixture
def admin_token(cast):
    return tokens.issue_token(cast["ada"], name="ops", scope="write")[1]


@pytest.fixture
def mql_under_a_policy(make_lead):
    """A lead that became MQL under a follow-up policy: a clock the evaluation runs."""
    BusinessCalendar.objects.create(
        team=None,
        time_zone="America/New_York",
        week={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        country="US",
    )
    FollowUpPolicy.objects.create(
        name="Every MQL", priority=20, first_response_hours=8, attempts=3, attempt_days=5,
        attempt_kinds=["call", "email"],
    )  # fmt: skip
    lead = make_lead("mql@acme.example", status=Lead.Status.MQL)
    LeadStatusChange.objects.create(
        lead=lead, from_status="new", to_status="mql", changed_at=lead.created_at
    )
    return lead


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", f"/touchpoints?lead_id={BEYOND_64_BITS}"),
        ("get", f"/activities?lead_id={BEYOND_64_BITS}"),
        ("post", f"/plans/{BEYOND_64_BITS}/revisions/1/approve"),
        ("post", f"/plans/1/revisions/{BEYOND_64_BITS}/approve"),
        ("get", f"/plans/{BEYOND_64_BITS}/funnel"),
        ("get", f"/leads/{BEYOND_64_BITS}"),
        ("get", f"/accounts/{BEYOND_64_BITS}"),
        ("get", f"/opportunities/{BEYOND_64_BITS}"),
        ("get", f"/leads/{BEYOND_64_BITS}/clocks"),
    ],
)
def test_an_id_beyond_64_bits_is_refused_up_front(api, admin_token, method, path):
    response = api(method, path, admin_token)
    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_review_of_a_lead_beyond_64_bits_is_refused_up_front(api, admin_token):
    response = api("post", f"/leads/{BEYOND_64_BITS}/review", admin_token, {"decision": "accepted"})
    assert response.status_code in (404, 422)


def test_a_moment_beyond_the_calendar_is_refused_before_the_clocks_run(
    api, admin_token, mql_under_a_policy
):
    assert api("get", "/sla/evaluate", admin_token, at="2026-03-10T12:00:00Z").status_code == 200
    for at in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0"):
        response = api("get", "/sla/evaluate", admin_token, at=at)
        assert response.status_code == 422, at
        assert response.json()["detail"][0]["loc"] == ["query", "at"]


def test_an_offset_no_time_zone_has_is_refused_at_every_door(
    api, admin_token, mql_under_a_policy, make_lead, channels
):
    # PostgreSQL refuses offsets of 16 hours or more (a 500 there); no zone is past 14.
    response = api("get", "/sla/evaluate", admin_token, at="2249-07-19T13:18:46+16:52")
    assert response.status_code == 422
    assert "offset lies between -12:00 and +14:00" in response.json()["detail"][0]["msg"]
    make_lead("ann@acme.example")
    touch = {"lead": "ann@acme.example", "channel": "webinar", "kind": "webinar",
             "occurred_at": "2026-03-03T10:00:00+16:00"}  # fmt: skip
    body = api("post", "/touchpoints/bulk", admin_token, {"items": [touch]}).json()
    assert body["results"][0]["errors"][0]["message"] == (
        "A time zone offset lies between -12:00 and +14:00."
    )


@pytest.mark.parametrize(
    "path,params",
    [
        ("/sla/board", {"from": "0001-01-01", "to": "0001-01-31"}),
        ("/reviews/rejection-rates", {"from": "0001-01-01", "to": "0001-01-31"}),
        ("/lead-value", {"cohort_from": "0001-01-01", "cohort_to": "0001-12-31"}),
        ("/attribution", {"start": "0001-01-01", "end": "0001-12-31"}),
    ],
)
def test_a_day_beyond_the_calendar_is_refused(api, admin_token, path, params):
    response = api("get", path, admin_token, **params)
    assert response.status_code == 422
    assert "1900-01-01 to 2999-12-31" in response.json()["detail"][0]["msg"]


def test_an_attribution_run_for_the_year_1_is_refused_before_it_is_queued(api, admin_token):
    year_one = {"start": "0001-01-01", "end": "0001-12-31"}
    response = api("post", "/attribution/runs", admin_token, year_one)
    assert response.status_code == 422
    assert not AttributionRun.objects.exists()
    # The page's form and the command ask the same question: the same answer.
    with pytest.raises(ValueError, match="1900-01-01 to 2999-12-31"):
        compute.requested_period(date(1, 1, 1), date(1, 12, 31), date.today())


@pytest.mark.parametrize(
    "method,path,params",
    [
        ("get", "/sla/board", {"to": "0"}),
        ("get", "/sla/board", {"from": "1700000000", "to": "2026-03-01"}),
        ("get", "/reviews/rejection-rates", {"from": "0"}),
        ("get", "/lead-value", {"cohort_from": "0", "cohort_to": "86400"}),
        ("get", "/attribution", {"start": "0", "end": "0"}),
        ("get", "/sla/evaluate", {"at": "1700000000"}),
        ("post", "/attribution/runs", {"start": 0, "end": 86400}),
    ],
)
def test_a_date_given_as_a_number_is_refused(api, admin_token, method, path, params):
    if method == "post":
        response = api(method, path, admin_token, params)
    else:
        response = api(method, path, admin_token, **params)
    assert response.status_code == 422
    assert not AttributionRun.objects.exists()


def test_a_list_filter_day_beyond_the_calendar_is_a_bad_filter(api, admin_token, make_lead):
    make_lead("ann@acme.example")
    for params in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}):
        response = api("get", "/leads", admin_token, **params)
        assert response.status_code == 400
        assert "1900-01-01 to 2999-12-31" in response.json()["detail"]
    assert len(api("get", "/leads", admin_token, date_to="2999-12-31").json()["items"]) == 1


def test_plan_numbers_too_large_to_store_are_refused(api, admin_token):
    plan = {
        "name": "FY2027",
        "fiscal_year": 2027,
        "target": "1000000",
        "asp": "10000",
        "rates": {s: "0.5" for s in ("lead_mql", "mql_sal", "sal_sql", "sql_opp", "opp_won")},
    }
    for field, value in (("target", "1e400"), ("asp", "1e-400")):
        response = api("post", "/plans", admin_token, plan | {field: value})
        assert response.status_code == 422, field
        assert response.json()["detail"][0]["loc"][-1] == field
    due_in_year_one = {"won": {"due_on": "0001-01-01"}}
    response = api("post", "/plans", admin_token, plan | {"goals": due_in_year_one})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("goals.won.due_on:")
    assert not Plan.objects.exists()


def test_an_unexpected_error_answers_json_500_without_internals(
    api, admin_token, client, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("connection to /srv/secret.db lost")

    monkeypatch.setattr("accord.sla.queries.evaluate", broken)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api("get", "/sla/evaluate", admin_token)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Something went wrong on our side; it has been logged."}
    assert "secret" not in response.content.decode()
    (logged,) = [r for r in caplog.records if r.name == "django.request"]
    assert logged.exc_info[0] is RuntimeError and logged.status_code == 500


def test_refusals_keep_their_own_answers(api, admin_token, cast):
    # The catch-all for the unexpected leaves the expected answers as they were.
    assert api("get", "/leads/999999", admin_token).status_code == 404
    assert api("get", "/leads", "acc_unknown").status_code == 401
    read = tokens.issue_token(cast["vera"], name="read", scope="read")[1]
    assert api("post", "/leads/bulk", read, {"items": []}).status_code == 403
    plan = {"name": "P", "fiscal_year": 2027, "target": "1", "asp": "1", "rates": {}}
    assert api("post", "/plans", admin_token, plan).status_code == 422


# The OpenAPI document -----------------------------------------------------------------------


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json()


def _operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_error_answers_with_the_detail_body(spec):
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert "detail" in spec["components"]["schemas"]["ErrorOut"]["properties"]
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        expected = {"401", "429"}
        if operation.get("parameters") or "requestBody" in operation:
            expected |= {"400", "422"}
        if method != "get":
            expected.add("403")
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected.add("413")
        assert expected <= set(responses), (method, path, expected - set(responses))
        for code in expected:
            assert responses[code]["content"]["application/json"]["schema"] == error
        assert "Retry-After" in responses["429"]["headers"]
    assert "404" in spec["paths"]["/api/v1/attribution"]["get"]["responses"]
    bulk = spec["paths"]["/api/v1/leads/bulk"]["post"]["responses"]
    assert {"400", "401", "403", "413", "422", "429"} <= set(bulk)


def test_the_lists_document_their_filters_as_query_parameters(spec):
    def parameters(path):
        operation = spec["paths"][f"/api/v1/{path}"]["get"]
        return {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}

    leads = parameters("leads")
    assert {"q", "date_from", "date_to", "owner", "status", "source", "sort"} <= set(leads)
    assert leads["date_from"]["schema"] == {"type": "string", "format": "date"}
    assert "mql" in leads["status"]["schema"]["enum"]
    assert leads["owner"]["schema"] == {"type": "integer"}
    assert set(leads["sort"]["schema"]["enum"]) >= {"newest", "score"}
    assert {"industry", "country", "owner"} <= set(parameters("accounts"))
    assert {"stage", "closed_from", "closes_to"} <= set(parameters("opportunities"))
    campaigns = parameters("campaigns")
    assert {"q", "channel", "kind"} <= set(campaigns) and "date_from" not in campaigns
    assert {"lead_id", "limit", "cursor"} <= set(parameters("touchpoints"))


def test_every_id_parameter_fits_a_64_bit_integer(spec):
    # A new router declaring a plain `int` id (not `RecordId`) fails here.
    for path, method, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            types = [schema] + schema.get("anyOf", [])
            for each in types:
                if each.get("type") == "integer" and parameter["in"] == "path":
                    assert each.get("maximum") == 2**63 - 1, (method, path, parameter["name"])
                if parameter["name"].endswith("_id") and each.get("type") == "integer":
                    assert each.get("maximum") == 2**63 - 1, (method, path, parameter["name"])


HOSTILE = [
    "99999999999999999999",
    "-1",
    "0",
    "1e400",
    "NaN",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "a\x00b",
    "é",
    "",
]
HOSTILE_BODIES = [{}, [], "text", None, {"items": [{"email": 1}]}, {"name": "\ud800"}]


def test_every_operation_answers_hostile_input_in_json_and_never_500(
    spec, client, admin_token, make_lead, settings
):
    # A small, fixed sweep of what fuzzing sent: every parameter of every operation given
    # each hostile value in turn, and every body each hostile body.
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    make_lead("ann@acme.example")
    client.raise_request_exception = False
    headers = {"Authorization": f"Bearer {admin_token}"}
    answers = []

    def send(method, path, query, body=None):
        url = f"{path}?{urlencode(query)}" if query else path
        if method == "get":
            response = client.get(url, headers=headers)
        else:
            response = getattr(client, method)(
                url, json.dumps(body), content_type="application/json", headers=headers
            )
        answers.append((response.status_code, method, url, body))
        assert response["Content-Type"].startswith("application/json"), (method, url)

    for path, method, operation in _operations(spec):
        plain = re.sub(r"\{\w+\}", "1", path)
        for parameter in operation.get("parameters", []):
            for value in HOSTILE:
                if parameter["in"] == "path":
                    named = path.replace(f"{{{parameter['name']}}}", quote(value) or "x")
                    send(method, re.sub(r"\{\w+\}", "1", named), {}, {})
                else:
                    send(method, plain, {parameter["name"]: value}, {})
        if "requestBody" in operation:
            for body in HOSTILE_BODIES:
                send(method, plain, {}, body)
    assert len(answers) > 500
    assert [a for a in answers if a[0] >= 500 or a[0] == 429] == []
