"""Malformed items in a bulk batch: each is refused with its reason, the others are stored,
and a value of the wrong type never becomes a user, a channel or any other record."""

import pytest

from accord.crm.models import Account, Activity, Channel, Lead, Opportunity, Touchpoint
from accord.people.models import User

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01T00:00:00+14:00"  # a valid ISO 8601 moment that overflows in UTC
SURROGATE = "\ud800"  # JSON can carry a lone surrogate; no database can store one

# Per kind: a valid item, then malformed ones as (the field refused, its value).
BATCHES = {
    "leads": (
        Lead,
        {"email": "good@acme.example", "first_name": "Good"},
        [
            ("status", ["mql"]),
            ("status", {"code": "mql"}),
            ("created_at", YEAR_ONE),
            ("first_name", SURROGATE),
            ("last_name", f"Lee{SURROGATE}"),
            ("owner", 5),
            ("owner", ["alice"]),
            ("source", {"key": "webinar"}),
            ("source", 7),
            ("company", True),
        ],
    ),
    "accounts": (
        Account,
        {"name": "Good Corp"},
        [
            ("created_at", YEAR_ONE),
            ("industry", SURROGATE),
            ("employees", {"count": 5}),
            ("owner", 5),
            ("country", ["DE"]),
        ],
    ),
    "opportunities": (
        Opportunity,
        {"name": "Good deal", "account": "Acme Robotics", "amount": "100", "stage": "proposal"},
        [
            ("amount", {"value": 100}),
            ("amount", ["100"]),
            ("amount", float("nan")),
            ("stage", ["won"]),
            ("created_at", YEAR_ONE),
            ("close_date", "0001-01-01"),
            ("owner", 5),
            ("source", 12.5),
            ("won", ["yes"]),
        ],
    ),
    "touchpoints": (
        Touchpoint,
        {
            "lead": "ann@acme.example",
            "channel": "webinar",
            "kind": "webinar",
            "occurred_at": "2026-03-09T10:00:00Z",
        },
        [
            ("kind", ["webinar"]),
            ("occurred_at", YEAR_ONE),
            ("occurred_at", "2026-03-09T10:00:00+99:99"),
            ("channel", 5),
            ("channel", {"key": "webinar"}),
            ("campaign", SURROGATE),
            ("lead", 42),
        ],
    ),
    "activities": (
        Activity,
        {"lead": "ann@acme.example", "kind": "call", "occurred_at": "2026-03-10T11:30:00Z"},
        [
            ("kind", ["call"]),
            ("occurred_at", YEAR_ONE),
            ("user", 5),
            ("user", ["alice"]),
            ("notes", SURROGATE),
        ],
    ),
}


@pytest.mark.parametrize("kind", BATCHES)
def test_each_malformed_item_is_refused_with_its_reason_and_the_others_stored(
    api, write_token, make_lead, kind
):
    make_lead("ann@acme.example")
    model, good, malformed = BATCHES[kind]
    users, channels = User.objects.count(), Channel.objects.count()
    items = [good] + [
        good | {"external_id": f"bad-{i}", field: value}
        for i, (field, value) in enumerate(malformed)
    ]

    response = api("post", f"/{kind}/bulk", write_token, {"source_system": "crm", "items": items})

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, len(malformed))
    assert body["results"][0] == {"index": 0, "status": "created", "errors": []}
    for result, (field, _) in zip(body["results"][1:], malformed, strict=True):
        assert result["status"] == "rejected"
        (error,) = result["errors"]
        assert error["field"] == field and error["message"], error
    assert model.objects.filter(source_system="crm").count() == 1
    # Nothing malformed was turned into a record on the way.
    assert (User.objects.count(), Channel.objects.count()) == (users, channels)


def test_a_refusal_names_the_value_as_it_was_sent_and_why(api, write_token, cast):
    items = [
        {"email": "a@acme.example", "status": ["mql"]},
        {"email": "b@acme.example", "owner": 5},
        {"email": "c@acme.example", "first_name": SURROGATE},
        {"email": "d@acme.example", "created_at": YEAR_ONE},
    ]
    body = api("post", "/leads/bulk", write_token, {"items": items}).json()
    assert [r["errors"] for r in body["results"]] == [
        [{"field": "status", "value": '["mql"]', "message": "status must be text, not a list"}],
        [{"field": "owner", "value": "5", "message": "owner must be text, not a number"}],
        [
            {
                "field": "first_name",
                "value": "\ufffd",
                "message": "contains a lone surrogate, which is not a character",
            }
        ],
        [
            {
                "field": "created_at",
                "value": YEAR_ONE,
                "message": "Choose a day from 1900-01-01 to 2999-12-31.",
            }
        ],
    ]
    assert not Lead.objects.exists()


def test_owners_and_channels_of_the_wrong_type_create_no_users_or_channels(
    api, write_token, make_lead
):
    make_lead("ann@acme.example")
    users, channels = User.objects.count(), Channel.objects.count()
    wrong = [5, 12.5, True, ["rep"], {"name": "rep"}]
    leads = [{"email": f"l{i}@acme.example", "owner": v, "source": v} for i, v in enumerate(wrong)]
    touches = [
        {"lead": "ann@acme.example", "channel": v, "kind": "webinar"}
        | {"occurred_at": "2026-03-09T10:00:00Z"}
        for v in wrong
    ]
    assert api("post", "/leads/bulk", write_token, {"items": leads}).json()["rejected"] == 5
    assert api("post", "/touchpoints/bulk", write_token, {"items": touches}).json()["rejected"] == 5
    assert (User.objects.count(), Channel.objects.count()) == (users, channels)


def test_a_nul_in_the_source_system_is_refused(api, write_token, cast):
    response = api("post", "/leads/bulk", write_token, {"source_system": "c\x00rm", "items": []})
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]
