"""Searching leads and accounts by any part of their text goes through an index of its own
(accord.crm.search), kept in step with every write, and finds what a LIKE would."""

import pytest
from django.db import connection
from django.urls import reverse

from accord.crm import search
from accord.crm.filters import LeadFilterForm
from accord.crm.models import Account, Lead
from accord.imports.actions import upsert_items
from accord.imports.items import Options

pytestmark = pytest.mark.django_db


def found(client, text, url="crm:leads"):
    page = client.get(reverse(url), {"q": text}).context["page"]
    return sorted(getattr(row, "email", None) or row.name for row in page.object_list)


@pytest.fixture
def people(make_lead, acme):
    Account.objects.filter(pk=acme.pk).update(domain="acme-robotics.example")
    jane = make_lead(
        "jane.smith@acme.example", owner="alice", first_name="Jane", last_name="Smith",
        title="VP Finance",
    )  # fmt: skip
    bob = make_lead("bob@other.example", owner="bob", first_name="Bob", last_name="O'Hara")
    Lead.objects.filter(pk=bob.pk).update(account=None)
    odd = make_lead("100%_sure@x.example", owner="bob", first_name='Al "Q"', last_name="Zed")
    Lead.objects.filter(pk=odd.pk).update(account=None)
    return jane, bob, odd


def test_it_finds_any_part_of_email_name_title_and_account_whatever_the_case(login, cast, people):
    client = login(cast["vera"])
    assert found(client, "SMITH") == ["jane.smith@acme.example"]
    assert found(client, "ane smi") == ["jane.smith@acme.example"]  # across first and last
    assert found(client, "finance") == ["jane.smith@acme.example"]
    assert found(client, "robotics") == ["jane.smith@acme.example"]  # the account's name
    assert found(client, "acme-robotics.ex") == ["jane.smith@acme.example"]  # its domain
    assert found(client, "o'hara") == ["bob@other.example"]
    assert found(client, "Ha") == ["bob@other.example"]  # two characters: no trigram, still found
    assert found(client, "nobody-like-this") == []


def test_wildcards_and_quotes_in_a_search_are_plain_characters(login, cast, people):
    client = login(cast["vera"])
    assert found(client, "0%_s") == ["100%_sure@x.example"]
    assert found(client, "%_%") == []  # as wildcards, they would match everybody
    assert found(client, '"Q"') == ["100%_sure@x.example"]
    assert found(client, 'al "q') == ["100%_sure@x.example"]


def test_the_index_follows_every_write_whatever_the_door(login, cast, people):
    jane, bob, _ = people
    client = login(cast["vera"])
    Lead.objects.filter(pk=jane.pk).update(last_name="Wrightson")  # SQL, no save()
    assert found(client, "smith") == ["jane.smith@acme.example"]  # her email still says so
    assert found(client, "wrightson") == ["jane.smith@acme.example"]
    Lead.objects.filter(pk=bob.pk).delete()
    assert found(client, "o'hara") == []
    upsert_items(
        "leads",
        [(1, {"email": "newcomer@z.example", "first_name": "Quentin", "last_name": "Newman"})],
        Options(source_system="crm"),
    )
    assert found(client, "quentin newm") == ["newcomer@z.example"]
    Account.objects.filter(name="Acme Robotics").update(name="Acme Dynamics")
    assert found(client, "dynamics") == ["jane.smith@acme.example"]
    assert found(client, "acme robotics") == []


def test_the_account_list_searches_name_and_domain(login, cast, people):
    client = login(cast["vera"])
    assert found(client, "robot", "crm:accounts") == ["Acme Robotics"]
    assert found(client, "ROBOTICS.EXAMPLE", "crm:accounts") == ["Acme Robotics"]


def test_the_search_reads_the_index_not_every_lead(people):
    """EXPLAIN on this engine: the FTS5 table on SQLite, the trigram index on PostgreSQL."""
    queryset = LeadFilterForm({"q": "smith"}).apply(Lead.objects.all())
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a table of three rows
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        cursor.execute(f"{explain} {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    index = search.LEAD[1] if connection.vendor == "sqlite" else f"{search.LEAD[1]}_trgm"
    assert index in plan
    # The leads found (by their own text or their account's) are read by id: not every lead
    # tested against the matches one by one (PostgreSQL's "hashed SubPlan" filter, SQLite's
    # "SCAN crm_lead").
    assert "SubPlan" not in plan
    assert "SCAN crm_lead\n" not in plan + "\n" and "SCAN crm_lead " not in plan
