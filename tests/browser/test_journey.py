"""The customer journey in the browser: a marketing manager maps a small journey, both leaders
sign it, a campaign's launch moves and the dependent dates follow, the owner marks the first
deliverable done (and the one after it moves), and a deliverable past its date shows late."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/**")


def _working_day_before(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def card(page: Page, title: str):
    """A deliverable's card on the board, by its title."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return page.locator(".journey-card").filter(has=heading)


def test_a_journey_is_mapped_signed_re_anchored_completed_and_shows_lateness(
    page: Page, log_in, new_tab, screenshot
):
    # The demo's marketing team works in New York: its deliverables are late or due by that
    # calendar, not by the machine's (UTC's day had already turned at 7 pm there).
    today = datetime.now(ZoneInfo("America/New_York")).date()
    log_in("marketing.manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journeys").click()
    page.get_by_role("link", name="New journey").click()
    page.get_by_label("Name").fill("Browser journey")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Ends on").fill((today + timedelta(days=120)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Browser journey")

    page.get_by_text("Add a stage").click()
    page.get_by_label("Name").fill("Awareness")
    page.get_by_label("Accountable team").select_option(label="Marketing")
    page.get_by_label("Role").fill("Demand gen manager")
    page.get_by_label("Funnel step it moves").select_option(label="Lead → MQL")
    page.get_by_role("button", name="Add the stage").click()
    expect(page.get_by_text("Stage added.")).to_be_visible()

    page.get_by_role("link", name="+ Deliverable").click()
    page.get_by_label("Title").fill("Launch brief")
    page.get_by_label("Due date hangs on").select_option(label="A campaign's launch")
    page.get_by_label("Campaign", exact=True).select_option(index=1)
    page.get_by_label("Business days after it (negative: before)").fill("15")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Deliverable added.")).to_be_visible()

    page.get_by_role("link", name="+ Deliverable").click()
    page.get_by_label("Title").fill("Launch deck")
    page.get_by_label("Due date hangs on").select_option(label="Another deliverable's completion")
    page.get_by_label("Deliverable", exact=True).select_option(label="Launch brief")
    page.get_by_label("Business days after it (negative: before)").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("2 business days after Launch brief is done")).to_be_visible()

    page.get_by_role("button", name="Propose for sign-off").click()
    board = page.url
    _log_out(page)
    for leader in ("cmo", "vp.sales"):
        log_in(leader)
        page.goto(board)
        page.get_by_role("button", name="Sign the journey").click()
        _log_out(page)
    log_in("marketing.manager")
    page.goto(board)
    expect(page.get_by_text("v1 signed").first).to_be_visible()

    # The campaign launches a week later: the open deliverables on it move, and the page
    # says which (the demo journey's that hang on the same campaign too).
    page.get_by_text("Move a campaign's launch").click()
    mover = page.locator("details", has_text="Move a campaign's launch")
    mover.get_by_label("Campaign").select_option(index=1)
    launch = page.locator(".journey-card").first.inner_text()
    mover.get_by_label("Launches on").fill((today + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Move the launch").click()
    moved = page.get_by_text("open deliverable(s) moved")  # the demo journey's too
    expect(moved).to_contain_text("Launch brief:")
    expect(moved).to_contain_text("Launch deck:")
    assert page.locator(".journey-card").first.inner_text() != launch

    # The owner marks the brief done early: the deck, two business days after it, moves.
    card(page, "Launch brief").get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Launch brief is done. 1 open deliverable(s) moved")).to_be_visible()
    expect(card(page, "Launch brief")).to_contain_text("Done")

    # Started a month ago, with the deck due on the last working day: it is late.
    page.get_by_role("link", name="Edit", exact=True).first.click()
    page.get_by_label("Starts on").fill((today - timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save").click()
    card(page, "Launch deck").get_by_role("link", name="Edit").click()
    page.get_by_label("Due date hangs on").select_option(label="A fixed date")
    page.get_by_label("Fixed date").fill(_working_day_before(today).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(card(page, "Launch deck")).to_contain_text("Late")
    # Changed after it was signed: a new draft, the signed v1 still in force.
    expect(page.get_by_text("v2 draft", exact=True)).to_be_visible()
    screenshot(page, "journey-board")
    page.goto("/journeys/mine/")
    expect(page.get_by_role("row", name="Launch deck")).to_contain_text("Late")
    screenshot(page, "journey-mine")

    # Lateness escalates: the demo journey's one-pager, eight business days late, is stuck,
    # and the content writer's manager was told (the hourly tick ran on the demo's history).
    manager = log_in("content.manager", new_tab())
    manager.get_by_role("link", name="Notifications").click()
    stuck = manager.get_by_text(re.compile(r"^Stuck: Competitor comparison one-pager is \d+"))
    expect(stuck.first).to_be_visible()
    screenshot(manager, "journey-stuck-escalated")
