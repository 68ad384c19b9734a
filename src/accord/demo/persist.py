"""The demo company written to the database: fast, in batches, with explicit primary keys.

`persist(world)` writes what `simulation.simulate()` produced; the caller (`build.py`) holds
the transaction and, on SQLite, a large page cache. Rows go through `core.bulk`, the same
insert path as imports.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from accord.core.bulk import insert_values
from accord.crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignCost,
    Channel,
    Lead,
    LeadOwnerChange,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Touchpoint,
)
from accord.demo.company import CHANNELS, DEMO_PASSWORD, PEOPLE, TEAMS
from accord.demo.simulation import World, as_datetime
from accord.people.models import Team, User


def _number(records: list, model: type[models.Model]) -> None:
    """Give records explicit primary keys so children can refer to them without a query."""
    first = (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    for pk, record in enumerate(records, start=first):
        record.pk = pk


def persist(world: World) -> None:
    """Write the World: teams, users, channels, then the CRM rows with explicit ids."""
    teams = {name: Team(name=name, kind=kind, time_zone=tz) for name, kind, tz in TEAMS}
    Team.objects.bulk_create(teams.values())
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    joined = world.start - timedelta(days=365)
    users = {
        p.username: User(
            # bulk_create skips User.save(): store the one spelling login looks up here too.
            username=User.normalize_username(p.username),
            password=password,
            email=p.email,
            first_name=p.first_name,
            last_name=p.last_name,
            title=p.title,
            role=p.role,
            date_joined=joined,
        )
        for p in PEOPLE
    }
    User.objects.bulk_create(users.values())
    membership = User.teams.through
    membership.objects.bulk_create(
        membership(user_id=users[p.username].pk, team_id=teams[p.team].pk) for p in PEOPLE
    )
    uid: dict[str | None, int | None] = {name: user.pk for name, user in users.items()}
    uid[None] = None
    channels = {s.key: Channel(key=s.key, name=s.name, group=s.group) for s in CHANNELS}
    Channel.objects.bulk_create(channels.values())
    cid = {key: channel.pk for key, channel in channels.items()}

    campaigns, accounts, leads = world.campaigns, world.accounts, world.leads
    opportunities = world.opportunities
    for records, model in (
        (campaigns, Campaign),
        (accounts, Account),
        (leads, Lead),
        (opportunities, Opportunity),
    ):
        _number(records, model)
    imported = ("source_system", "external_id")
    origin = ("accord", "")
    now = timezone.now()

    insert_values(
        Campaign,
        ("id", "name", "channel", "kind", "starts_on", "ends_on", "owner", *imported),
        (
            (c.pk, c.name, cid[c.channel], c.kind, c.starts_on, c.ends_on, uid[c.owner], *origin)
            for c in campaigns
        ),
    )
    insert_values(
        CampaignCost,
        ("campaign", "month", "amount"),
        ((c.pk, month, amount) for c in campaigns for month, amount in c.costs),
    )
    insert_values(
        Account,
        ("id", "name", "domain", "industry", "employees", "country", "owner", "created_at",
         *imported),
        (
            (a.pk, a.name, a.domain, a.industry, a.employees, a.country, uid[a.owner],
             as_datetime(a.created), *origin)
            for a in accounts
        ),
    )  # fmt: skip
    insert_values(
        Lead,
        ("id", "email", "first_name", "last_name", "title", "account", "source", "owner",
         "status", "status_changed_at", "fit_grade", "engagement_score", "created_at",
         "updated_at", *imported),
        (
            (lead.pk, lead.email, lead.first_name, lead.last_name, lead.title,
             lead.account.pk if lead.account else None, cid[lead.source], uid[lead.owner],
             lead.status, as_datetime(lead.statuses[-1][0]), lead.fit_grade, lead.engagement,
             as_datetime(lead.created), now, *origin)
            for lead in leads
        ),
    )  # fmt: skip
    insert_values(
        LeadOwnerChange,
        ("lead", "from_owner", "to_owner", "changed_at", "changed_by"),
        (
            (lead.pk, uid[old], uid[new], as_datetime(at), uid[by])
            for lead in leads
            for at, old, new, by in lead.owners
        ),
    )
    insert_values(
        LeadStatusChange,
        ("lead", "from_status", "to_status", "changed_at", "changed_by", "reason"),
        (
            (lead.pk, old, new, as_datetime(at), uid[by], reason)
            for lead in leads
            for at, old, new, by, reason in lead.statuses
        ),
    )
    insert_values(
        Touchpoint,
        ("lead", "channel", "campaign", "kind", "occurred_at", *imported),
        (
            (
                lead.pk,
                cid[channel],
                campaign.pk if campaign else None,
                kind,
                as_datetime(at),
                *origin,
            )
            for lead in leads
            for at, channel, kind, campaign in lead.touches
        ),
    )
    insert_values(
        Activity,
        ("lead", "user", "kind", "occurred_at", "outcome", "notes", *imported),
        (
            (lead.pk, uid[user], kind, as_datetime(at), outcome, "", *origin)
            for lead in leads
            for at, user, kind, outcome in lead.activities
        ),
    )
    insert_values(
        Opportunity,
        ("id", "name", "account", "primary_lead", "owner", "source", "amount", "stage",
         "created_at", "close_date", "closed_at", *imported),
        (
            (o.pk, o.name, o.account.pk, o.lead.pk if o.lead else None, uid[o.owner],
             cid[o.source], o.amount, o.stage, as_datetime(o.created), o.close_date,
             as_datetime(o.closed) if o.closed is not None else None, *origin)
            for o in opportunities
        ),
    )  # fmt: skip
    insert_values(
        OpportunityStageChange,
        ("opportunity", "from_stage", "to_stage", "changed_at"),
        ((o.pk, old, new, as_datetime(at)) for o in opportunities for at, old, new in o.stages),
    )
    # Explicit ids leave PostgreSQL's sequences behind; move them past the new rows.
    reset = connection.ops.sequence_reset_sql(no_style(), [Campaign, Account, Lead, Opportunity])
    if reset:
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)
