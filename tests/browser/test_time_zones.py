"""Time zones in the browser: an SDR in Chicago reads deadlines on their team's clock, moves
to London on their profile, and the same deadline reads on London's."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

expect.set_options(timeout=15_000)


def shown_in(deadline: str, zone: str) -> str:
    """How the page writes the instant `deadline` (ISO 8601) on `zone`'s clock."""
    local = datetime.fromisoformat(deadline).astimezone(ZoneInfo(zone))
    return f"{local:%a %b} {local.day}, {local:%H:%M %Z}"


def test_a_user_sets_their_zone_on_the_profile_and_a_deadline_moves_with_it(
    page: Page, log_in, screenshot
):
    log_in("sdr")
    page.goto("/leads/?status=mql")
    page.locator("table tbody a").first.click()
    lead_url = page.url
    deadline = page.locator("#lead-clocks time").first
    expect(deadline).to_be_visible()
    instant = deadline.get_attribute("datetime")
    # The SDR team's business calendar is Chicago's, so until they choose, so are their times.
    expect(deadline).to_have_text(shown_in(instant, "America/Chicago"))
    expect(page.locator("footer")).to_contain_text("Times in America/Chicago")

    page.locator("footer").get_by_role("link", name="change your time zone").click()
    # (A name outside the IANA list answers 400 with the reason: tests/people/test_time_zones.)
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: times are shown in Europe/London")

    try:
        page.goto(lead_url)
        moved = page.locator(f'#lead-clocks time[datetime="{instant}"]').first
        expect(moved).to_have_text(shown_in(instant, "Europe/London"))
        expect(moved).to_have_text(re.compile(r"GMT|BST"))
        expect(page.locator("footer")).to_contain_text("Times in Europe/London")
        screenshot(page, "lead-clocks-in-london")
    finally:
        # Back to the team's zone: the server's demo is shared by the session's tests.
        page.goto("/profile/")
        page.get_by_label("Time zone").fill("")
        page.get_by_role("button", name="Save time zone").click()
        expect(page.get_by_role("status")).to_contain_text(
            "America/Chicago, the default for your team"
        )
