"""Importing a file in the browser: the real worker runs it while the progress bar fills."""

from pathlib import Path

from playwright.sync_api import Page, expect

ROWS = 20_000


def test_operations_upload_leads_and_watch_the_import_finish(
    page: Page, log_in, tmp_path: Path, screenshot
):
    path = tmp_path / "trade-show-leads.csv"
    lines = ["email,first_name,last_name,company,status,created_at"]
    lines += [
        f"visitor{i}@import-test.example,Visitor,{i},Booth Co {i % 50},new,2021-05-0{1 + i % 9}"
        for i in range(ROWS)
    ]
    lines.append("broken-address,Bad,Row,,new,2021-05-01")
    path.write_text("\n".join(lines) + "\n")

    log_in("ops.manager")  # sales & marketing operations: they import new leads
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("Kind").select_option("leads")
    page.get_by_label("File").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("trade-show-leads.csv")
    expect(page.get_by_text("detected accord format", exact=False)).to_be_visible()
    page.get_by_role("button", name=f"Import {ROWS + 1:,} rows").click()

    expect(page.locator("progress")).to_be_visible()
    expect(page.get_by_text("Done", exact=True)).to_be_visible(timeout=120_000)
    kpis = page.locator(".kpi")
    expect(kpis.filter(has_text="Created")).to_contain_text(f"{ROWS:,}")
    expect(kpis.filter(has_text="Rejected")).to_contain_text("1")
    expect(
        page.get_by_role("cell", name="“broken-address” is not an email address")
    ).to_be_visible()
    screenshot(page, "import-done")


def test_operations_map_unknown_owners_and_sources_in_the_preview(
    page: Page, log_in, tmp_path: Path, screenshot
):
    path = tmp_path / "hubspot-contacts-march.csv"
    path.write_text(
        "Record ID,Email,First Name,Last Name,Lifecycle Stage,Lead Status,Original Source,"
        "Create Date,Contact owner\n"
        "9001,lena.ortiz@browser-import.example,Lena,Ortiz,Marketing Qualified Lead,New,"
        "AI Referrals,2026-11-30 10:00,Pat Doe\n"
        "9002,omar.haddad@browser-import.example,Omar,Haddad,Lead,Open,"
        "Other Campaigns,2026-11-30 11:00,pat@partner.example\n"
    )
    log_in("ops.manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("Kind").select_option("leads")
    page.get_by_label("File").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Owners Accord does not know")).to_be_visible()
    expect(page.get_by_role("heading", name="Sources that are no Accord channel")).to_be_visible()
    page.get_by_label("Accord owner for Pat Doe").select_option(label="Jordan Reyes (rep)")
    page.get_by_label("Accord owner for pat@partner.example").select_option(
        label="Leave unassigned"
    )
    page.get_by_label("Accord source for AI Referrals").select_option(label="Referrals")
    page.get_by_label("Accord source for Other Campaigns").select_option(
        label="Create it as a new channel"
    )
    screenshot(page, "import-owner-and-source-mapping")
    page.get_by_role("button", name="Import 2 rows").click()

    expect(page.get_by_text("Done", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(".kpi").filter(has_text="Created")).to_contain_text("2")
    expect(page.locator(".kpi").filter(has_text="Rejected")).to_contain_text("0")

    page.goto("/leads/?q=lena.ortiz")
    page.get_by_role("link", name="Lena Ortiz").click()
    # The lifecycle stage, although its Lead Status is New.
    expect(page.get_by_role("heading", level=1)).to_contain_text("MQL")
    facts = page.locator("dl")
    expect(facts).to_contain_text("Jordan Reyes")
    expect(facts).to_contain_text("Referrals")
    expect(
        page.get_by_text("import of hubspot leads hubspot-contacts-march.csv").first
    ).to_be_visible()

    page.goto("/leads/?q=omar.haddad")
    page.get_by_role("link", name="Omar Haddad").click()
    expect(facts).to_contain_text("Unassigned")
    expect(facts).to_contain_text("Other Campaigns")
