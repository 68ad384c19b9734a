"""The bulk API: tokens and scopes, per-item results, idempotency, limits, reading back."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accord.crm.models import Channel, Lead, Opportunity, Touchpoint
from accord.people import tokens
from accord.people.models import ApiToken, User
from tests.factories import T0

pytestmark = pytest.mark.django_db


LEADS = [
    {
        "external_id": "L1",
        "email": "ann@acme.example",
        "first_name": "Ann",
        "status": "mql",
        "owner": "alice",
    },
    {"external_id": "L2", "email": "not-an-email", "status": "superstar"},
    {"email": "cid@acme.example", "company": "Acme Robotics", "created_at": "2026-03-05T14:22:00Z"},
]


def test_a_bulk_upsert_answers_per_item_and_stores_the_valid_ones(api, write_token, cast):
    response = api("post", "/leads/bulk", write_token, {"source_system": "crm", "items": LEADS})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rejected"]) == (2, 1)
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created"]
    errors = {(e["field"], e["value"]) for e in body["results"][1]["errors"]}
    assert errors == {("email", "not-an-email"), ("status", "superstar")}
    ann = Lead.objects.get(external_id="L1")
    assert (ann.source_system, ann.status, ann.owner) == ("crm", "mql", cast["alice"])


def test_sending_the_same_batch_again_changes_nothing(api, write_token, cast):
    api("post", "/leads/bulk", write_token, {"source_system": "crm", "items": LEADS})
    again = api("post", "/leads/bulk", write_token, {"source_system": "crm", "items": LEADS}).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert Lead.objects.count() == 2


def test_touchpoints_attach_to_leads_by_email(api, write_token, cast, channels):
    api("post", "/leads/bulk", write_token, {"items": LEADS})
    items = [
        {
            "external_id": "T1",
            "lead": "ann@acme.example",
            "channel": "webinar",
            "kind": "webinar",
            "occurred_at": "2026-03-09T10:00:00Z",
        },
        {
            "external_id": "T2",
            "lead": "nobody@acme.example",
            "channel": "webinar",
            "kind": "webinar",
            "occurred_at": "2026-03-09T10:00:00Z",
        },
    ]
    body = api("post", "/touchpoints/bulk", write_token, {"items": items}).json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert body["results"][1]["errors"][0]["message"] == "no lead with this email or id"
    assert Touchpoint.objects.get().lead.email == "ann@acme.example"


def test_touch_times_in_any_offset_are_stored_as_their_instant(api, write_token, cast, channels):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings

    api("post", "/leads/bulk", write_token, {"items": LEADS})
    sent = {
        "T1": "2026-03-09T11:00:00+01:00",
        "T2": "2026-03-09T04:30:00-05:30",
        "T3": "2026-03-09T10:00:00.250Z",
        "T4": "2026-10-25T01:30:00+02:00",  # the night Europe's clocks go back
        "T5": "2026-03-09T10:00:00",  # no offset: the installation's TIME_ZONE
    }
    batch = {
        "source_system": "ads",
        "items": [
            {"external_id": k, "lead": "ann@acme.example", "channel": "webinar", "kind": "webinar"}
            | {"occurred_at": v}
            for k, v in sent.items()
        ],
    }
    assert api("post", "/touchpoints/bulk", write_token, batch).json()["created"] == 5
    stored = dict(Touchpoint.objects.values_list("external_id", "occurred_at"))
    local = datetime(2026, 3, 9, 10, tzinfo=ZoneInfo(settings.TIME_ZONE))
    assert stored.pop("T5") == local
    assert stored == {
        "T1": datetime(2026, 3, 9, 10, 0, tzinfo=UTC),
        "T2": datetime(2026, 3, 9, 10, 0, tzinfo=UTC),
        "T3": datetime(2026, 3, 9, 10, 0, 0, 250_000, tzinfo=UTC),
        "T4": datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
    }
    # Stored as the ORM stores them: filters find them and a re-send changes nothing.
    ten_utc = Touchpoint.objects.filter(occurred_at=datetime(2026, 3, 9, 10, tzinfo=UTC))
    assert {"T1", "T2"} <= set(ten_utc.values_list("external_id", flat=True))
    again = api("post", "/touchpoints/bulk", write_token, batch).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)


def test_text_keeps_tabs_newlines_and_backslashes_and_a_nul_is_refused(api, write_token, cast):
    from datetime import UTC, datetime

    from accord.crm.models import Activity

    api("post", "/leads/bulk", write_token, {"items": LEADS})  # Ann exists from now on
    now = datetime.now(UTC).isoformat()
    notes = 'Called twice.\nSaid:\t"send it"\\ then \\N and C:\\temp\\new\r\nDone'
    items = [
        {
            "external_id": f"C{i}",
            "lead": "ann@acme.example",
            "kind": "call",
            "occurred_at": now,
            "notes": text,
        }
        for i, text in enumerate([notes, "before\x00after"])
    ]
    body = api("post", "/activities/bulk", write_token, {"items": items}).json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert body["results"][1]["errors"] == [
        {"field": "notes", "value": "before\u2400after", "message": "contains a NUL character"}
    ]
    assert Activity.objects.get().notes == notes


def test_a_batch_sent_again_costs_as_many_queries_whatever_its_size(
    api, write_token, cast, channels
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api("post", "/leads/bulk", write_token, {"items": LEADS})

    def touches(count, channel="webinar"):
        return {
            "source_system": "ads",
            "items": [
                {
                    "external_id": f"T{i}",
                    "lead": "ann@acme.example",
                    "channel": channel,
                    "kind": "webinar",
                    "occurred_at": "2026-03-09T10:00:00Z",
                }
                for i in range(count)
            ],
        }

    queries = {}
    for count in (2, 40):
        api("post", "/touchpoints/bulk", write_token, touches(count))
        with CaptureQueriesContext(connection) as captured:
            again = api("post", "/touchpoints/bulk", write_token, touches(count)).json()
        assert again["unchanged"] == count
        queries[count] = len(captured)
    assert queries[40] == queries[2]  # no query per item

    moved = api("post", "/touchpoints/bulk", write_token, touches(40, "paid_search")).json()
    assert moved["updated"] == 40
    assert set(Touchpoint.objects.values_list("channel__key", flat=True)) == {"paid_search"}


def test_no_token_or_an_unknown_or_revoked_token_is_401(api, cast, write_token):
    assert api("get", "/leads").status_code == 401
    assert api("get", "/leads", "acc_not-a-real-token").status_code == 401
    token = ApiToken.objects.get()
    tokens.revoke_token(cast["otto"], token.pk)
    response = api("get", "/leads", write_token)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_read_token_cannot_write(api, cast):
    raw = tokens.issue_token(cast["sam"], name="BI", scope="read")[1]
    assert api("get", "/leads", raw).status_code == 200
    response = api("post", "/leads/bulk", raw, {"items": LEADS})
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_members_write_token_cannot_bulk_write(api, cast):
    raw = tokens.issue_token(cast["alice"], name="mine", scope="write")[1]
    response = api("post", "/leads/bulk", raw, {"items": LEADS})
    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_a_deactivated_users_token_stops_working(api, cast, write_token):
    cast["otto"].is_active = False
    cast["otto"].save()
    assert api("get", "/leads", write_token).status_code == 401


def test_too_many_items_is_413_and_nothing_is_stored(api, write_token, settings):
    settings.API_BULK_MAX_ITEMS = 2
    response = api("post", "/leads/bulk", write_token, {"items": LEADS})
    assert response.status_code == 413
    assert "At most 2 items" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_malformed_body_is_422_with_a_json_reason(api, write_token, client):
    response = api("post", "/leads/bulk", write_token, {"things": []})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "items"
    bad_json = client.post(
        "/api/v1/leads/bulk",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {write_token}"},
    )
    assert bad_json.status_code == 422
    assert bad_json.json()["detail"].startswith("The body is not valid JSON")
    assert not Lead.objects.exists()


def test_an_unknown_query_parameter_is_refused_naming_it_on_every_operation(api, write_token):
    # `from`/`to` instead of `start`/`end` must not quietly answer another period.
    wrong = api("get", "/attribution?basis=revenue&from=2026-01-01&to=2026-03-31", write_token)
    assert wrong.status_code == 422
    assert "Unknown query parameters: from, to." in wrong.json()["detail"]
    assert "basis, end, start" in wrong.json()["detail"]
    typo = api("get", "/leads?stauts=mql", write_token)
    assert typo.status_code == 422 and "stauts" in typo.json()["detail"]
    # The lists' documented filters and paging are known; so are the board's period fields.
    assert api("get", "/leads?status=mql&limit=5&q=x", write_token).status_code == 200
    assert api("get", "/leads/1?verbose=1", write_token).status_code == 422


def test_a_path_no_operation_answers_is_a_json_404(api, write_token, client):
    for path in ("/api/v1/nothing-here", "/api/v1/attribution/x/", "/api/v1/leads/1/deep"):
        response = client.get(path, headers={"Authorization": f"Bearer {write_token}"})
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert "No API operation at" in response.json()["detail"]
    anonymous = client.get("/api/v1/nothing-here")
    assert anonymous.status_code == 404 and anonymous.json()["detail"]


def test_the_rate_limit_answers_429_with_retry_after(api, write_token, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    statuses = [api("get", "/leads", write_token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api("get", "/leads", write_token)["Retry-After"] == "60"


def test_lists_filter_and_page_with_a_cursor(api, write_token, make_lead):
    for i in range(5):
        make_lead(f"p{i}@acme.example", status="mql" if i % 2 else "new")
    first = api("get", "/leads", write_token, limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api("get", "/leads", write_token, limit=2, cursor=first["next_cursor"]).json()
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])
    mqls = api("get", "/leads", write_token, status="mql").json()["items"]
    assert [i["email"] for i in mqls] == ["p1@acme.example", "p3@acme.example"]
    assert mqls[0]["owner"] == "alice" and mqls[0]["source"] == "webinar"
    assert api("get", "/leads", write_token, status="hot").status_code == 400
    assert api("get", "/leads", write_token, cursor="???").status_code == 400
    assert api("get", "/leads", write_token, limit=5000).status_code == 422


def test_one_record_and_a_404_for_a_missing_one(api, write_token, make_lead):
    lead = make_lead("ann@acme.example")
    assert api("get", f"/leads/{lead.pk}", write_token).json()["email"] == "ann@acme.example"
    response = api("get", "/leads/999999", write_token)
    assert response.status_code == 404


def test_the_openapi_document_describes_the_bulk_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json()
    for kind in ("leads", "accounts", "opportunities", "touchpoints", "activities"):
        operation = spec["paths"][f"/api/v1/{kind}/bulk"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["example"]["items"]
    assert client.get("/api/v1/docs").status_code == 200


def test_tokens_are_created_on_the_profile_shown_once_and_stored_hashed(login, cast):
    client = login(cast["sam"])
    response = client.post(reverse("token_new"), {"name": "Warehouse", "scope": "write"})
    page = response.content.decode()
    token = ApiToken.objects.get()
    raw = page.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("acc_") and token.digest == tokens.digest(raw)
    assert raw not in token.digest and token.prefix == raw[:10]
    assert raw not in client.get(reverse("profile")).content.decode()


def test_a_user_cannot_revoke_someone_elses_token(login, cast):
    token, _ = tokens.issue_token(cast["sam"], name="x", scope="read")
    response = login(cast["alice"]).post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# Every door, the same rights --------------------------------------------------------------


def _token(user):
    return tokens.issue_token(user, name="bulk", scope="write")[1]


def test_the_bulk_api_changes_only_what_the_senders_pages_would_let_them(
    api, cast, make_lead, acme
):
    alices = make_lead("ann@acme.example", owner="alice", external_id="A1", source_system="crm")
    mikes = make_lead("max@acme.example", owner="mike", external_id="M1", source_system="crm")
    items = [
        # a sales rep's lead: a marketing manager gets 403 on its page, so here too
        {"external_id": "A1", "email": alices.email, "status": "disqualified", "owner": "mona"},
        # her own team's lead: she may move it on
        {"external_id": "M1", "email": mikes.email, "status": "sql"},
        # nobody's page creates leads: admins and operations import them
        {"external_id": "N1", "email": "new@acme.example"},
    ]
    body = api(
        "post", "/leads/bulk", _token(cast["mona"]), {"source_system": "crm", "items": items}
    )

    assert body.status_code == 200
    results = body.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "updated", "rejected"]
    assert "only leads you are allowed to work" in results[0]["errors"][0]["message"]
    assert "sales & marketing operations import new leads" in results[2]["errors"][0]["message"]
    alices.refresh_from_db()
    assert (alices.status, alices.owner) == ("new", cast["alice"])
    assert Lead.objects.get(pk=mikes.pk).status == "sql"
    assert not Lead.objects.filter(email="new@acme.example").exists()


def test_a_deal_is_marked_won_in_bulk_only_by_who_may_change_it(api, cast, acme):
    deal = Opportunity.objects.create(
        name="Acme platform", account=acme, owner=cast["bob"], amount=Decimal("80000"),
        stage="negotiation", created_at=T0, close_date=T0.date(), source_system="crm",
        external_id="O1",
    )  # fmt: skip
    won = {"external_id": "O1", "name": deal.name, "account": acme.name, "amount": "9999999",
           "stage": "won"}  # fmt: skip

    refused = api("post", "/opportunities/bulk", _token(cast["mona"]),
                  {"source_system": "crm", "items": [won]}).json()  # fmt: skip
    assert refused["rejected"] == 1
    deal.refresh_from_db()
    assert (deal.stage, deal.amount) == ("negotiation", Decimal("80000"))

    by_manager = api("post", "/opportunities/bulk", _token(cast["sam"]),
                     {"source_system": "crm", "items": [won]}).json()  # fmt: skip
    assert by_manager["updated"] == 1  # bob is in sam's team
    deal.refresh_from_db()
    assert (deal.stage, deal.amount) == ("won", Decimal("9999999"))


def test_a_rejection_needs_its_reason_even_from_operations(api, cast, make_lead):
    lead = make_lead("ann@acme.example", status="sql", external_id="A1", source_system="crm")
    item = {"external_id": "A1", "email": lead.email, "status": "rejected"}
    token = _token(cast["otto"])

    refused = api("post", "/leads/bulk", token, {"source_system": "crm", "items": [item]}).json()
    assert refused["results"][0]["errors"][0] == {
        "field": "status_reason",
        "value": "",
        "message": "Say why: a rejected or disqualified lead needs a reason.",
    }
    item["status_reason"] = "Went with a competitor"
    stored = api("post", "/leads/bulk", token, {"source_system": "crm", "items": [item]}).json()
    assert stored["updated"] == 1
    change = lead.status_changes.order_by("-id").first()
    assert (change.to_status, change.reason) == ("rejected", "Went with a competitor (api (bulk))")


def test_sales_verdict_on_an_mql_goes_through_review_unless_operations_sync_it(
    api, cast, make_lead
):
    lead = make_lead("ann@acme.example", status="mql", external_id="A1", source_system="crm")
    item = {"external_id": "A1", "email": lead.email, "status": "accepted"}
    by_rep = api("post", "/leads/bulk", _token(cast["alice"]), {"source_system": "crm",
                                                                "items": [item]})  # fmt: skip
    assert by_rep.status_code == 403  # members write on their pages, not in bulk
    by_leader = api("post", "/leads/bulk", _token(cast["victor"]),
                    {"source_system": "crm", "items": [item]}).json()  # fmt: skip
    assert "Sales review" in by_leader["results"][0]["errors"][0]["message"]
    synced = api("post", "/leads/bulk", _token(cast["otto"]),
                 {"source_system": "crm", "items": [item]}).json()  # fmt: skip
    assert synced["updated"] == 1


def test_follow_ups_in_bulk_are_logged_on_ones_own_teams_leads_as_oneself(api, cast, make_lead):
    make_lead("ann@acme.example", owner="alice")
    make_lead("max@acme.example", owner="mike")
    when = "2026-03-03T10:00:00Z"
    items = [
        {"lead": "ann@acme.example", "kind": "call", "occurred_at": when, "user": "sam"},
        {"lead": "ann@acme.example", "kind": "email", "occurred_at": when, "user": "alice"},
        {"lead": "max@acme.example", "kind": "call", "occurred_at": when, "user": "sam"},
    ]
    body = api("post", "/activities/bulk", _token(cast["sam"]), {"items": items}).json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "rejected"]
    assert body["results"][1]["errors"][0]["message"] == "You log follow-ups as yourself."
    assert "only on leads you work" in body["results"][2]["errors"][0]["message"]


def test_touchpoints_and_accounts_in_bulk_are_for_admins_and_operations(api, cast, make_lead):
    make_lead("ann@acme.example")
    touch = {"lead": "ann@acme.example", "channel": "webinar", "kind": "webinar",
             "occurred_at": "2026-03-03T10:00:00Z"}  # fmt: skip
    refused = api("post", "/touchpoints/bulk", _token(cast["mona"]), {"items": [touch]}).json()
    assert refused["rejected"] == 1 and Touchpoint.objects.count() == 0
    stored = api("post", "/touchpoints/bulk", _token(cast["otto"]), {"items": [touch]}).json()
    assert stored["created"] == 1
    account = {"name": "Beta Systems"}
    assert (
        api("post", "/accounts/bulk", _token(cast["carol"]), {"items": [account]}).json()[
            "rejected"
        ]
        == 1
    )
    assert (
        api("post", "/accounts/bulk", _token(cast["ada"]), {"items": [account]}).json()["created"]
        == 1
    )


def test_an_item_naming_an_unknown_owner_or_source_creates_them_only_for_operations(
    api, cast, make_lead
):
    make_lead("max@acme.example", owner="mike", external_id="M1", source_system="crm")
    items = [
        {"external_id": "M1", "email": "max@acme.example", "owner": "pat.doe@elsewhere.example"},
        {"external_id": "M1", "email": "max@acme.example", "source": "AI Referrals"},
    ]
    users, channels = User.objects.count(), Channel.objects.count()
    body = api("post", "/leads/bulk", _token(cast["mona"]),
               {"source_system": "crm", "items": items}).json()  # fmt: skip
    assert [r["errors"][0]["field"] for r in body["results"]] == ["owner", "source"]
    assert (
        "admins and sales & marketing operations import new ones"
        in (body["results"][0]["errors"][0]["message"])
    )
    assert (User.objects.count(), Channel.objects.count()) == (users, channels)

    synced = api("post", "/leads/bulk", _token(cast["otto"]),
                 {"source_system": "crm", "items": items}).json()  # fmt: skip
    # An unknown owner is refused by default, whoever sends it (no deactivated user ever
    # silently owns a live lead); operations' new source becomes a channel.
    assert [r["status"] for r in synced["results"]] == ["rejected", "updated"]
    assert (User.objects.count(), Channel.objects.count()) == (users, channels + 1)
    asked = api("post", "/leads/bulk", _token(cast["otto"]),
                {"source_system": "crm", "items": items[:1],
                 "unknown_owners": "placeholder"}).json()  # fmt: skip
    assert asked["rejected"] == 0  # a placeholder owner, as asked
    assert User.objects.count() == users + 1
