"""The content library end to end, as people click it: the content manager publishes a PDF,
a rep sends it from a lead, the buyer opens the link, the rep rates it on the deal and files a
suggestion, the owner answers, and the owner's scorecard and the rep's notifications show it."""

import re
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect

expect.set_options(timeout=15_000)
TITLE = "Lakehouse pilot plan for evaluators"
SCORE = 4  # the rep gives every criterion a 4: the weighted score is 4.0 whatever the weights


def one_page_pdf(path: Path) -> Path:
    """A real one-page PDF with a heading and a few lines on it (drawn by Pillow), so that its
    preview shows something."""
    page = Image.new("RGB", (612, 792), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 612, 120), fill="#3b5bdb")
    draw.text((40, 40), "Lakehouse pilot plan", fill="white", font=ImageFont.load_default(36))
    body = ImageFont.load_default(18)
    for n, line in enumerate(["Scope: two data sources", "Success criteria", "Timeline: 6 weeks"]):
        draw.text((40, 170 + 40 * n), line, fill="#1c2333", font=body)
    page.save(path, "PDF", resolution=72)
    return path


def ratings_in(note: str) -> int:
    """How many ratings the scorecard's rating KPI counts, from its note."""
    if note.startswith("no ratings"):
        return 0
    if note.startswith("1 rating"):
        return 1
    return int(re.search(r"(\d+) ratings", note).group(1))


def answered(note: str) -> tuple[int, int]:
    """The suggestions KPI's "7 of 9 in the last year": answered in time, and all due."""
    in_time, due = re.match(r"(\d+) of (\d+) in the last year", note).groups()
    return int(in_time), int(due)


def test_an_asset_goes_from_upload_to_a_rating_a_suggestion_and_the_owners_scorecard(
    page: Page, new_tab, log_in, tmp_path: Path, screenshot
):
    # 1. The content manager adds the asset with its PDF, and publishes it.
    manager = log_in("content.manager")
    manager.goto("/content/new/")
    manager.get_by_label("Title").fill(TITLE)
    manager.get_by_label("Kind").select_option(label="One-pager")
    manager.get_by_label("Description").fill("Scope, success criteria & timeline <for pilots>.")
    manager.get_by_role("group", name="Buying stages").get_by_label("Opportunity").check()
    personas = manager.get_by_role("group", name="Personas")
    personas.get_by_label("Technical evaluator").check()
    personas.get_by_label("Champion").check()
    manager.get_by_label("Tags").fill("pilot, evaluation")
    manager.get_by_label("File").set_input_files(one_page_pdf(tmp_path / "pilot-plan.pdf"))
    manager.get_by_label("Note").fill("First edition")
    with manager.expect_navigation(timeout=30_000):  # the server draws the preview first
        manager.get_by_role("button", name="Add as a draft").click(no_wait_after=True)

    expect(manager.locator(".message-success")).to_contain_text(f"Added {TITLE} as a draft.")
    expect(manager.get_by_role("heading", level=1)).to_contain_text("Draft")
    manager.get_by_role("button", name="Publish").click()
    expect(manager.get_by_role("heading", level=1)).to_contain_text("Published")
    asset_url = manager.url
    preview = manager.locator("figure.preview img")
    expect(preview).to_have_attribute("alt", f"Preview of {TITLE}, version 1")
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") > 0  # drawn from the PDF's first page
    details = manager.locator("aside section", has=manager.get_by_role("heading", name="Details"))
    expect(details).to_contain_text("Scope, success criteria & timeline <for pilots>.")  # escaped
    screenshot(manager, "content-1-published")

    # The owner's scorecard before: what the rating and the answer will add to.
    manager.locator(".facts").get_by_role("link", name="Tom Whitaker").click()
    expect(manager.get_by_role("heading", name="Tom Whitaker", level=1)).to_be_visible()
    scorecard_url = manager.url
    rating_kpi = manager.locator(".kpi", has_text="Rating from reps").locator(".kpi-note")
    suggestion_kpi = manager.locator("#suggestions-kpi .kpi-note")
    ratings_before = ratings_in(rating_kpi.inner_text())
    in_time_before, due_before = answered(suggestion_kpi.inner_text())

    # 2. A rep opens one of their own deals at the opportunity stage and sends it.
    rep = log_in("rep", new_tab())
    rep.goto("/leads/")
    rep.locator("select[name=owner]").select_option(label="Jordan Reyes")
    rep.locator("select[name=status]").select_option(label="Opportunity")
    rep.get_by_role("button", name="Apply").click()
    rep.wait_for_url(re.compile(r"owner=\d+.*status=opportunity"))
    rep.wait_for_load_state("networkidle")
    lead_link = rep.locator("#results table tbody a").first
    lead_name = lead_link.inner_text()
    lead_link.click()
    expect(rep.get_by_role("heading", level=1)).to_contain_text(lead_name)
    panel = rep.locator("#suggested-assets")
    suggestion = panel.locator(".suggestion", has=rep.get_by_role("link", name=TITLE))
    expect(suggestion).to_be_visible()
    suggestion.get_by_text("Send…").click()
    expect(suggestion.get_by_label("Ask for the reader's email")).not_to_be_checked()
    suggestion.get_by_role("button", name=re.compile(r"^Send to ")).click()

    sent = rep.locator(".message-success")
    expect(sent).to_contain_text(f"Sent {TITLE} to {lead_name}. Their link: ")
    link = re.search(r"https?://\S+/s/[\w-]+/", sent.inner_text()).group(0)
    sent_link = rep.locator("#suggested-assets .sent-links li", has_text=TITLE)
    expect(sent_link).to_contain_text("Not opened")
    screenshot(rep, "content-2-sent-from-the-lead")

    # 3. The buyer opens the link: no login, the asset and who shared it.
    buyer = new_tab()
    buyer.goto(link)
    expect(buyer.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(buyer.get_by_text("Shared by Jordan Reyes")).to_be_visible()
    expect(buyer.get_by_role("link", name="Download")).to_be_visible()
    expect(buyer.locator("iframe.viewer-frame")).to_be_visible()
    expect(buyer.get_by_role("link", name="Log in")).to_have_count(0)
    screenshot(buyer, "content-3-public-viewer")
    # The buyer leaves: with its sockets closed (Chromium keeps one open ahead of the next
    # request), the test server's single sync worker is free for the others at once.
    buyer.context.close()

    manager.goto(asset_url)
    manager.get_by_role("navigation", name="Asset").get_by_role("link", name="Usage").click()
    usage = manager.locator("#usage")
    links_table = usage.locator("table", has=manager.get_by_role("columnheader", name="Opens"))
    link_row = links_table.locator("tbody tr", has=manager.get_by_role("link", name=lead_name))
    expect(link_row).to_contain_text("Opened")
    expect(link_row).to_contain_text("by Jordan Reyes")
    expect(usage.locator(".kpi", has_text="Opened by buyers")).to_contain_text("1 link of 1")
    screenshot(manager, "content-3-usage-opened")

    # 4. The rep rates it on that deal and files a suggestion.
    rep.reload()
    expect(rep.locator("#suggested-assets .sent-links li", has_text=TITLE)).to_contain_text(
        "Opened"
    )
    rep.locator("#suggested-assets").get_by_role("link", name=TITLE).first.click()
    rate = rep.locator("form.rate-form")
    deal = rate.get_by_label("Deal")
    deal.select_option(deal.locator("option", has_text=lead_name).get_attribute("value"))
    criteria = rate.locator("fieldset.choices")
    assert criteria.count() >= 3  # the demo's signed rubric
    for n in range(criteria.count()):
        criteria.nth(n).locator("input[type=radio]").nth(SCORE - 1).check()
    rate.get_by_label("Comment").fill("The CTO liked the timeline <b>a lot</b>.")
    rate.get_by_role("button", name="Rate").click()
    mine = rep.locator("#ratings tbody tr", has=rep.get_by_role("link", name=lead_name))
    expect(mine).to_contain_text("Jordan Reyes")
    expect(mine.locator("td").nth(5)).to_have_text(f"{SCORE}.0")
    expect(mine).to_contain_text("“The CTO liked the timeline <b>a lot</b>.”")  # escaped

    rep.get_by_role("navigation", name="Asset").get_by_role("link", name="Overview").click()
    form = rep.locator("#suggest")
    form.get_by_label("Kind").select_option(label="Fix")
    form.get_by_label("Comment").fill("Page 1 still names the old pilot length (30 days).")
    form.get_by_role("button", name="File the suggestion").click()
    expect(rep.locator(".message-success")).to_contain_text("Filed: the owner has been told")
    filed = rep.locator("#suggestions li.suggestion", has_text="old pilot length")
    expect(filed).to_contain_text("Open")
    expect(filed).to_contain_text("On track")
    expect(filed).to_contain_text("to Tom Whitaker")
    screenshot(rep, "content-4-rated-and-suggested")

    # 5. The owner accepts it from the suggestions page, with a date.
    manager.goto("/content/suggestions/")
    row = manager.locator("li.suggestion", has_text="old pilot length")
    expect(row).to_contain_text(TITLE)
    row.get_by_text("Answer", exact=True).click()
    done_by = date.today() + timedelta(days=14)
    row.get_by_label("Done by").fill(done_by.isoformat())
    row.get_by_role("button", name="Accept").click()
    expect(manager.locator(".message-success")).to_contain_text("Accepted: the rep has been told.")
    accepted = manager.locator("li.suggestion", has_text="old pilot length")
    expect(accepted).to_contain_text(
        f"Accepted: done by {done_by:%a %b} {done_by.day}, {done_by.year}."
    )
    screenshot(manager, "content-5-suggestion-accepted")

    # 6. The owner's scorecard counts the rating and the answer in time.
    manager.goto(scorecard_url)
    expect(rating_kpi).not_to_have_text(re.compile("^no ratings"))
    assert ratings_in(rating_kpi.inner_text()) == ratings_before + 1
    assert answered(suggestion_kpi.inner_text()) == (in_time_before + 1, due_before + 1)
    expect(manager.locator("#scorecard")).to_contain_text("median answer")
    assets = manager.locator("section", has=manager.get_by_role("heading", name="Assets"))
    expect(assets.get_by_role("row", name=re.compile(TITLE))).to_contain_text("Published")
    screenshot(manager, "content-6-owner-scorecard")

    rep.goto("/notifications/")
    told = rep.locator(".notification", has_text=f"Your suggestion on {TITLE} was accepted")
    expect(told).to_be_visible()
    expect(told).to_contain_text(f"It will be done by {done_by:%a %d %b %Y}.")
    opened = rep.locator(".notification", has_text=f"{lead_name} opened {TITLE}")
    expect(opened).to_contain_text("The link you sent was opened for the first time.")
    screenshot(rep, "content-6-rep-notified")
