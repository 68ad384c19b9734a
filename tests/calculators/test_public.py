"""The public calculator page (/c/<slug>/, no login): what a visitor sees, who may frame it,
the live results, the limits, and the builder's settings for it."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accord.calculators import actions, public
from accord.calculators.models import Calculator, Visit
from accord.people.models import AuditLog

PAGE = "/c/analyst-roi/"
COMPUTE = "/c/analyst-roi/compute/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limits count in the default cache


def defaults(**overrides):
    typed = {"analysts": "20", "hours_saved": "5", "salary": "90000", "licence": "1200",
             "implementation": "25000"}  # fmt: skip
    typed.update(overrides)
    return {f"in_{key}": value for key, value in typed.items()}


def test_a_visitor_sees_the_published_calculator_without_logging_in(client, published):
    response = client.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Analysts on the team" in page and "people" in page  # an input's label and unit
    assert 'name="in_salary" value="90000"' in page  # its default, as a person types it
    assert "(20000 to 500000)" in page  # its range
    assert "Hours saved, valued at the salary, over the horizon" in page  # how we computed it
    assert "OECD average hours worked, 2025" in page  # an assumption's source
    # The buyer reads the assumptions as the leaders signed them: a share as a percentage.
    assert '<td>Share of analysts who adopt it</td><td class="num">80%</td>' in page
    assert '<td>Working hours a year</td><td class="num">1,800</td>' in page
    # Results first: the defaults' results are on the page before any script runs.
    assert 'data-output="roi">469.07%<' in page
    visit = Visit.objects.get()
    assert visit.token in page and visit.version == published
    assert visit.started_at is None


def test_a_calculator_not_published_gets_a_polite_404(client, draft, proposed):
    for url in (PAGE, "/c/no-such-one/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "This calculator is not available" in response.content.decode()
    assert client.post(COMPUTE, defaults()).status_code == 404
    assert client.post("/c/analyst-roi/submit/", defaults()).status_code == 404
    assert not Visit.objects.exists()


def test_a_declined_version_is_not_shown(client, cast, proposed):
    actions.decline(cast["carol"], proposed, "The adoption rate needs a source we can cite.")
    assert client.get(PAGE).status_code == 404


def test_only_the_allowed_origins_may_frame_the_page(client, cast, published):
    page = client.get(PAGE)
    policy = page["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "script-src 'self'" in policy
    assert page["X-Frame-Options"] == "SAMEORIGIN"

    actions.set_public_page(
        cast["mona"], published.calculator, gate="results_first",
        allowed_origins="https://www.example.com\nhttp://localhost:8080/",
    )  # fmt: skip
    page = client.get(PAGE)
    policy = page["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.example.com http://localhost:8080;" in policy
    assert "https://evil.example" not in policy  # any other site is refused by the browser
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "X-Frame-Options" not in page  # it would refuse what the policy allows
    answer = client.post(COMPUTE, defaults())
    assert "frame-ancestors 'self' https://www.example.com" in answer["Content-Security-Policy"]


def test_the_live_results_come_from_the_server_formatted_as_shown(client, published):
    answer = client.post(COMPUTE, defaults(analysts="10"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert body["results"]["total_benefit"] == "276,000.00"
    assert body["results"] == {
        "total_benefit": "276,000.00",
        "total_cost": "61,000.00",
        "net_value": "215,000.00",
        "roi": "352.46%",
        "payback": "3.8 months",
    }


def test_the_live_results_name_each_bad_input(client, published):
    answer = client.post(COMPUTE, {**defaults(analysts="0", salary="lots"), "in_x": "1"})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors["analysts"] == ["Analysts on the team: at least 1"]
    assert errors["salary"] == ["Average salary: 'lots' is not a number"]
    assert errors["x"] == ["this calculator has no such input"]
    extra = client.post(COMPUTE, {**defaults(), "total_benefit": "1"})
    assert extra.status_code == 400
    assert extra.json()["errors"] == {"total_benefit": ["this form has no such field"]}


def test_email_first_shows_no_results_before_the_email(client, cast, published):
    actions.set_public_page(cast["mona"], published.calculator, gate="email_first")
    page = client.get(PAGE).content.decode()
    assert "469.07%" not in page and "Show my results" in page
    body = client.post(COMPUTE, defaults()).json()
    assert body == {"ok": True, "gated": True, "results": {}}


def test_the_live_results_mark_the_visit_started_and_the_last_input(client, published):
    client.get(PAGE)
    visit = Visit.objects.get()
    client.post(COMPUTE, {**defaults(analysts="12"), "visit": visit.token, "touched": "analysts"})
    visit.refresh_from_db()
    assert visit.started_at is not None and visit.last_input == "analysts"


@override_settings(CALCULATOR_ADDRESS_RATE_LIMIT=3, CALCULATOR_COMPUTE_RATE_LIMIT=2)
def test_too_many_requests_from_one_address_get_a_polite_429(client, published):
    assert [client.get(PAGE).status_code for _ in range(4)] == [200, 200, 200, 429]
    too_many = client.get(PAGE)
    assert too_many["Retry-After"] == "60"
    assert "please wait a minute" in too_many.content.decode()
    assert Visit.objects.count() == 3  # a refused view records nothing
    codes = [client.post(COMPUTE, defaults()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.post(COMPUTE, defaults()).json()["ok"] is False


@override_settings(CALCULATOR_RATE_LIMIT=2)
def test_too_many_requests_for_one_calculator_from_anywhere_get_a_429(client, published):
    codes = [client.get(PAGE, REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(1, 4)]
    assert codes == [200, 200, 429]


# --- The builder's settings ------------------------------------------------------------------


def test_a_builder_sets_the_gate_the_origins_and_the_consent(client, cast, published):
    client.force_login(cast["mona"])
    url = f"/calculators/{published.calculator_id}/public/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "gate": "email_first",
            "allowed_origins": "https://www.example.com\n\nhttps://shop.example.com:8443",
            "consent_text": "Send me the business case and related news.",
            "privacy_url": "https://www.example.com/privacy",
        },
    )
    assert response.status_code == 302
    calculator = Calculator.objects.get()
    assert calculator.gate == "email_first"
    assert calculator.allowed_origins == "https://www.example.com\nhttps://shop.example.com:8443"
    log = AuditLog.objects.get(action="calculator.public_page")
    assert log.actor == cast["mona"] and log.after["gate"] == "email_first"


def test_a_bad_origin_is_named_by_its_line_and_nothing_is_saved(client, cast, published):
    client.force_login(cast["mona"])
    url = f"/calculators/{published.calculator_id}/public/"
    response = client.post(
        url,
        {
            "gate": "results_first",
            "allowed_origins": "https://www.example.com\nhttps://www.example.com/pricing",
            "privacy_url": "not a url",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: “https://www.example.com/pricing” is not an origin" in page
    assert "“not a url” is not a web address" in page
    assert Calculator.objects.get().allowed_origins == ""
    assert not AuditLog.objects.filter(action="calculator.public_page").exists()


@pytest.mark.parametrize(
    "line",
    ["http://www.example.com", "https://*.example.com", "https://example.com;script-src *",
     "javascript:alert(1)", "https://exa mple.com", "https://example.com:99999"],
)  # fmt: skip
def test_origins_that_are_not_https_hosts_are_refused(cast, published, line):
    with pytest.raises(Exception, match="Line 1"):
        actions.set_public_page(
            cast["mona"], published.calculator, gate="results_first", allowed_origins=line
        )


@pytest.mark.parametrize("who", ["alice", "mike", "vera"])
def test_only_builders_change_the_public_page(client, cast, published, who):
    client.force_login(cast[who])
    url = f"/calculators/{published.calculator_id}/public/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"gate": "email_first"}).status_code == 403
    assert Calculator.objects.get().gate == "results_first"


def test_the_calculator_page_shows_the_public_address_and_the_embed_snippets(
    client, cast, published
):
    client.force_login(cast["alice"])
    page = client.get(f"/calculators/{published.calculator_id}/").content.decode()
    assert "http://testserver/c/analyst-roi/" in page
    assert "&lt;iframe src=&quot;http://testserver/c/analyst-roi/&quot;" in page
    assert (
        "&lt;script src=&quot;http://testserver/static/accord/embed.js&quot; "
        "data-calculator=&quot;analyst-roi&quot; async&gt;" in page
    )


def test_a_web_worker_keeps_the_published_calculator_a_moment(
    client, published, settings, monkeypatch
):
    """Within CALCULATOR_LIVE_SECONDS a burst of visitors reads the calculator once; after
    it, a change (here the allowed origins a builder saved) reaches the page."""
    settings.CALCULATOR_LIVE_SECONDS = 2
    monkeypatch.setattr(public, "_LIVE", {})
    clock = [1000.0]
    monkeypatch.setattr(public, "_clock", lambda: clock[0])
    assert "frame-ancestors 'self'" in client.get(PAGE)["Content-Security-Policy"]
    Calculator.objects.filter(pk=published.calculator_id).update(
        allowed_origins="https://www.example.com"
    )
    with CaptureQueriesContext(connection) as queries:
        kept = client.get(PAGE)
    assert "www.example.com" not in kept["Content-Security-Policy"]
    assert not [q for q in queries if "calculators_calculatorversion" in q["sql"]]
    clock[0] += 2
    fresh = client.get(PAGE)
    assert "frame-ancestors 'self' https://www.example.com" in fresh["Content-Security-Policy"]
