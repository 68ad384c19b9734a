"""Clocks kept per lead (accord.sla.kept): a page of leads reads one row per lead, and what it
reads is always what replaying the lead's history would show now, whichever door wrote to
the lead and whenever time turned a clock. (The random changes of
tests/scoreboard/test_kept_figures.py compare them too.)"""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.analytics import sla
from accord.crm import actions as crm_actions
from accord.crm.models import Activity, Lead, LeadStatusChange, Touchpoint
from accord.people.models import User
from accord.sla import clocks, kept, queries
from accord.sla.models import FollowUpPolicy, LeadClocks, LeadClockStamp
from tests.factories import SMALL_DEMO_UNTIL

# Inside the small demo's history, on a working afternoon, with clocks running.
NOW = timezone.make_aware(
    timezone.datetime.combine(SMALL_DEMO_UNTIL, timezone.datetime.min.time())
) - timedelta(days=2, hours=-15)


def _mqls(n=50) -> list[int]:
    return list(
        Lead.objects.filter(status="mql")
        .order_by("-engagement_score", "-pk")
        .values_list("pk", flat=True)[:n]
    )


def _same_as_replay(ids):
    found = queries.clocks_by_lead(ids)
    assert found == queries.clocks_by_lead(ids, as_of=timezone.now())
    return found


def _running(ids) -> Lead:
    """An owned lead made MQL now, its first-response clock running, added to the page."""
    admin = User.objects.get(username="admin")
    for lead in Lead.objects.filter(status="new", owner__isnull=False, owner__is_active=True):
        crm_actions.change_lead_status(lead, "mql", actor=admin)
        e = queries.clocks_by_lead([lead.pk], as_of=timezone.now()).get(lead.pk)
        if e is not None and e.first.status in (sla.ON_TRACK, sla.AT_RISK):
            ids.append(lead.pk)
            return lead
    pytest.fail("no new lead of the small demo gets a running clock when made MQL")


@pytest.mark.django_db
def test_a_page_of_leads_reads_its_kept_clocks_in_three_queries(small_demo_company):
    with time_machine.travel(NOW, tick=False):
        ids = _mqls()
        first = _same_as_replay(ids)
        assert len(first) >= 20
        with CaptureQueriesContext(connection) as read:
            again = queries.clocks_by_lead(ids)
        assert again == first
        # The shared write counts, the leads' counts, their rows: no history replayed.
        assert len(read) == 3, [q["sql"][:80] for q in read]


@pytest.mark.django_db
def test_every_door_that_writes_to_a_lead_has_its_clocks_evaluated_again(small_demo_company):
    with time_machine.travel(NOW, tick=False):
        ids = _mqls()
        lead = _running(ids)
        _same_as_replay(ids)
        before = LeadClockStamp.objects.get_or_create(lead_id=lead.pk)[0].n

        # The verb: the owner logs a call on the lead's page.
        crm_actions.record_follow_up(
            lead, actor=lead.owner, kind=Activity.Kind.CALL, occurred_at=timezone.now()
        )
        found = _same_as_replay(ids)
        assert found[lead.pk].first.status == sla.MET
        # A sync job's bulk write that bypasses the models: the call is deleted again.
        Activity.objects.filter(lead=lead, occurred_at=timezone.now()).delete()
        assert _same_as_replay(ids)[lead.pk].first.status != sla.MET
        # Raw SQL on the lead row: the grade changes behind the models' back.
        counted = LeadClockStamp.objects.get(lead_id=lead.pk).n
        with connection.cursor() as cursor:
            cursor.execute("UPDATE crm_lead SET fit_grade = 'D' WHERE id = %s", [lead.pk])
        counted_after = LeadClockStamp.objects.get(lead_id=lead.pk).n
        assert counted_after > counted
        _same_as_replay(ids)
        # A write to a column the clocks do not read (the score) leaves the kept row alone.
        Lead.objects.filter(pk=lead.pk).update(engagement_score=99)
        assert LeadClockStamp.objects.get(lead_id=lead.pk).n == counted_after
        # A touchpoint and a status change written by bulk inserts.
        Touchpoint.objects.bulk_create(
            [
                Touchpoint(
                    lead=lead,
                    kind="web_visit",
                    channel=Touchpoint.objects.first().channel,
                    occurred_at=timezone.now(),
                )
            ]
        )
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        # Five minutes on, a sync job moves the lead on to sales by a bulk insert.
        assert lead.pk in {i for i, e in _same_as_replay(ids).items() if e.needs_follow_up}
        LeadStatusChange.objects.bulk_create(
            [
                LeadStatusChange(
                    lead=lead, from_status="mql", to_status="sql", changed_at=timezone.now()
                )
            ]
        )
        assert lead.pk not in {i for i, e in _same_as_replay(ids).items() if e.needs_follow_up}
    assert LeadClockStamp.objects.get(lead_id=lead.pk).n >= before + 4


@pytest.mark.django_db
def test_a_change_every_clock_shares_has_them_all_evaluated_again(small_demo_company):
    with time_machine.travel(NOW, tick=False):
        ids = _mqls()
        first = _same_as_replay(ids)
        FollowUpPolicy.objects.update(first_response_hours=200)
        after = _same_as_replay(ids)
        assert after != first


@pytest.mark.django_db
def test_time_alone_turns_a_kept_clock_and_a_call_dated_later_counts_when_it_comes(
    small_demo_company,
):
    with time_machine.travel(NOW, tick=False):
        ids = _mqls()
        lead = _running(ids)
        e = _same_as_replay(ids)[lead.pk]
        due = e.first.due_at
        # A sync job logs a call dated ten minutes ahead (a clock set wrong, a booking).
        Activity.objects.bulk_create(
            [
                Activity(
                    lead=lead,
                    user_id=lead.owner_id,
                    kind="call",
                    occurred_at=timezone.now() + timedelta(minutes=10),
                )
            ]
        )
        assert _same_as_replay(ids)[lead.pk].first.status != sla.MET
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert _same_as_replay(ids)[lead.pk].first.status == sla.MET
    # A clock still running at NOW, past its due moment with nothing written: due.
    Activity.objects.filter(lead=lead, occurred_at__gt=NOW).delete()
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert _same_as_replay(ids)[lead.pk].first.status == sla.BREACHED


@pytest.mark.django_db
def test_every_stamp_trigger_is_installed_after_every_migration():
    """SQLite drops a table's triggers when a later migration rebuilds it."""
    if connection.vendor == "sqlite":
        sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        installed = set(cursor.fetchall())
    assert set(kept.trigger_names()) <= installed


@pytest.mark.django_db
def test_only_a_touch_of_a_kind_a_policy_chooses_by_counts(small_demo_company):
    """A web visit changes no clock (an import of a million pays nothing for them); a demo
    request, the kind a policy chooses leads by, does."""
    kinds = set(
        FollowUpPolicy.objects.filter(active=True)
        .exclude(touch_kind="")
        .values_list("touch_kind", flat=True)
    )
    assert kinds, "the demo has a policy for leads with a touch of some kind"
    lead = Lead.objects.filter(status="mql").order_by("pk").first()
    channel = Touchpoint.objects.first().channel
    stamp = LeadClockStamp.objects.get_or_create(lead_id=lead.pk)[0].n
    Touchpoint.objects.bulk_create(
        [Touchpoint(lead=lead, kind="web_visit", channel=channel, occurred_at=timezone.now())]
    )
    assert LeadClockStamp.objects.get(lead_id=lead.pk).n == stamp
    Touchpoint.objects.bulk_create(
        [Touchpoint(lead=lead, kind=sorted(kinds)[0], channel=channel, occurred_at=timezone.now())]
    )
    assert LeadClockStamp.objects.get(lead_id=lead.pk).n > stamp


def _year() -> clocks.Scope:
    now = timezone.now()
    return clocks.Scope(started_from=now - timedelta(days=365), started_to=now + timedelta(days=1))


@pytest.mark.django_db
def test_a_periods_clocks_read_kept_are_the_replay_and_only_changed_leads_are_evaluated(
    small_demo_company, monkeypatch
):
    """The board and *Both ways* read every spell of their period from the kept clocks: the
    first read (nothing kept) and every later one equal the replay, spell for spell and in
    its order; a later read evaluates again only the leads written to since."""
    evaluated = []
    replay = kept._evaluate

    def counting(leads, now, ids=None):
        evaluated.append(len(ids if ids is not None else leads))
        return replay(leads, now, ids)

    monkeypatch.setattr(kept, "_evaluate", counting)
    with time_machine.travel(NOW, tick=False):
        kept.forget()
        scope = _year()
        first = kept.started_now(scope)
        assert first == clocks.evaluate_all(timezone.now(), scope)
        assert len(first) > 100
        assert evaluated and sum(evaluated) >= len({e.lead_id for e in first})

        evaluated.clear()
        assert kept.started_now(scope) == first
        assert evaluated == []  # nothing changed: every lead read kept

        lead = _running([])
        crm_actions.record_follow_up(
            lead, actor=lead.owner, kind=Activity.Kind.CALL, occurred_at=timezone.now()
        )
        again = kept.started_now(scope)
        assert again == clocks.evaluate_all(timezone.now(), scope)
        assert evaluated == [1]  # the lead written to, alone
        # Counted against some owners only: the same as the replay's.
        owners = sorted({e.owner for e in first if e.owner})[:2]
        some = clocks.Scope(scope.started_from, scope.started_to, owner_ids=owners)
        assert kept.started_now(some) == clocks.evaluate_all(timezone.now(), some)


@pytest.mark.django_db
def test_the_kept_board_and_both_ways_read_the_kept_clocks(small_demo_company):
    with time_machine.travel(NOW, tick=False):
        kept.forget()
        queries.two_way(timezone.now())
        assert LeadClocks.objects.exists()
        start = timezone.localdate() - timedelta(days=90)
        board = queries.board(start, timezone.localdate())
        replayed = queries.board_at(start, timezone.localdate(), as_of=timezone.now())
        assert {k: v for k, v in board.items() if k not in ("kept", "as_of")} == {
            k: v for k, v in replayed.items() if k != "as_of"
        }


@pytest.mark.django_db
def test_the_workers_refresh_unpickles_each_kept_row_once(small_demo_company, monkeypatch):
    """The board and *Both ways* read the same year's kept clocks: within the refresh
    (`kept.loading_once`) a row read again is not unpickled again, and reads the same."""
    loads = []
    real = kept.pickle.loads
    monkeypatch.setattr(kept.pickle, "loads", lambda data: loads.append(1) or real(data))
    with time_machine.travel(NOW, tick=False):
        scope = _year()
        kept.started_now(scope)  # evaluated and kept
        loads.clear()
        with kept.loading_once():
            first = kept.started_now(scope)
            read = len(loads)
            again = kept.started_now(scope)
        assert read > 100 and len(loads) == read
        assert again == first == clocks.evaluate_all(timezone.now(), scope)
        kept.started_now(scope)  # outside: read afresh
        assert len(loads) == 2 * read
