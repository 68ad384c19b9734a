"""A business case on a deal, as a rep clicks it: on the deal of one of their leads, the rep
starts the demo's ROI calculator for the deal, adjusts it with the buyer (the results preview
as they type, computed by the server), saves it with a note, and the history and the
opportunity's latest case show what changed and who changed it."""

import re

from playwright.sync_api import Page, expect

expect.set_options(timeout=15_000)
CALCULATOR = "Analytics platform ROI"


def test_a_rep_starts_a_case_on_a_deal_adjusts_it_and_reads_the_history(
    page: Page, log_in, screenshot
):
    rep = log_in("rep")
    rep.goto("/leads/")
    rep.locator("select[name=owner]").select_option(label="Jordan Reyes")
    rep.locator("select[name=status]").select_option(label="Opportunity")
    rep.get_by_role("button", name="Apply").click()
    rep.wait_for_url(re.compile(r"owner=\d+.*status=opportunity"))
    rep.wait_for_load_state("networkidle")
    rep.locator("#results table tbody a").first.click()
    opportunities = rep.locator(
        "section.card", has=rep.get_by_role("heading", name="Opportunities")
    )
    opportunities.locator("a").first.click()  # the rep's lead's deal: theirs to work
    deal = rep.get_by_role("heading", level=1).inner_text().splitlines()[0].strip()

    # 1. Start the ROI calculator for the deal, at its defaults (20 analysts: $455,000 net).
    panel = rep.locator("#business-cases")
    panel.get_by_label("Start a new one:").select_option(label=CALCULATOR)
    panel.get_by_role("button", name="Start").click()
    expect(rep.get_by_role("heading", level=1)).to_have_text(f"Start a business case: {CALCULATOR}")
    expect(rep.get_by_label("Analysts on the team (people)")).to_have_value("20")
    rep.get_by_label("Note").fill("First numbers from discovery")
    rep.get_by_role("button", name="Save the business case").click()
    expect(rep.locator(".message-success")).to_contain_text(
        f"Started a {CALCULATOR} business case."
    )

    # 2. Back on the deal, the case is its latest; adjust it with the buyer.
    rep.locator(".crumbs a").first.click()  # the history's way back to the deal
    expect(rep.get_by_role("heading", level=1)).to_contain_text(deal)
    latest = rep.locator("#business-cases .latest-case")
    expect(latest).to_contain_text("455,000.00")
    rep.locator("#business-cases").get_by_role("link", name="Adjust").click()
    analysts = rep.get_by_label("Analysts on the team (people)")
    analysts.fill("35")
    preview = rep.locator("#case-preview")
    expect(preview).to_contain_text("815,000.00")  # recomputed by the server as they type
    analysts.fill("20000")
    expect(preview).to_contain_text("Analysts on the team: at most 10000")
    analysts.fill("35")
    rep.get_by_label("What changed and why").fill("The EU team joins: 35 analysts")
    screenshot(rep, "business-case-adjust")
    rep.get_by_role("button", name="Save a new version").click()

    # 3. The history says who changed what, from what to what, and the results after.
    expect(rep.get_by_role("heading", level=1)).to_have_text("Business case history")
    newest = rep.locator(".case-history > li").first
    expect(newest).to_contain_text("The EU team joins: 35 analysts")
    expect(newest).to_contain_text("Jordan Reyes")
    row = newest.locator("tr", has_text="Analysts on the team")
    expect(row.locator(".before")).to_have_text("20")
    expect(row.locator(".after")).to_have_text("35")
    expect(newest.locator("tr", has_text="Net value")).to_contain_text("815,000.00")
    screenshot(rep, "business-case-history")
    rep.locator(".crumbs a").first.click()
    expect(rep.locator("#business-cases .latest-case")).to_contain_text("815,000.00")
