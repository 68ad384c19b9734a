"""The schema contract: the tables every analytics function receives.

No Django imports here. Each reader takes an Ibis backend that holds Accord's CRM tables
(the app database itself, or a copy of them in DuckDB, PostgreSQL, Spark...) and returns an
Ibis table with the columns and types below, whatever the engine stores underneath.

    leads                lead_id, account_id, source_id, owner_id, status, fit_grade,
                         created_at
    lead_status_changes  lead_id, from_status, to_status, changed_at
    touchpoints          touchpoint_id, lead_id, channel_id, campaign_id, kind, occurred_at
    opportunities        opportunity_id, account_id, primary_lead_id, source_id, owner_id,
                         amount, stage, created_at, close_date, closed_at
    channels             channel_id, key, name, group
    accounts             account_id, name, industry, country, employees
    campaigns            campaign_id, channel_id, name, kind
    campaign_costs       campaign_id, month, amount
    content_touches      touchpoint_id, asset_id, version_id (which content asset, and
                         version, a touchpoint was)

Ids are integers; `*_id` columns other than the table's own key may be null. Statuses and
stages are the codes Accord stores ("mql", "accepted", "won"...). Money is a decimal.
Text Accord leaves blank (a lead's fit grade, an account's country) is "", but a copy of
the tables on another engine may hold null there.
Timestamps are UTC without a zone: SQLite holds UTC text, and PostgreSQL's timestamptz is
read in the session's zone, which Ibis sets to UTC when it connects.

`rows()` runs a query and brings its result, which should be small, to Python.

The readers declare the schema instead of asking the engine for it: on SQLite, Ibis's
schema lookup commits the connection's transaction, which would end a test's transaction
(and its isolation) when the backend wraps Django's own connection.
"""

from dataclasses import dataclass
from typing import Any

import ibis
from ibis.backends import BaseBackend

LEADS = ibis.schema(
    {
        "lead_id": "int64",
        "account_id": "int64",
        "source_id": "int64",
        "owner_id": "int64",
        "status": "string",
        "fit_grade": "string",
        "created_at": "timestamp",
    }
)
LEAD_STATUS_CHANGES = ibis.schema(
    {
        "lead_id": "int64",
        "from_status": "string",
        "to_status": "string",
        "changed_at": "timestamp",
    }
)
TOUCHPOINTS = ibis.schema(
    {
        "touchpoint_id": "int64",
        "lead_id": "int64",
        "channel_id": "int64",
        "campaign_id": "int64",
        "kind": "string",
        "occurred_at": "timestamp",
    }
)
OPPORTUNITIES = ibis.schema(
    {
        "opportunity_id": "int64",
        "account_id": "int64",
        "primary_lead_id": "int64",
        "source_id": "int64",
        "owner_id": "int64",
        "amount": "decimal(14, 2)",
        "stage": "string",
        "created_at": "timestamp",
        "close_date": "date",
        "closed_at": "timestamp",
    }
)
CHANNELS = ibis.schema(
    {
        "channel_id": "int64",
        "key": "string",
        "name": "string",
        "group": "string",
    }
)

ACCOUNTS = ibis.schema(
    {
        "account_id": "int64",
        "name": "string",
        "industry": "string",
        "country": "string",
        "employees": "int64",
    }
)

CAMPAIGNS = ibis.schema(
    {
        "campaign_id": "int64",
        "channel_id": "int64",
        "name": "string",
        "kind": "string",
    }
)
CAMPAIGN_COSTS = ibis.schema(
    {
        "campaign_id": "int64",
        "month": "date",
        "amount": "decimal(14, 2)",
    }
)

CONTENT_TOUCHES = ibis.schema(
    {
        "touchpoint_id": "int64",
        "asset_id": "int64",
        "version_id": "int64",
    }
)

# The contract's tables: Accord's app table (whose name a copy on another engine keeps), the
# schema, and the contract's columns that have another name in the app table.
CONTRACT: dict[str, tuple[str, ibis.Schema, dict[str, str]]] = {
    "leads": ("crm_lead", LEADS, {"lead_id": "id"}),
    "lead_status_changes": ("crm_leadstatuschange", LEAD_STATUS_CHANGES, {}),
    "touchpoints": ("crm_touchpoint", TOUCHPOINTS, {"touchpoint_id": "id"}),
    "opportunities": ("crm_opportunity", OPPORTUNITIES, {"opportunity_id": "id"}),
    "channels": ("crm_channel", CHANNELS, {"channel_id": "id"}),
    "accounts": ("crm_account", ACCOUNTS, {"account_id": "id"}),
    "campaigns": ("crm_campaign", CAMPAIGNS, {"campaign_id": "id"}),
    "campaign_costs": ("crm_campaigncost", CAMPAIGN_COSTS, {}),
    "content_touches": ("content_contenttouch", CONTENT_TOUCHES, {}),
}


@dataclass(frozen=True)
class Tables:
    """The contract's tables, as one argument for the analytics functions."""

    leads: ibis.Table
    lead_status_changes: ibis.Table
    opportunities: ibis.Table
    channels: ibis.Table
    accounts: ibis.Table
    touchpoints: ibis.Table
    campaigns: ibis.Table
    campaign_costs: ibis.Table
    content_touches: ibis.Table


def _read(backend: BaseBackend, name: str) -> ibis.Table:
    app_table, schema, renamed = CONTRACT[name]
    columns = ", ".join(f'"{renamed.get(c, c)}" AS "{c}"' for c in schema.names)
    # Written in PostgreSQL's dialect; Ibis translates it for the backend's own.
    return backend.sql(
        f'SELECT {columns} FROM "{app_table}"',  # noqa: S608 - fixed names, no input
        schema=schema,
        dialect="postgres",
    )


def load(backend: BaseBackend) -> Tables:
    return Tables(**{name: _read(backend, name) for name in CONTRACT})


def unbound() -> Tables:
    """The contract on no engine at all: for compiling queries to SQL without I/O."""
    tables = {name: ibis.table(schema, name=name) for name, (_, schema, _) in CONTRACT.items()}
    return Tables(**tables)


def rows(query: ibis.Table) -> list[dict[str, Any]]:
    """Run a query on its engine; its rows as dicts of plain numbers and strings."""
    backend = ibis.get_backend(query)
    if backend.name == "sqlite":
        # Ibis fetches SQLite results through pandas, which warns with pandas 3.1; the
        # cursor gives the same numbers without it.
        cursor = backend.raw_sql(backend.compile(query))
        try:
            return [dict(zip(query.columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()
    return query.to_pyarrow().to_pylist()
