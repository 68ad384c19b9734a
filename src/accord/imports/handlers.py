"""One handler per kind of record: how to parse an item, find its stored row, and write it
(with the history rows and side effects that go with it)."""

from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from types import SimpleNamespace
from typing import Any

from django.db.models import F
from django.utils import timezone

from accord.analytics.months import between as month_span
from accord.core import events
from accord.core.bulk import OneOf, by_external_id, insert_rows
from accord.crm.actions import lead_event_payload, status_move_refusal
from accord.crm.kinds import Kind
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Lead,
    LeadAlias,
    LeadFieldChange,
    LeadOwnerChange,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)
from accord.imports.formats import KEEP_STAGE, LEAD_STATUS_REFINES, normalise
from accord.imports.items import BATCH_SIZE, ItemError, Options, Parser, Rejected
from accord.imports.resolver import Resolver


class Handler:
    """One kind of record: how to parse it, find its stored row, and write it."""

    model: type
    compare: tuple[str, ...] = ()  # fields an update may change
    lead_field = ""  # the item field naming a lead, looked up for a whole batch at once
    lead_created_at = False  # whether parse() reads resolver.lead_created_at
    # Rows nothing else refers to right away are inserted with one executemany, without
    # building model instances (the ORM's bulk_create costs several times more per row).
    fast_insert = False

    def __init__(self, options: Options, resolver: Resolver):
        self.options, self.resolve = options, resolver
        self.now = timezone.now()
        self._defaults: dict | None = None

    def parse(self, p: Parser) -> dict:
        raise NotImplementedError

    def natural_key(self, record: dict):
        """The key used when there is no external id (None: always create)."""
        return None

    def find(self, records: list[dict]) -> dict:
        """Stored rows for these records, by key."""
        found = {}
        ids = [r["external_id"] for r in records if r.get("external_id")]
        if ids:
            rows = by_external_id(self.model, self.options.source_system, ids)
            found.update({("id", row.external_id): row for row in rows})
        return found

    def key(self, record: dict):
        if record.get("external_id"):
            return ("id", record["external_id"])
        natural = self.natural_key(record)
        return ("natural", natural) if natural is not None else None

    def new(self, record: dict):
        fields = {k: v for k, v in record.items() if not k.startswith("_")}
        return self.model(source_system=self.options.source_system, **fields)

    # --- Records a source knows under two ids (leads only) ---------------------------------
    def alternate_key(self, record: dict):
        """A second key a new row is known by in its batch (None: only its own)."""
        return None

    def merging(self, key) -> bool:
        """Whether `find` found the stored row of `key` by another record's key (a merge)."""
        return False

    def merged(self, record: dict, row) -> None:
        """The item `record` was merged into `row`: remember its id for next time."""

    def changes(self, row, record: dict) -> dict:
        """{field: (before, after)} for the fields the item gives that differ."""
        changed = {}
        for name in self.compare:
            if name in record and record[name] is not None:
                after = record[name]
                field = self.model._meta.get_field(name)
                if field.is_relation and name == field.name:  # a related row, not its id
                    # The stored id, not the related row: reading that would cost a query
                    # per item when a batch is sent again (the related row is loaded only
                    # when it really changed, for the history).
                    if getattr(row, field.attname) != after.pk:
                        changed[name] = (getattr(row, name), after)
                elif getattr(row, name) != after:
                    changed[name] = (getattr(row, name), after)
        return changed

    def new_fast(self, record: dict) -> SimpleNamespace:
        """A new row as plain attributes, for `insert_rows`; defaults as the model's."""
        if self._defaults is None:
            self._defaults = {"pk": None, "source_system": self.options.source_system}
            for f in self.model._meta.concrete_fields:
                if f.primary_key or f.name == "source_system":
                    continue
                if f.has_default():
                    self._defaults[f.attname] = f.get_default()
                elif not f.null and f.get_internal_type() in ("CharField", "TextField"):
                    self._defaults[f.attname] = ""
        row = SimpleNamespace(**self._defaults)
        row.__dict__.update({name: value for name, value in record.items() if value is not None})
        return row

    def after_update(self, row, changed: dict, record: dict) -> list[str]:
        """Refresh fields derived from the changed ones; returns their names."""
        return []

    # --- Who may write it ------------------------------------------------------------------
    noun = "records"
    # Whether an item may be refused even for admins and operations (`refusal` is asked then
    # too); otherwise they write whatever they send, at no cost per item.
    checks_everybody = False

    def prepare(self, records: list[dict]) -> None:
        """Load what `refusal` needs for a batch, once (importers not allowed everything)."""

    def refusal(self, rights, row, record: dict, changed: dict) -> ItemError | None:
        """Why the importer may not write this item, or None. `row` is the stored row (None:
        the item creates one) and `changed` what the item changes in it. Who may do what is
        `permissions.ItemRights`' answer; by default only admins and sales & marketing
        operations write records of this kind in bulk, since no page lets anybody else."""
        if rights.everything:
            return None
        return ItemError(
            "item", "", f"Only admins and sales & marketing operations import {self.noun}."
        )

    def owned_refusal(self, rights, row, record: dict, changed: dict) -> ItemError | None:
        """The rule of a record somebody owns (a lead, a deal): nothing new unless allowed
        everything; a change only to what the importer may change on its page, a new owner
        only one they may hand it to."""
        if rights.everything:
            return None
        if row is None:
            return ItemError(
                "item",
                "",
                f"Only admins and sales & marketing operations import new {self.noun}; "
                f"you may change the {self.noun} you work.",
            )
        if not rights.may_change(row.owner_id):
            return ItemError(
                "item", "", f"You may change only {self.noun} you are allowed to work."
            )
        if "owner" in changed:
            new_owner = changed["owner"][1]
            if not rights.may_hand_over(row.owner_id, new_owner.pk if new_owner else None):
                return ItemError(
                    "owner", str(new_owner), f"You cannot hand these {self.noun} to them."
                )
        return None

    def saved(self, created: list, updated: list[tuple[Any, dict]]) -> None:
        """Side effects after a batch is written (history rows)."""

    def scored_leads(self, created: list, updated: list[tuple[Any, dict]]) -> set[int]:
        """Leads whose score the batch may have changed (scored after the commit)."""
        return set()


def _display(value) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


class LeadHandler(Handler):
    model = Lead
    noun = "leads"
    checks_everybody = True  # a rejection needs its reason, whoever imports it

    def scored_leads(self, created, updated):
        return {lead.pk for lead in created} | {lead.pk for lead, _ in updated}

    compare = ("email", "first_name", "last_name", "title", "account", "source", "owner", "status")

    def __init__(self, options, resolver):
        super().__init__(options, resolver)
        self._merges: set = set()  # keys of items whose lead was found by its email
        self._aliased: set = set()  # keys of items whose lead was found by an alias
        self._new_aliases: list[tuple[str, Lead]] = []

    def parse(self, p: Parser) -> dict:
        record = {
            "external_id": p.text("external_id", 120) or "",
            "email": p.email("email", required=True),
            "first_name": p.text("first_name", 80),
            "last_name": p.text("last_name", 80),
            "title": p.text("title", 120),
            "created_at": p.moment("created_at"),
        }
        source, owner = p.text("source", 80), p.text("owner", 150)
        status = p.choice("status", Lead.Status)
        refined = p.choice("lead_status", Lead.Status) if p.present("lead_status") else None
        if "lead_status" in self.options.value_maps and refined is None:
            # A value the map does not know says nothing the stage does not: the preview
            # shows it as keeping the stage, and so it does.
            p.errors = [e for e in p.errors if e.column != "lead_status"]
        # The lifecycle stage decides; the lead status refines a lead sales has not taken on.
        if refined and refined != KEEP_STAGE and (status or "new") in LEAD_STATUS_REFINES:
            status = refined
        record["status"] = status
        record["_reason"] = p.text("status_reason", 200) or ""
        record["_mql_at"] = p.moment("mql_at")
        created_at = record["created_at"]
        if record["_mql_at"] and created_at and record["_mql_at"] < created_at:
            p._fail("mql_at", "the lead became an MQL before it was created")
        company = p.text("company", 200)
        domain = p.text("company_domain", 200)
        p.finish()
        # Found (or created) only for a row that is otherwise good, the owner first: a row
        # refused for its owner creates no channel on its way out.
        record["owner"] = self.resolve.user(owner)
        record["source"] = self.resolve.channel(source)
        record["account"] = self.resolve.account(company, domain=domain, defer=True)
        return record

    def status_at(self, record: dict, default):
        """When the item's status began: its MQL time from the file for an MQL, when given."""
        if record["status"] == Lead.Status.MQL and record["_mql_at"]:
            return record["_mql_at"]
        return default

    def natural_key(self, record):
        return record["email"]

    def alternate_key(self, record):
        return ("natural", record["email"]) if record.get("external_id") else None

    def merging(self, key):
        return key in self._merges

    def merged(self, record, row):
        self._new_aliases.append((record["external_id"], row))

    def changes(self, row, record):
        changed = super().changes(row, record)
        key = ("id", record.get("external_id"))
        if key in self._merges or key in self._aliased:
            # Another record of the same person: it fills in what the lead lacks, and leaves
            # what the lead already has (its status, owner, name) as it stands.
            changed = {
                name: values
                for name, values in changed.items()
                if values[0] in (None, "") and name != "status"
            }
        return changed

    def find(self, records):
        found = super().find(records)
        self._merges, self._aliased = set(), set()
        missing = {
            r["external_id"]
            for r in records
            if r.get("external_id") and ("id", r["external_id"]) not in found
        }
        if missing:
            aliases = LeadAlias.objects.filter(
                source_system=self.options.source_system, external_id__in=missing
            ).select_related("lead")
            for alias in aliases:
                found[("id", alias.external_id)] = alias.lead
                self._aliased.add(("id", alias.external_id))
                missing.discard(alias.external_id)
        # CRMs deduplicate on email, case aside: an item without an id, or with an id
        # Accord does not know, belongs to the lead with its email.
        emails = {r["email"] for r in records if not r.get("external_id")}
        emails |= {r["email"] for r in records if r.get("external_id") in missing}
        if emails:
            # Every door stores emails as `Parser.email` reads them, lower case: the indexed
            # column answers "case aside".
            for lead in Lead.objects.filter(OneOf(F("email"), emails)).order_by("-id"):
                found[("natural", lead.email)] = lead
            for r in records:
                if r.get("external_id") in missing and ("natural", r["email"]) in found:
                    found[("id", r["external_id"])] = found[("natural", r["email"])]
                    self._merges.add(("id", r["external_id"]))
        return found

    def refusal(self, rights, row, record, changed):
        if problem := self.owned_refusal(rights, row, record, changed):
            return problem
        if row is not None and "status" in changed:
            before, after = changed["status"]
            by_hand = not rights.everything
            found = status_move_refusal(
                before,
                after,
                record["_reason"],
                by_hand=by_hand,
                may_move_back=rights.may_move_back,
            )
            if found:
                ((field, message),) = found.items()
                if field == "reason":
                    return ItemError("status_reason", record["_reason"], message)
                return ItemError("status", after, message)
        return None

    def new(self, record):
        created_at = record["created_at"] or self.now
        fields = {k: v for k, v in record.items() if v is not None and not k.startswith("_")}
        fields.update(created_at=created_at, status_changed_at=self.status_at(record, created_at))
        fields.setdefault("status", Lead.Status.NEW)
        for name in ("first_name", "last_name", "title"):
            fields.setdefault(name, "")
        return Lead(source_system=self.options.source_system, **fields)

    def saved(self, created, updated):
        actor, via = self.options.actor, self.options.via
        statuses = [
            LeadStatusChange(
                lead=lead,
                from_status="",
                to_status=lead.status,
                changed_at=lead.status_changed_at,
                changed_by=actor,
                reason=via[:200],
            )
            for lead in created
        ]
        owners = [
            LeadOwnerChange(
                lead=lead, to_owner=lead.owner, changed_at=lead.created_at, changed_by=actor
            )
            for lead in created
            if lead.owner_id
        ]
        fields = []
        for lead, changed in updated:
            if "status" in changed:
                statuses.append(
                    LeadStatusChange(
                        lead=lead,
                        from_status=changed["status"][0],
                        to_status=lead.status,
                        changed_at=lead.status_changed_at,
                        changed_by=actor,
                        reason=(f"{lead._status_reason} ({via})" if lead._status_reason else via)[
                            :200
                        ],
                    )
                )
            if "owner" in changed:
                owners.append(
                    LeadOwnerChange(
                        lead=lead,
                        from_owner=changed["owner"][0],
                        to_owner=lead.owner,
                        changed_at=self.now,
                        changed_by=actor,
                    )
                )
            rest = {
                k: [_display(b), _display(a)]
                for k, (b, a) in changed.items()
                if k not in ("status", "owner")
            }
            if rest:
                fields.append(
                    LeadFieldChange(
                        lead=lead,
                        changed_at=self.now,
                        changed_by=actor,
                        via=via[:80],
                        changes=rest,
                    )
                )
        # History rows need no ids back: one executemany each, without the ORM's per-object
        # SQL assembly (most of a large import's time otherwise).
        insert_rows(LeadStatusChange, statuses)
        insert_rows(LeadOwnerChange, owners)
        LeadFieldChange.objects.bulk_create(fields, batch_size=BATCH_SIZE)
        if self._new_aliases:
            source = self.options.source_system
            LeadAlias.objects.bulk_create(
                [
                    LeadAlias(lead=lead, source_system=source, external_id=external_id)
                    for external_id, lead in self._new_aliases
                ],
                ignore_conflicts=True,
            )
            self._new_aliases = []
        # The moves that announce something (became MQL, accepted, rejected), the same way.
        events.record_many(
            (
                (
                    events.LEAD_STATUS_KINDS[change.to_status],
                    lead_event_payload(
                        change.lead.pk,
                        from_status=change.from_status,
                        to_status=change.to_status,
                        owner_id=change.lead.owner_id,
                        reason=change.reason,
                    ),
                )
                for change in statuses
                if change.to_status in events.LEAD_STATUS_KINDS
            ),
            at=self.now,
        )

    def after_update(self, lead, changed, record):
        if "status" in changed:
            lead.status_changed_at = self.status_at(record, self.now)
            lead._status_reason = record["_reason"]  # for the history row (`saved`)
            return ["status_changed_at"]
        return []


class AccountHandler(Handler):
    model = Account
    noun = "accounts"
    compare = ("name", "domain", "industry", "employees", "country", "owner")

    def parse(self, p):
        country = p.text("country", 80)
        record = {
            "external_id": p.text("external_id", 120) or "",
            "name": p.text("name", 200, required=True),
            "domain": p.text("domain", 200),
            "industry": p.text("industry", 80),
            "employees": p.integer("employees"),
            "country": _country(country, p),
            "owner": self.resolve.user(p.text("owner", 150)),
            "created_at": p.moment("created_at"),
        }
        p.finish()
        return record

    def natural_key(self, record):
        return record["name"].lower()

    def find(self, records):
        found = super().find(records)
        names = [r["name"] for r in records if not r.get("external_id")]
        if names:
            for account in Account.objects.filter(name__in=names).order_by("-id"):
                found[("natural", account.name.lower())] = account
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None}
        fields.setdefault("created_at", self.now)
        for name in ("domain", "industry", "country"):
            fields.setdefault(name, "")
        return Account(source_system=self.options.source_system, **fields)

    def saved(self, created, updated):
        for account in created:
            self.resolve.remember_account(account)


_COUNTRIES = {
    "united states": "US",
    "usa": "US",
    "united states of america": "US",
    "us": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "netherlands": "NL",
    "canada": "CA",
    "australia": "AU",
    "sweden": "SE",
    "spain": "ES",
    "italy": "IT",
    "ireland": "IE",
    "switzerland": "CH",
    "austria": "AT",
    "belgium": "BE",
    "denmark": "DK",
    "norway": "NO",
    "finland": "FI",
    "poland": "PL",
    "japan": "JP",
    "india": "IN",
    "brazil": "BR",
    "singapore": "SG",
    "mexico": "MX",
    "new zealand": "NZ",
}


def _country(value: str | None, p: Parser) -> str | None:
    if not value:
        return None
    if len(value) == 2 and value.isalpha():
        return value.upper()
    code = _COUNTRIES.get(normalise(value))
    if code is None:
        p._fail("country", f"“{value}” is not a country I know; use a two-letter code")
    return code


class OpportunityHandler(Handler):
    model = Opportunity
    noun = "opportunities"
    lead_field = "primary_lead"
    compare = (
        "name",
        "account",
        "amount",
        "stage",
        "close_date",
        "owner",
        "source",
        "primary_lead_id",
    )

    def parse(self, p):
        record = {
            "external_id": p.text("external_id", 120) or "",
            "name": p.text("name", 200, required=True),
            "amount": p.amount("amount", required=True),
            "stage": p.choice("stage", Opportunity.Stage, required=True),
            "created_at": p.moment("created_at"),
            "close_date": p.day("close_date"),
        }
        owner, source = p.text("owner", 150), p.text("source", 80)
        won, closed = p.flag("won"), p.flag("closed")
        if closed is True and won is not None:
            record["stage"] = Opportunity.Stage.WON if won else Opportunity.Stage.LOST
        account_name = p.text("account", 200, required=True)
        lead_ref = p.text("primary_lead", 254)
        p.finish()
        record["owner"] = self.resolve.user(owner)  # as a lead's: only for a good row
        record["source"] = self.resolve.channel(source)
        account = self.resolve.account(account_name)
        record["account"] = account
        record["primary_lead_id"] = self.resolve.lead(lead_ref)
        if lead_ref and record["primary_lead_id"] is None:
            raise Rejected([ItemError("primary_lead", lead_ref, "no lead with this email or id")])
        return record

    def natural_key(self, record):
        return (record["account"].pk, record["name"].lower())

    def find(self, records):
        found = super().find(records)
        plain = [r for r in records if not r.get("external_id")]
        if plain:
            rows = Opportunity.objects.filter(
                account__in={r["account"].pk for r in plain}, name__in={r["name"] for r in plain}
            )
            for opp in rows:
                found[("natural", (opp.account_id, opp.name.lower()))] = opp
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None}
        fields.setdefault("created_at", self.now)
        fields.setdefault("close_date", (fields["created_at"] + timedelta(days=90)).date())
        if fields["stage"] in Opportunity.CLOSED_STAGES:
            fields["closed_at"] = timezone.make_aware(
                datetime.combine(fields["close_date"], datetime.min.time()), self.options.tz
            )
        return Opportunity(source_system=self.options.source_system, **fields)

    def refusal(self, rights, row, record, changed):
        return self.owned_refusal(rights, row, record, changed)

    def after_update(self, opp, changed, record):
        if "stage" in changed and opp.stage in Opportunity.CLOSED_STAGES and not opp.closed_at:
            opp.closed_at = self.now
            return ["closed_at"]
        return []

    def saved(self, created, updated):
        rows = [
            OpportunityStageChange(opportunity=o, to_stage=o.stage, changed_at=o.created_at)
            for o in created
        ]
        rows += [
            OpportunityStageChange(
                opportunity=o,
                from_stage=changed["stage"][0],
                to_stage=o.stage,
                changed_at=self.now,
            )
            for o, changed in updated
            if "stage" in changed
        ]
        OpportunityStageChange.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        events.record_many(self._events(created, updated), at=self.now)

    def _events(self, created, updated):
        """opportunity.created for each new deal, and .won or .lost for each deal that closed
        (a deal imported closed announces both)."""
        closing = {
            Opportunity.Stage.WON: events.Kind.OPPORTUNITY_WON,
            Opportunity.Stage.LOST: events.Kind.OPPORTUNITY_LOST,
        }
        for o in created:
            yield events.Kind.OPPORTUNITY_CREATED, opportunity_event_payload(o, "")
            if o.stage in closing:
                yield closing[o.stage], opportunity_event_payload(o, "")
        for o, changed in updated:
            if "stage" in changed and o.stage in closing:
                yield closing[o.stage], opportunity_event_payload(o, changed["stage"][0])


def opportunity_event_payload(o: Opportunity, from_stage: str) -> dict:
    """The payload of every opportunity event: ids, stages, the amount as a string."""
    return {
        "opportunity_id": o.pk,
        "account_id": o.account_id,
        "primary_lead_id": o.primary_lead_id,
        "owner_id": o.owner_id,
        "from_stage": from_stage,
        "stage": o.stage,
        "amount": f"{Decimal(o.amount):.2f}",
        "close_date": o.close_date,
    }


class CampaignHandler(Handler):
    model = Campaign
    noun = "campaigns"
    compare = ("name", "channel", "kind", "starts_on", "ends_on", "owner")

    def parse(self, p):
        record = {
            "external_id": p.text("external_id", 120) or "",
            "name": p.text("name", 200, required=True),
            "channel": self.resolve.channel(p.text("channel", 80), "channel"),
            "kind": p.choice("kind", Campaign.Kind) if p.present("kind") else None,
            "starts_on": p.day("starts_on", required=True),
            "ends_on": p.day("ends_on"),
            "owner": self.resolve.user(p.text("owner", 150)),
            "_month": p.month("month") if p.present("month") else None,
            "_cost": p.amount("cost"),
        }
        if record["kind"] is None:
            p.errors = [e for e in p.errors if e.column != "kind"]  # a free-text type is fine
        if record["channel"] is None:
            p._fail("channel", "channel is required")
        if record["ends_on"] and record["starts_on"] and record["ends_on"] < record["starts_on"]:
            p._fail("ends_on", "the campaign ends before it starts")
        if record["_month"] and record["_cost"] is None:
            p._fail("cost", "a month needs its cost")
        p.finish()
        return record

    def natural_key(self, record):
        return record["name"].lower()

    def find(self, records):
        found = super().find(records)
        names = [r["name"] for r in records if not r.get("external_id")]
        if names:
            for c in Campaign.objects.filter(name__in=names):
                found[("natural", c.name.lower())] = c
        return found

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None and not k.startswith("_")}
        return Campaign(source_system=self.options.source_system, **fields)

    def costs_changed(self, campaign, record) -> bool:
        cost, month = record["_cost"], record["_month"]
        if cost is None:
            return False
        if month:
            months = [month.replace(day=1)]
            amounts = [cost]
        else:
            months = month_span(campaign.starts_on, campaign.ends_on or campaign.starts_on)[:240]
            # Rounded down, so the last month's remainder is never negative.
            share = (cost / len(months)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            amounts = [share] * (len(months) - 1) + [cost - share * (len(months) - 1)]
        current = dict(
            CampaignCost.objects.filter(campaign=campaign, month__in=months).values_list(
                "month", "amount"
            )
        )
        wanted = dict(zip(months, amounts, strict=True))
        if current == wanted:
            return False
        for m, amount in wanted.items():
            CampaignCost.objects.update_or_create(
                campaign=campaign, month=m, defaults={"amount": amount}
            )
        return True


class TouchpointHandler(Handler):
    model = Touchpoint
    noun = "touchpoints"
    lead_field = "lead"
    fast_insert = True
    compare = ("channel", "campaign", "kind", "occurred_at")

    def scored_leads(self, created, updated):
        return {row.lead_id for row in created} | {row.lead_id for row, _ in updated}

    def parse(self, p):
        lead_ref = p.text("lead", 254, required=True)
        record = {
            "external_id": p.text("external_id", 120) or "",
            "channel": self.resolve.channel(p.text("channel", 80), "channel"),
            "kind": p.choice("kind", Touchpoint.Kind, required=True),
            "occurred_at": p.moment("occurred_at", required=True),
        }
        campaign_ref = p.text("campaign", 200)
        if record["channel"] is None and not p.present("channel"):
            p._fail("channel", "channel is required")
        p.finish()
        record["lead_id"] = self.resolve.lead(lead_ref)
        if record["lead_id"] is None:
            raise Rejected([ItemError("lead", lead_ref, "no lead with this email or id")])
        record["campaign"] = self.resolve.campaign(campaign_ref)
        if campaign_ref and record["campaign"] is None:
            raise Rejected([ItemError("campaign", campaign_ref, "no campaign with this name")])
        return record

    def natural_key(self, record):
        return (record["lead_id"], record["channel"].pk, record["kind"], record["occurred_at"])

    def find(self, records):
        found = super().find(records)
        plain = [r for r in records if not r.get("external_id")]
        if plain:
            rows = Touchpoint.objects.filter(
                lead__in={r["lead_id"] for r in plain},
                occurred_at__in={r["occurred_at"] for r in plain},
            )
            for t in rows:
                found[("natural", (t.lead_id, t.channel_id, t.kind, t.occurred_at))] = t
        return found


class ActivityHandler(Handler):
    model = Activity
    noun = "follow-ups"
    lead_field = "lead"
    fast_insert = True
    compare = ("kind", "occurred_at", "outcome", "notes", "user")
    lead_created_at = True

    def parse(self, p):
        lead_ref = p.text("lead", 254, required=True)
        record = {
            "external_id": p.text("external_id", 120) or "",
            "user": self.resolve.user(p.text("user", 150), "user"),
            "kind": p.choice("kind", Activity.Kind, required=True),
            "occurred_at": p.moment("occurred_at", required=True),
            "outcome": p.text("outcome", 120),
            "notes": p.text("notes", 4000),
        }
        p.finish()
        record["lead_id"] = self.resolve.lead(lead_ref)
        if record["lead_id"] is None:
            raise Rejected([ItemError("lead", lead_ref, "no lead with this email or id")])
        lead_created_at = self.resolve.lead_created_at[record["lead_id"]]
        if record["occurred_at"] < lead_created_at - timedelta(days=1):
            raise Rejected(
                [ItemError("occurred_at", str(p.raw("occurred_at")), "before the lead existed")]
            )
        return record

    def natural_key(self, record):
        user = record["user"].pk if record["user"] else None
        return (record["lead_id"], record["kind"], record["occurred_at"], user)

    def find(self, records):
        found = super().find(records)
        plain = [r for r in records if not r.get("external_id")]
        if plain:
            rows = Activity.objects.filter(
                lead__in={r["lead_id"] for r in plain},
                occurred_at__in={r["occurred_at"] for r in plain},
            )
            for a in rows:
                found[("natural", (a.lead_id, a.kind, a.occurred_at, a.user_id))] = a
        return found

    def prepare(self, records):
        ids = {r["lead_id"] for r in records}
        self._lead_owners = dict(Lead.objects.filter(pk__in=ids).values_list("pk", "owner_id"))

    def refusal(self, rights, row, record, changed):
        """As on a lead's page: follow-ups on the leads the importer works, as themselves."""
        if rights.everything:
            return None
        if not rights.may_change(self._lead_owners.get(record["lead_id"])):
            return ItemError(
                "lead", str(record["lead_id"]), "You may log follow-ups only on leads you work."
            )
        user = record["user"] if row is None else changed.get("user", (None, row.user))[1]
        if user is not None and user.pk != rights.user.pk:
            return ItemError("user", str(user), "You log follow-ups as yourself.")
        return None

    def new(self, record):
        fields = {k: v for k, v in record.items() if v is not None}
        fields.setdefault("outcome", "")
        fields.setdefault("notes", "")
        return Activity(source_system=self.options.source_system, **fields)


HANDLERS: dict[Kind, type[Handler]] = {
    Kind.LEADS: LeadHandler,
    Kind.ACCOUNTS: AccountHandler,
    Kind.OPPORTUNITIES: OpportunityHandler,
    Kind.CAMPAIGNS: CampaignHandler,
    Kind.TOUCHPOINTS: TouchpointHandler,
    Kind.ACTIVITIES: ActivityHandler,
}
