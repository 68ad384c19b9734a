"""What a person sees using Accord in a real browser, on the demo company.

The server and its demo data are shared by the session; each test has its own
browser context, so its own login. Only test_a_rep_logs_a_follow_up writes data,
and only to a lead of the rep's own.
"""

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

expect.set_options(timeout=10_000)


def visible_statuses(page: Page) -> list[str]:
    return page.locator("#results tbody .status").all_inner_texts()


def replace_results(page: Page, change: Callable[[], object]) -> None:
    """Do `change` and wait until htmx has swapped new rows into #results, in place."""
    page.evaluate("window.sameDocument = true")
    page.locator("#results > *").first.evaluate("el => el.dataset.stale = '1'")
    change()
    expect(page.locator("#results [data-stale]")).to_have_count(0)
    assert page.evaluate("window.sameDocument"), "the page reloaded instead of swapping #results"


def open_leads(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    expect(page.get_by_role("heading", name="Leads", level=1)).to_be_visible()


def filter_leads(page: Page, label: str, option: str) -> None:
    """Choose an option (by its text) in one filter, as a user does."""
    # A wrapping <label> names its select "Status Any status": match the start.
    select = page.locator(".filters").get_by_role("combobox", name=re.compile(rf"^{label}\b"))
    replace_results(page, lambda: select.select_option(label=option))


def open_lead(page: Page, row: Locator | None = None) -> str:
    """Open the lead in `row` (the first row by default); returns its name."""
    if row is None:
        row = page.locator("#results tbody tr").first
    link = row.locator("td:first-child a")
    name = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    return name


def chart_is_drawn(figure: Locator) -> bool:
    """A canvas with a size and at least one painted pixel."""
    canvas = figure.locator("canvas")
    expect(canvas).to_have_attribute("data-drawn", "1")
    return canvas.evaluate(
        """c => c.width > 0 && c.height > 0 &&
               c.getContext('2d').getImageData(0, 0, c.width, c.height).data
                .some((value, i) => i % 4 === 3 && value > 0)"""
    )


def test_an_anonymous_visitor_is_sent_to_the_login_page(page: Page):
    page.goto("/leads/")

    expect(page).to_have_url(re.compile(r"/login/\?next=/leads/$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_wrong_password_shows_an_error_and_stays_on_the_login_page(page: Page):
    page.goto("/login/")
    page.get_by_label("Username").fill("sdr")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".form-error")).to_contain_text("username and password do not match")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_after_logging_in_the_visitor_reaches_the_page_they_asked_for(page: Page, log_in):
    page.goto("/leads/")
    log_in("rep")

    expect(page).to_have_url(re.compile(r"/leads/$"))
    expect(page.get_by_role("heading", name="Leads", level=1)).to_be_visible()


def test_a_rep_filters_leads_by_status_and_search_and_pages_through_them(
    page: Page, log_in, screenshot
):
    log_in("rep")
    open_leads(page)
    screenshot(page, "lead-list")

    filter_leads(page, "Status", "MQL")
    expect(page).to_have_url(re.compile(r"[?&]status=mql"))
    statuses = visible_statuses(page)
    assert statuses and set(statuses) == {"MQL"}

    # A last name: every searched field (name, email, title, account) shows in the row.
    term = page.locator("#results tbody td:first-child a").first.inner_text().split()[-1]
    replace_results(page, lambda: page.get_by_placeholder("Search…").fill(term))
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(term)}"))
    expect(page).to_have_url(re.compile(r"[?&]status=mql"))
    rows = page.locator("#results tbody tr").all_inner_texts()
    assert rows and all(term.lower() in row.lower() for row in rows)
    assert set(visible_statuses(page)) == {"MQL"}

    page.get_by_role("link", name="Clear").click()
    expect(page).to_have_url(re.compile(r"/leads/$"))
    first_on_page_1 = page.locator("#results tbody tr").first.inner_text()
    replace_results(page, lambda: page.get_by_role("link", name="Next ›").click())
    expect(page).to_have_url(re.compile(r"[?&]page=2"))
    expect(page.locator(".pagination")).to_contain_text("page 2 of")
    assert page.locator("#results tbody tr").first.inner_text() != first_on_page_1
    expect(page.get_by_role("link", name="‹ Previous")).to_be_visible()


def test_a_lead_shows_its_timeline_and_touchpoints_chart(page: Page, log_in, screenshot):
    log_in("rep")
    open_leads(page)
    filter_leads(page, "Status", "MQL")
    open_lead(page)

    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li.tl-touchpoint").first).to_be_visible()
    expect(timeline.locator("li.tl-status").filter(has_text="Created as New")).to_have_count(1)
    chart = page.locator("figure.chart")
    expect(chart).to_have_count(1)
    expect(chart).to_contain_text("Touchpoints by channel")
    assert chart_is_drawn(chart)
    screenshot(page, "lead-timeline")


def test_an_account_page_lists_its_people_and_opportunities(page: Page, log_in, screenshot):
    log_in("rep")
    open_leads(page)
    filter_leads(page, "Status", "Customer")
    with_account = page.locator("#results tbody tr").filter(has=page.locator("td:nth-child(3) a"))
    lead = open_lead(page, with_account.first)
    account = page.locator(".pagehead p a").first
    account_name = account.inner_text()
    account.click()

    expect(page.get_by_role("heading", name=account_name, level=1)).to_be_visible()
    people = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="People", exact=True)
    )
    expect(people.locator("tbody tr").filter(has_text=lead)).to_have_count(1)
    opportunities = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="Opportunities", exact=True)
    )
    expect(opportunities.locator("tbody tr").first).to_be_visible()
    screenshot(page, "account")


def test_a_rep_logs_a_follow_up_on_their_own_lead_and_a_viewer_cannot(page: Page, log_in):
    log_in("rep")
    me = page.get_by_title("Your profile").evaluate("a => a.firstChild.textContent.trim()")
    open_leads(page)
    filter_leads(page, "Owner", me)
    expect(page).to_have_url(re.compile(r"[?&]owner=\d+"))
    assert set(page.locator("#results tbody td:nth-child(6)").all_inner_texts()) == {me}
    open_lead(page)
    lead_url = page.url

    note = f"Asked about pricing ({uuid.uuid4().hex[:8]})"
    page.get_by_label("Kind").select_option(label="Call")
    page.get_by_label("Outcome").fill("Connected")
    page.get_by_label("Notes").fill(note)
    page.get_by_role("button", name="Log follow-up").click()

    expect(page.locator(".message-success")).to_have_text("Logged call.")
    newest = page.locator("ol.timeline > li").first
    expect(newest).to_have_class(re.compile(r"\btl-activity\b"))
    expect(newest).to_contain_text("Call")
    expect(newest).to_contain_text(note)
    expect(newest).to_contain_text(f"by {me}")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    log_in("viewer")
    page.goto(lead_url)
    expect(page.locator("ol.timeline > li").first).to_contain_text(note)
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_text("You can view this lead")).to_be_visible()


def test_the_overview_draws_its_two_charts(page: Page, log_in, screenshot):
    log_in("cmo")

    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(2)
    assert all(chart_is_drawn(chart) for chart in charts.all())
    screenshot(page, "overview")
