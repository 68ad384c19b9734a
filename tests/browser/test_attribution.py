"""Attribution in the browser: a manager computes it and compares two models."""

import re

from playwright.sync_api import Page, expect


def test_a_manager_computes_attribution_and_compares_two_models(page: Page, log_in, screenshot):
    log_in("marketing.manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Attribution").click()
    expect(page.get_by_role("heading", name="Attribution", level=1)).to_be_visible()
    page.get_by_role("button", name="Recompute now").click()
    # The worker computes every model; the page polls and reloads itself when they are done.
    table = page.locator("#attribution-table")
    expect(table).to_be_visible(timeout=120_000)
    headers = table.locator("thead th")
    expect(headers.nth(1)).to_have_text("Markov (data-driven)")
    expect(headers.nth(2)).to_have_text("Shapley (data-driven)")
    first = table.locator("tbody tr").first
    expect(first.locator("td").nth(1)).to_contain_text(re.compile(r"\$[\d,]+ +\d+(\.\d)?%"))
    expect(first.locator("td").nth(2)).to_contain_text(re.compile(r"\$[\d,]+ +\d+(\.\d)?%"))
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(1)
    screenshot(page, "attribution")

    page.locator("select[name=basis]").select_option("revenue")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No attribution has been computed for this basis yet.")).to_be_visible()
