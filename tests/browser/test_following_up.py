"""Service levels in the browser: the follow-up board, a lead's clocks, the two-way page."""

import re

from playwright.sync_api import Page, expect

expect.set_options(timeout=15_000)
PERCENT = re.compile(r"^\d+%$")


def test_the_board_shows_each_reps_compliance_and_a_lead_shows_its_clocks(
    page: Page, log_in, screenshot
):
    log_in("sales.manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Follow-up").click()
    expect(page.get_by_role("heading", name="Follow-up board", level=1)).to_be_visible()
    board = page.locator("#rep-board")
    rows = board.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 10  # every rep who owned an MQL in the last 90 days
    best = rows.first.locator("td").nth(4).inner_text()
    worst = rows.last.locator("td").nth(4).inner_text()
    assert PERCENT.match(best) and PERCENT.match(worst)
    assert int(best[:-1]) - int(worst[:-1]) >= 30  # the diligent and the negligent, apart
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(2)  # trend and per-rep charts
    screenshot(page, "follow-up-board")

    everybody = rows.count()
    page.locator("select[name=team]").select_option(label="Sales development")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("· Sales development")).to_be_visible()  # the KPI names the team
    assert 0 < board.locator("tbody tr").count() < everybody  # only the SDRs now

    page.get_by_label("MQL from").fill("2026-12-01")
    page.get_by_label("To").fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("The end date is before the start date.")

    page.get_by_role("link", name="Last 90 days").click()
    urgent = page.locator("section", has=page.get_by_role("heading", name="Needs follow-up now"))
    expect(urgent).to_be_visible()  # at risk now, if anything is (it depends on the hour)

    page.goto("/leads/?status=mql")  # any lead handed to sales has clocks
    lead_link = page.locator("table tbody a").first
    name = lead_link.inner_text()
    lead_link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    clocks = page.locator("#lead-clocks")
    expect(clocks.get_by_role("heading", name="Follow-up clocks")).to_be_visible()
    expect(clocks.get_by_role("row", name=re.compile("First response"))).to_be_visible()
    expect(clocks.get_by_role("row", name=re.compile("Attempts"))).to_be_visible()
    expect(clocks.locator("p .status").first).to_have_text(
        re.compile("On track|At risk|Met|Breached|Unassigned")
    )
    screenshot(page, "lead-clocks")

    page.get_by_role("link", name="Follow-up").first.click()
    page.get_by_role("link", name="Both ways").click()
    expect(page.get_by_role("heading", name="Both ways", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"FY\d{4} revenue plan"))).to_be_visible()
    expect(page.locator("#two-way tbody tr")).to_have_count(12)
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(2)
    screenshot(page, "two-way")


def test_a_rep_lands_on_their_follow_ups_and_logs_a_call_from_a_row(page: Page, log_in, screenshot):
    log_in("rep")
    expect(page).to_have_url(re.compile(r"/sla/queue/$"))  # their landing page
    expect(page.get_by_role("heading", name="My follow-ups", level=1)).to_be_visible()
    rows = page.locator("#follow-up-queue tbody tr")
    expect(rows.first).to_be_visible()
    row = rows.first
    name = row.locator("td").first.get_by_role("link").inner_text()
    attempts = row.locator("td").nth(5)
    before = int(attempts.inner_text().split(" of ")[0])
    expect(row.locator("td").nth(3)).to_have_text(re.compile("On track|At risk|Breached"))
    screenshot(page, "follow-up-queue")

    row.get_by_label("Outcome").fill("Left a voicemail")
    row.get_by_role("button", name="Log call").click()
    expect(page.get_by_role("status")).to_contain_text(f"Logged call with {name}.")
    same = page.locator("#follow-up-queue tbody tr", has=page.get_by_role("link", name=name))
    expect(same.locator("td").nth(5)).to_contain_text(f"{before + 1} of ")

    same.get_by_role("link", name=name).click()
    expect(page.get_by_role("link", name="Log a follow-up")).to_be_visible()  # at the top
    expect(page.locator(".timeline")).to_contain_text("Left a voicemail")
