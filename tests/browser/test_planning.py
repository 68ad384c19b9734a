"""The revenue plan in the browser: a manager drafts it, both leaders sign, the scoreboard paces it."""

from playwright.sync_api import Page, expect


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/**")


def test_a_plan_is_drafted_signed_by_both_leaders_and_paced_on_the_scoreboard(
    page: Page, log_in, screenshot
):
    log_in("marketing.manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Name").fill("FY2026 new business")
    page.get_by_label("Fiscal year").fill("2026")
    page.get_by_label("New-business revenue target ($)").fill("18984000")
    page.get_by_label("Average selling price ($)").fill("113000")
    page.get_by_role("button", name="Create plan").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("FY2026 new business")
    expect(
        page.get_by_text("Draft: waiting for a marketing leader and a sales leader")
    ).to_be_visible()
    funnel = page.locator("table").first
    expect(funnel.get_by_role("row", name="Deals won")).to_contain_text("168")
    expect(funnel.get_by_role("row", name="Opportunities")).to_contain_text("672")
    expect(funnel.get_by_role("row", name="Leads")).to_contain_text("20,000")
    expect(page.get_by_role("button", name="Approve for")).to_have_count(0)  # managers can't
    plan_url = page.url
    _log_out(page)

    log_in("cmo")
    page.goto(plan_url)
    page.get_by_role("button", name="Approve for marketing").click()
    expect(page.get_by_text("now needs the other side's approval")).to_be_visible()
    expect(page.get_by_text("Draft: waiting for a sales leader")).to_be_visible()
    _log_out(page)

    log_in("vp.sales")
    page.goto(plan_url)
    page.get_by_role("button", name="Approve for sales").click()
    expect(page.get_by_text("is now the plan both teams signed")).to_be_visible()
    expect(page.locator(".signoff")).to_contain_text("In force")
    screenshot(page, "plan-approved")

    page.get_by_role("link", name="Scoreboard").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scoreboard")
    expect(page.get_by_role("link", name="FY2026 new business")).to_be_visible()  # the newest plan
    pacing = page.locator("table.sb-pacing")
    expect(pacing.get_by_role("columnheader", name="Actual to date")).to_be_visible()
    expect(pacing.get_by_role("columnheader", name="Plan to date")).to_be_visible()
    expect(pacing.get_by_role("row", name="Deals won")).to_be_visible()
    expect(page.get_by_text("How the forecast was made")).to_be_visible()
    screenshot(page, "scoreboard")


def test_a_plan_signed_with_a_start_gap_shows_it_on_the_plan_and_the_scoreboard(
    page: Page, log_in, screenshot
):
    """Ten times the demo's deals and a long sales cycle: the first months need MQLs from
    before the plan that nobody created. The plan does not pile them into January; it shows
    the gap, the same on the plan and on the scoreboard."""
    log_in("marketing.manager")
    page.goto("/plans/new/")
    page.get_by_label("Name").fill("FY2026 stretch")
    page.get_by_label("Fiscal year").fill("2026")
    page.get_by_label("New-business revenue target ($)").fill("189840000")
    page.get_by_label("Average selling price ($)").fill("113000")
    page.get_by_label("Opportunity → won lag (days)").fill("150")
    page.get_by_label("Growth for next year (%)").fill("10")
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("FY2026 stretch")
    rolling = page.locator("#rolling")
    expect(rolling).to_contain_text("this plan at 10.0% growth")
    gap = page.locator("#start-gap strong").inner_text()  # "Start gap: N deals ($X)."
    assert gap.startswith("Start gap: ") and "deals" in gap
    expect(page.get_by_text("for FY2027").first).to_be_visible()  # December's work
    plan_url = page.url
    _log_out(page)

    log_in("cmo")
    page.goto(plan_url)
    page.get_by_role("button", name="Approve for marketing").click()
    _log_out(page)
    log_in("vp.sales")
    page.goto(plan_url)
    page.get_by_role("button", name="Approve for sales").click()
    expect(page.locator(".signoff")).to_contain_text("In force")
    screenshot(page, "plan-with-a-start-gap")

    page.get_by_role("link", name="Scoreboard").first.click()
    page.locator("select[name=plan]").select_option(label="FY2026 stretch (from Jan 2026)")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#start-gap")).to_contain_text(gap.removesuffix("."))
    expect(page.locator("#coverage")).to_contain_text("Next quarter's coverage")
    screenshot(page, "scoreboard-start-gap")
