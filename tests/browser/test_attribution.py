"""Attribution in the browser: a manager compares two models, computes a period of their
own, reads return on spend and unit economics, and keeps spend."""

import re

from playwright.sync_api import Page, expect

MONEY_AND_SHARE = re.compile(r"\$[\d,]+ +\d+(\.\d)?%")


def test_a_manager_compares_two_models_and_computes_a_period(page: Page, log_in, screenshot):
    log_in("marketing.manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Attribution").click()
    expect(page.get_by_role("heading", name="Attribution", level=1)).to_be_visible()
    # The demo queues both bases; the worker computes them and the page reloads itself.
    compare = page.locator("#attribution-compare")
    expect(compare).to_be_visible(timeout=180_000)

    page.locator("select[name=a]").select_option("linear")
    page.locator("select[name=b]").select_option("shapley")
    page.get_by_role("button", name="Show").click()
    headers = compare.locator("thead th")
    expect(headers.nth(1)).to_have_text("Linear")
    expect(headers.nth(2)).to_have_text("Shapley (data-driven)")
    first = compare.locator("tbody tr").first
    expect(first.locator("td").nth(1)).to_contain_text(MONEY_AND_SHARE)
    expect(first.locator("td").nth(2)).to_contain_text(MONEY_AND_SHARE)
    expect(first.locator("td").nth(3)).to_contain_text(re.compile(r"[+-]\d+\.\d pts"))
    expect(page.get_by_text("Share of credit by channel: Linear and Shapley")).to_be_visible()
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(1)
    screenshot(page, "attribution")

    # A period of one's own: first not computed, then computed on request.
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-06-30")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("This period has not been computed yet.")).to_be_visible()
    page.get_by_role("button", name="Compute", exact=True).click()
    expect(compare).to_be_visible(timeout=180_000)
    expect(page.get_by_text(re.compile(r"converting Jan 1, 2026 to Jun 30, 2026"))).to_be_visible()

    # A period that ends before it starts is explained, not computed.
    page.get_by_label("From").fill("2026-07-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(re.compile("after it ends"))).to_be_visible()


def test_return_on_spend_and_the_unit_economics(page: Page, log_in, screenshot):
    log_in("cmo")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Attribution").click()
    page.get_by_role("link", name="Return on spend").click()
    page.locator("select[name=basis]").select_option("revenue")
    page.get_by_role("button", name="Show").click()
    # The period shown stays when the basis changes; revenue may not be computed for it.
    compute = page.get_by_role("button", name="Compute", exact=True)
    if compute.is_visible():
        compute.click()
    channels = page.locator("#roi-channels")
    expect(channels).to_be_visible(timeout=180_000)
    expect(channels.locator("tbody tr").first.locator("td").nth(3)).to_contain_text("×")
    expect(channels.locator("thead th").nth(3)).to_have_text("Revenue per dollar")
    expect(page.locator("#roi-window")).to_contain_text("Cost and credit over the same months")
    # The by-quarter table stays inside its card, on a laptop's width too (it overflowed at
    # 1,100 px when it shared a row).
    page.set_viewport_size({"width": 1100, "height": 800})
    quarters = page.locator("#quarters")
    card = page.locator("section.card", has=quarters)
    quarters.scroll_into_view_if_needed()
    table_box, card_box = quarters.bounding_box(), card.bounding_box()
    assert table_box["x"] + table_box["width"] <= card_box["x"] + card_box["width"] + 0.5
    page.set_viewport_size({"width": 1280, "height": 720})
    expect(page.locator("#unit-economics")).to_contain_text("CAC")
    expect(page.locator("#unit-economics")).to_contain_text("LTV : CAC")
    expect(page.locator("#roi-campaigns tbody tr").first).to_be_visible()
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(2)
    screenshot(page, "return-on-spend")

    page.get_by_role("link", name="Spend and inputs").click()
    page.locator("input[name=month]").fill("2026-10-01")
    page.locator("select[name=side]").select_option("marketing")
    page.locator("input[name=label]").fill("Trade show booth")
    page.locator("input[name=amount]").fill("-40")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 0.")).to_be_visible()
    page.locator("input[name=amount]").fill("18000")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#spend-lines")).to_contain_text("Trade show booth")
