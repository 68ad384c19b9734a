"""The lead definition editor in the browser: a rule's value box offers the values in the data.

The marketing manager starts a draft from the active v1 and picks "Account country" in an
empty fit row: the box now suggests the ISO codes the accounts hold, with lead counts, and
names the commonest under it (so nobody types "United States" for data that says "US").
Nothing is saved: other browser tests count on the demo's definitions as they are.
"""

import re

from playwright.sync_api import Page, expect

expect.set_options(timeout=10_000)


def test_a_fit_rule_offers_the_values_its_field_holds(page: Page, log_in, screenshot):
    log_in("marketing.manager")
    page.goto("/qualify/definitions/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New lead definition")
    # v1's 11 fit rules fill rows 0-10; row 11 is the first empty one.
    field = page.locator("select[name='fit-11-field']")
    value = page.locator("input[name='fit-11-value']")
    expect(value).not_to_have_attribute("list", re.compile("."))
    field.select_option(label="Account country")
    expect(value).to_have_attribute("list", "rule-values-country")
    hint = page.locator("tr", has=value).locator(".value-hint")
    expect(hint).to_have_text("")  # no test chosen yet
    page.locator("select[name='fit-11-op']").select_option(label="is one of")
    expect(hint).to_contain_text(re.compile(r"In the data: US \([\d,]+ leads\)"))
    assert page.locator("#rule-values-country option[value='US']").count() == 1
    # v1's rows: "is one of" industries names the industries; "title contains" names none.
    expect(page.locator("tr", has=page.locator("input[name='fit-2-value']")).locator(
        ".value-hint")).to_have_text("")  # fmt: skip
    industry = page.locator("input[name='fit-5-value']")
    expect(industry).to_have_attribute("list", "rule-values-industry")
    expect(page.locator("tr", has=industry).locator(".value-hint")).to_contain_text("Software (")
    field.select_option(label="Account employees")  # a number: nothing to suggest
    expect(value).not_to_have_attribute("list", re.compile("."))
    expect(hint).to_have_text("")
    screenshot(page, "qualify-rule-values")
