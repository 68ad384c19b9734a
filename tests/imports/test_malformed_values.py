"""Values no record can hold, through the CSV import and the one verb behind it and the bulk
API: each bad item is refused with its reason and the others stored; a value of the wrong
type never becomes a user, a channel or any other record; nothing fails a whole batch."""

from datetime import UTC
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.crm.models import Campaign, CampaignCost, Channel, Lead, Touchpoint
from accord.imports.actions import upsert_items
from accord.imports.csv_import import run_import
from accord.imports.items import Options
from accord.people.models import User

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01T00:00:00+14:00"  # valid ISO 8601, but out of range once in UTC
OUT_OF_RANGE = "Choose a day from 1900-01-01 to 2999-12-31."


def write(tmp_path, text: str):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lead_created_in_the_year_1_is_refused_and_the_others_imported(tmp_path, cast):
    text = (
        "email,first_name,created_at\n"
        "ann@acme.example,Ann,2025-03-05T14:22:00Z\n"
        f"bob@acme.example,Bob,{YEAR_ONE}\n"
        "cid@acme.example,Cid,0001-01-01 00:00 +14:00\n"
    )
    report = run_import("leads", write(tmp_path, text), tz=UTC)
    assert (report.created, report.rejected) == (1, 2)
    assert {(e.row, e.column, e.message) for e in report.errors} == {
        (2, "created_at", OUT_OF_RANGE),
        (3, "created_at", OUT_OF_RANGE),
    }
    assert list(Lead.objects.values_list("email", flat=True)) == ["ann@acme.example"]


def test_touch_times_beyond_the_calendar_or_any_time_zone_are_refused(tmp_path, make_lead):
    make_lead("ann@acme.example")
    text = (
        "lead,channel,kind,occurred_at\n"
        "ann@acme.example,webinar,webinar,2026-03-09T10:00:00Z\n"
        f"ann@acme.example,webinar,webinar,{YEAR_ONE}\n"
        "ann@acme.example,webinar,webinar,2026-03-09T10:00:00+99:99\n"
        "ann@acme.example,webinar,webinar,2026-03-09 10:00 +24:00\n"
    )
    report = run_import("touchpoints", write(tmp_path, text), tz=UTC)
    assert (report.created, report.rejected) == (1, 3)
    messages = [e.message for e in sorted(report.errors, key=lambda e: e.row)]
    assert messages[0] == OUT_OF_RANGE
    assert all("time zone offset that does not exist" in m for m in messages[1:])
    assert Touchpoint.objects.count() == 1


def test_a_small_cost_spread_over_many_months_is_never_negative(tmp_path, cast, channels):
    text = (
        "external_id,name,channel,starts_on,ends_on,cost\n"
        "C-1,Always on,webinar,2025-01-01,2025-12-31,0.10\n"
        "C-2,Long haul,webinar,2006-01-01,2025-12-31,100\n"
    )
    report = run_import("campaigns", write(tmp_path, text), tz=UTC)
    assert (report.created, report.rejected) == (2, 0)
    for external_id, total in (("C-1", Decimal("0.10")), ("C-2", Decimal("100"))):
        costs = CampaignCost.objects.filter(campaign__external_id=external_id)
        amounts = list(costs.values_list("amount", flat=True))
        assert min(amounts) >= 0 and sum(amounts) == total


def test_campaigns_refuse_values_of_the_wrong_type_and_days_beyond_the_calendar(cast, channels):
    good = {"name": "Spring", "channel": "webinar", "starts_on": "2026-03-01"}
    malformed = [
        ("channel", 5),
        ("channel", ["webinar"]),
        ("owner", {"name": "mona"}),
        ("name", "Spring \ud800"),
        ("starts_on", "0001-01-01"),
        ("ends_on", "9999-12-31"),
        ("month", "0000-01"),
        ("cost", {"amount": 5}),
    ]
    items = [good] + [
        good | {"name": f"Bad {i}", field: value} for i, (field, value) in enumerate(malformed)
    ]
    users, channel_count = User.objects.count(), Channel.objects.count()
    results = []
    upserted = upsert_items(
        "campaigns",
        enumerate(items),
        Options(source_system="crm"),
        each=lambda result, _: results.append(result),
    )
    assert (upserted.created, upserted.rejected) == (1, len(malformed))
    for result, (field, _) in zip(results[1:], malformed, strict=True):
        assert [e.column for e in result.errors] == [field]
    assert list(Campaign.objects.values_list("name", flat=True)) == ["Spring"]
    assert (User.objects.count(), Channel.objects.count()) == (users, channel_count)


# Whatever JSON an item holds, its batch goes through ----------------------------------------

FIELDS = {
    "leads": ["external_id", "email", "first_name", "title", "source", "owner", "status",
              "lead_status", "company", "created_at"],
    "accounts": ["external_id", "name", "domain", "employees", "country", "owner", "created_at"],
    "opportunities": ["external_id", "name", "account", "amount", "stage", "created_at",
                      "close_date", "owner", "source", "primary_lead", "won", "closed"],
    "campaigns": ["external_id", "name", "channel", "kind", "starts_on", "ends_on", "owner",
                  "month", "cost"],
    "touchpoints": ["external_id", "lead", "channel", "campaign", "kind", "occurred_at"],
    "activities": ["external_id", "lead", "user", "kind", "occurred_at", "outcome", "notes"],
}  # fmt: skip
GOOD = {
    "leads": {"email": "good@acme.example"},
    "accounts": {"name": "Good Corp"},
    "opportunities": {"name": "Deal", "account": "Acme Robotics", "amount": "5", "stage": "won"},
    "campaigns": {"name": "Spring", "channel": "webinar", "starts_on": "2026-03-01"},
    "touchpoints": {"lead": "ann@acme.example", "channel": "webinar", "kind": "webinar"}
    | {"occurred_at": "2026-03-09T10:00:00Z"},
    "activities": {"lead": "ann@acme.example", "kind": "call"}
    | {"occurred_at": "2026-03-10T10:00:00Z"},
}
HOSTILE_TEXT = st.sampled_from(
    [YEAR_ONE, "9999-12-31T23:59:59-14:00", "2026-03-09T10:00:00+99:99", "0000-01", "\ud800",
     "a\x00b", "NaN", "1e400", "-1", "", " ", "mql", "2026-03-09", "ann@acme.example"]
)  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | HOSTILE_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)


@pytest.fixture
def ann(make_lead):
    return make_lead("ann@acme.example")


@pytest.mark.parametrize("kind", FIELDS)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_json_in_an_item_is_stored_or_refused_and_never_fails_the_batch(ann, kind, data):
    fields = FIELDS[kind]
    item = data.draw(st.dictionaries(st.sampled_from(fields), JSON, min_size=1), label="item")
    with transaction.atomic():
        results = []
        upserted = upsert_items(
            kind,
            enumerate([GOOD[kind], item]),
            Options(source_system="fuzz"),
            each=lambda result, _: results.append(result),
        )
        assert results[0].status == "created"
        assert upserted.items == 2
        # Only text ever names a new owner or channel: never a number, a list or an object.
        given_text = {v.strip() for v in item.values() if isinstance(v, str)}
        for name in upserted.new_references["owners"] + upserted.new_references["channels"]:
            assert name.strip() in given_text | {"webinar"}
        transaction.set_rollback(True)
