"""Spend lines are refused the same way at every door (the form, the API, the CSV import):
a month more than a year outside the company's data, and an amount over ten times the
largest month so far unless confirmed. The `costs` world's data runs from January 2025 (a
search touch) to July 2026 (today, frozen); its largest month cost $1,000 (March 2026's
webinars)."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.attribution.models import Spend
from accord.people.tokens import issue_token

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 7, 15, 12, tzinfo=UTC)
LINE = {"side": "marketing", "label": "Agency", "channel": "webinar"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.mark.parametrize(
    ("month", "amount", "field", "message"),
    [
        ("1850-01-01", "500", "month", "January 1850 is more than a year outside"),
        ("2099-01-01", "500", "month", "January 2099 is more than a year outside"),
        ("2027-08-01", "500", "month", "spend is kept for Jan 2024 to Jul 2027"),
        ("2026-05-01", "12345678901", "amount", "more than 10× the largest month so far"),
        ("2026-05-01", "10000.01", "amount", "($1,000.00 in all)"),
    ],
)
def test_the_form_refuses_a_far_month_or_an_unconfirmed_huge_amount(
    costs, cast, login, month, amount, field, message
):
    manager = login(cast["mona"])
    page = manager.post("/attribution/spend/", LINE | {"month": month, "amount": amount})
    assert page.status_code == 200 and message in page.content.decode()
    assert not Spend.objects.exists()


def test_a_huge_amount_is_kept_when_confirmed_and_the_edges_are_accepted(costs, cast, login):
    manager = login(cast["mona"])
    for month, amount in [("2024-01-31", "500"), ("2027-07-01", "500"), ("2026-05-01", "10000")]:
        response = manager.post(
            "/attribution/spend/", LINE | {"month": month, "amount": amount, "label": month}
        )
        assert response.status_code == 302, month
    huge = LINE | {"month": "2026-06-01", "amount": "12345678901", "confirm_large": "on"}
    assert manager.post("/attribution/spend/", huge).status_code == 302
    assert Spend.objects.count() == 4
    # Editing a line goes through the same rule.
    line = Spend.objects.get(label="2024-01-31")
    page = manager.post(
        f"/attribution/spend/{line.pk}/", LINE | {"month": "1850-01-01", "amount": "1"}
    )
    assert "more than a year outside" in page.content.decode()
    line.refresh_from_db()
    assert line.month == date(2024, 1, 1)


def test_the_api_keeps_the_same_rule_with_a_confirmation_flag(costs, cast, client):
    token = issue_token(cast["mona"], name="w", scope="write")[1]

    def post(body):
        return client.post(
            "/api/v1/spend",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    far = post(LINE | {"month": "2099-01-01", "amount": "500"})
    assert far.status_code == 422 and far.json()["detail"].startswith("month: January 2099")
    huge = post(LINE | {"month": "2026-05-01", "amount": "12345678901"})
    assert huge.status_code == 422 and "more than 10×" in huge.json()["detail"]
    unknown = post(LINE | {"month": "2026-05-01", "amount": "5", "channel": "carrier_pigeon"})
    assert unknown.status_code == 422 and "carrier_pigeon" in unknown.json()["detail"]
    assert not Spend.objects.exists()

    kept = post(
        LINE | {"month": "2026-05-01", "amount": "12345678901", "confirm_large_amount": True}
    )
    assert kept.status_code == 201
    assert kept.json() | {"id": 0} == {
        "id": 0,
        "month": "2026-05-01",
        "side": "marketing",
        "channel": "webinar",
        "label": "Agency",
        "amount": "12345678901.00",
    }
    twin = post(LINE | {"month": "2026-05-09", "amount": "5"})
    assert twin.status_code == 422 and "already a line" in twin.json()["detail"]
    member = issue_token(cast["alice"], name="w", scope="write")[1]
    refused = client.post(
        "/api/v1/spend",
        json.dumps(LINE | {"month": "2026-05-01", "amount": "5", "label": "x"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {member}"},
    )
    assert refused.status_code == 403
    assert Spend.objects.count() == 1


def upload(client, text: str, **extra):
    csv_file = SimpleUploadedFile("google-ads.csv", text.encode(), content_type="text/csv")
    return client.post("/attribution/spend/import/", {"file": csv_file} | extra)


def test_the_import_keeps_good_rows_and_reports_each_bad_one(costs, cast, login):
    manager = login(cast["mona"])
    text = (
        "Month,Side,Channel,Amount\n"
        '2026-03,marketing,paid_search,"1,250.00"\n'  # row 2: kept
        "2026-04-01,Marketing,Paid Search,$400\n"  # row 3: kept (a channel by its name)
        "2026-04,sales,,900\n"  # row 4: kept, no channel
        "1850-01,marketing,paid_search,100\n"  # row 5: month out of range
        "2026-04,finance,paid_search,100\n"  # row 6: side
        "2026-04,marketing,tiktok,100\n"  # row 7: channel
        "2026-04,marketing,paid_search,lots\n"  # row 8: amount
        "2026-05,marketing,paid_search,12345678901\n"  # row 9: huge, not confirmed
        "2026-03,marketing,paid_search,99\n"  # row 10: repeats row 2
    )
    page = upload(manager, text).content.decode()
    assert "3 lines added, 0 updated, 0 unchanged" in page
    errors = [
        ("5", "month", "January 1850 is more than a year outside"),
        ("6", "side", "&#x27;finance&#x27; is not a side"),
        ("7", "channel", "No channel &#x27;tiktok&#x27;"),
        ("8", "amount", "&#x27;lots&#x27; is not an amount"),
        ("9", "amount", "$12,345,678,901.00 is more than 10× the largest month so far"),
        ("10", "month", "Row 2 already has this month, side, channel and label."),
    ]
    for row, column, why in errors:
        assert f'<td class="num">{row}</td><td>{column}</td><td>{why}' in page, row
    stored = sorted(Spend.objects.values_list("month", "side", "channel__key", "amount"))
    assert stored == [
        (date(2026, 3, 1), "marketing", "paid_search", Decimal("1250.00")),
        (date(2026, 4, 1), "marketing", "paid_search", Decimal("400.00")),
        (date(2026, 4, 1), "sales", None, Decimal("900.00")),
    ]
    # The same file again changes nothing; confirmed, the huge row is kept.
    again = upload(manager, text, confirm_large="on").content.decode()
    assert "1 line added, 0 updated, 3 unchanged" in again
    assert Spend.objects.filter(amount=Decimal("12345678901")).exists()


def test_a_file_the_import_cannot_read_stores_nothing(costs, cast, login):
    manager = login(cast["mona"])
    missing = upload(manager, "month,side,amount\n2026-03,marketing,100\n").content.decode()
    assert "Missing column: channel." in missing
    binary = SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x01", content_type="text/csv")
    page = manager.post("/attribution/spend/import/", {"file": binary}).content.decode()
    assert "not UTF-8 text" in page
    assert not Spend.objects.exists()
    assert login(cast["mike"]).get("/attribution/spend/import/").status_code == 403
