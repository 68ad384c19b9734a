"""A lead definition compiled to one SQL query that scores leads inside the database.

`scores_query()` gives `SELECT lead_id, fit_points, grade, score` for every lead in scope,
with the same arithmetic as `accord.analytics.scoring.evaluate` (the tests hold them
together on SQLite and PostgreSQL). Touchpoints are read once, grouped by lead, with one
SUM(CASE ...) per engagement rule; fit is a sum of CASE terms over the lead and its account.
Values always travel as parameters; only column names and operators are written into the
SQL text, and those come from this module, never from the definition.
"""

from dataclasses import dataclass

from django.db import connection

from accord.analytics.scoring import (
    NUMBER_FIELDS,
    Definition,
    EngagementRule,
    FitRule,
    LeadFacts,
    fit_matches,
)
from accord.crm.models import Account, Channel, Lead, Touchpoint

LEAD = Lead._meta.db_table
ACCOUNT = Account._meta.db_table
TOUCH = Touchpoint._meta.db_table


@dataclass(frozen=True)
class Dialect:
    vendor: str

    def fold(self, column: str) -> str:
        if self.vendor == "postgresql":
            # LOWER under the "C" collation changes A-Z only, like TRANSLATE(x, 'A-Z', 'a-z'),
            # at a fraction of the cost (TRANSLATE searches its 26 letters for every character).
            return f"LOWER(BTRIM(COALESCE({column}, ''), ' ') COLLATE \"C\")"
        return f"LOWER(TRIM(COALESCE({column}, ''), ' '))"

    def fence(self) -> str:
        """Ends a subquery so the planner keeps it whole instead of pulling it up."""
        return " OFFSET 0" if self.vendor == "postgresql" else " LIMIT -1 OFFSET 0"

    def domain(self, column: str) -> str:
        find = "STRPOS" if self.vendor == "postgresql" else "INSTR"
        return (
            f"CASE WHEN {find}({column}, '@') > 0 "
            f"THEN SUBSTR({column}, {find}({column}, '@') + 1) ELSE '' END"
        )

    def contains(self, text: str) -> str:
        find = "STRPOS" if self.vendor == "postgresql" else "INSTR"
        return f"{find}({text}, %s) > 0"

    def epoch(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(EXTRACT(EPOCH FROM {column}) AS DOUBLE PRECISION)"
        return f"((JULIANDAY({column}) - 2440587.5) * 86400.0)"

    def smaller(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.vendor == "postgresql" else f"MIN({a}, {b})"

    def larger(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.vendor == "postgresql" else f"MAX({a}, {b})"

    def month(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"TO_CHAR({column} AT TIME ZONE 'UTC', 'YYYY-MM')"
        return f"SUBSTR({column}, 1, 7)"


def dialect() -> Dialect:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(
            f"Set-based scoring supports SQLite and PostgreSQL, not {connection.vendor}."
        )
    return Dialect(connection.vendor)


def _channel_ids() -> dict[str, int]:
    return dict(Channel.objects.values_list("key", "id"))


def text_column(field: str, d: Dialect) -> str:
    """The SQL for a text field of the lead `l` or its account `a` (not `source`)."""
    return {
        "title": "l.title",
        "email_domain": d.domain("l.email"),
        "industry": "a.industry",
        "country": "a.country",
    }[field]


def _touch_match(rule: EngagementRule, channels: dict[str, int]) -> tuple[str, list]:
    """A SQL condition true when the touchpoint `t` is one the engagement rule counts."""
    match, params = ["1 = 1"], []
    if rule.kind:
        match.append("t.kind = %s")
        params.append(rule.kind)
    if rule.channel:
        match.append("t.channel_id = %s")
        params.append(channels.get(rule.channel, -1))
    if rule.campaign is not None:
        match.append("t.campaign_id = %s")
        params.append(rule.campaign)
    return " AND ".join(match), params


def _fit_term(rule: FitRule, d: Dialect, channels: dict[str, int]) -> tuple[str, list]:
    """A SQL condition that is true when the rule matches the lead `l` (account `a`)."""
    if rule.field == "source":
        # Decide the rule on each channel's key here, then test the lead's channel id.
        ids = [cid for key, cid in channels.items() if fit_matches(rule, LeadFacts(source=key))]
        empty = fit_matches(rule, LeadFacts(source=""))
        parts = []
        if ids:
            parts.append(f"l.source_id IN ({', '.join(['%s'] * len(ids))})")
        if empty:
            parts.append("l.source_id IS NULL")
        return ("(" + " OR ".join(parts) + ")" if parts else "1 = 0"), ids
    if rule.field in NUMBER_FIELDS:
        column = f"a.{rule.field}"
        if rule.op == "is_empty":
            return f"{column} IS NULL", []
        if rule.op == "equals":
            return f"{column} = %s", [rule.value[0]]
        low, high = rule.value
        terms, params = [f"{column} IS NOT NULL"], []
        if low is not None:
            terms.append(f"{column} >= %s")
            params.append(low)
        if high is not None:
            terms.append(f"{column} <= %s")
            params.append(high)
        return "(" + " AND ".join(terms) + ")", params
    text = d.fold(text_column(rule.field, d))
    if rule.op == "is_empty":
        return f"{text} = ''", []
    if rule.op == "equals":
        return f"{text} = %s", [rule.value[0]]
    if rule.op == "one_of":
        return f"{text} IN ({', '.join(['%s'] * len(rule.value))})", list(rule.value)
    if rule.op == "contains":
        return d.contains(text), [rule.value[0]]
    return f"SUBSTR({text}, 1, %s) = %s", [len(rule.value[0]), rule.value[0]]


def scores_query(
    definition: Definition,
    *,
    as_of_epoch: float | None = None,
    window_days: float | None = None,
    lead_ids: list[int] | None = None,
    created_from=None,
    created_to=None,
) -> tuple[str, list]:
    """SQL for (lead_id, fit_points, grade, score) of the leads in scope.

    Scores are as of `as_of_epoch` (seconds since 1970, UTC) for every lead, or, with
    `window_days`, as each lead stood that many days after it was created (backtests).
    Scope: `lead_ids`, or leads created in [created_from, created_to), or all leads.
    """
    if (as_of_epoch is None) == (window_days is None):
        raise ValueError("Give as_of_epoch or window_days, not both.")
    d = dialect()
    channels = _channel_ids()
    params: list = []

    fit_terms = []
    for rule in definition.fit_rules:
        condition, cond_params = _fit_term(rule, d, channels)
        fit_terms.append(f"CASE WHEN {condition} THEN %s ELSE 0 END")
        params += cond_params + [rule.points]
    fit_sql = " + ".join(fit_terms) or "0"

    scope_sql, scope_params = "1 = 1", []
    if lead_ids is not None:
        scope_sql = f"l.id IN ({', '.join(['%s'] * len(lead_ids))})" if lead_ids else "1 = 0"
        scope_params = list(lead_ids)
    elif created_from is not None:
        scope_sql = "l.created_at >= %s AND l.created_at < %s"
        scope_params = [
            connection.ops.adapt_datetimefield_value(created_from),
            connection.ops.adapt_datetimefield_value(created_to),
        ]

    engagement_sql, engagement_join = "0", ""
    if definition.engagement_rules:
        touch_epoch = d.epoch("t.occurred_at")
        if window_days is None:
            as_of, as_of_params = "%s", [as_of_epoch]
            lead_join = ""
            touch_scope = scope_sql.replace("l.id", "t.lead_id") if lead_ids is not None else None
        else:
            as_of = f"({d.epoch('l.created_at')} + %s)"
            as_of_params = [window_days * 86400.0]
            lead_join = f" JOIN {LEAD} l ON l.id = t.lead_id"
            touch_scope = scope_sql
        inner_params: list = []
        sums = []
        for number, rule in enumerate(definition.engagement_rules):
            match, match_params = _touch_match(rule, channels)
            points = "%s"
            point_params: list = [float(rule.points)]
            if rule.half_life_days:
                points = f"%s * POWER(0.5, ({as_of} - {touch_epoch}) / %s)"
                point_params += as_of_params + [rule.half_life_days * 86400.0]
            total = f"SUM(CASE WHEN {match} THEN {points} ELSE 0 END)"
            inner_params += match_params + point_params
            if rule.cap is not None:
                if rule.points > 0:
                    total = d.smaller(total, "%s")
                    inner_params.append(float(rule.cap))
                else:
                    total = d.larger(total, "%s")
                    inner_params.append(-float(rule.cap))
            sums.append(f"{total} AS r{number}")
        where = [f"{touch_epoch} <= {as_of}"]
        where_params = list(as_of_params)
        if touch_scope is not None:
            where.append(touch_scope)
            where_params += scope_params
        engagement_join = (
            f" LEFT JOIN (SELECT t.lead_id AS lead_id, {', '.join(sums)} FROM {TOUCH} t"
            f"{lead_join} WHERE {' AND '.join(where)} GROUP BY t.lead_id) e ON e.lead_id = l.id"
        )
        params += inner_params + where_params
        engagement_sql = " + ".join(
            f"COALESCE(e.r{n}, 0)" for n in range(len(definition.engagement_rules))
        )

    # fit params come first in the SELECT list, then the join's, then the scope's.
    fit_params, join_params = params[: _count(fit_sql)], params[_count(fit_sql) :]
    # The fence keeps fit_points computed once per lead: pulled up into the outer query, the
    # whole sum of fit terms would be evaluated again for each grade test below.
    inner = (
        f"SELECT l.id AS lead_id, {fit_sql} AS fit_points, "
        f"CAST(FLOOR({engagement_sql} + 0.5) AS INTEGER) AS score "
        f"FROM {LEAD} l LEFT JOIN {ACCOUNT} a ON a.id = l.account_id{engagement_join} "
        f"WHERE {scope_sql}{d.fence()}"
    )
    t = definition.thresholds
    sql = (
        "SELECT s.lead_id, s.fit_points, CASE WHEN s.fit_points >= %s THEN 'A' "
        "WHEN s.fit_points >= %s THEN 'B' WHEN s.fit_points >= %s THEN 'C' ELSE 'D' END "
        f"AS grade, s.score FROM ({inner}) s"
    )
    return sql, [t["A"], t["B"], t["C"], *fit_params, *join_params, *scope_params]


def _count(sql: str) -> int:
    return sql.count("%s")


def passes_sql(definition: Definition, alias: str = "s") -> tuple[str, list]:
    grades = sorted(definition.mql_grades)
    return (
        f"{alias}.grade IN ({', '.join(['%s'] * len(grades))}) AND {alias}.score >= %s",
        [*grades, definition.mql_min_score],
    )


def rule_hits_query(
    definition: Definition, *, window_days: float, created_from, created_to
) -> tuple[str, list]:
    """SQL for one row: the leads created in [created_from, created_to), then for each fit
    rule and each engagement rule (in that order) how many of them it gives points to.

    A lead counts for an engagement rule when it has a touch the rule counts within
    `window_days` of its creation: the touches a backtest scores it on.
    """
    d = dialect()
    channels = _channel_ids()
    scope = "l.created_at >= %s AND l.created_at < %s"
    scope_params = [
        connection.ops.adapt_datetimefield_value(created_from),
        connection.ops.adapt_datetimefield_value(created_to),
    ]
    columns, params = ["COUNT(*)"], []
    for rule in definition.fit_rules:
        condition, cond_params = _fit_term(rule, d, channels)
        columns.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")
        params += cond_params
    join, join_params = "", []
    if definition.engagement_rules:
        flags = []
        for number, rule in enumerate(definition.engagement_rules):
            match, match_params = _touch_match(rule, channels)
            flags.append(f"MAX(CASE WHEN {match} THEN 1 ELSE 0 END) AS h{number}")
            join_params += match_params
            columns.append(f"SUM(COALESCE(e.h{number}, 0))")
        join = (
            f" LEFT JOIN (SELECT t.lead_id AS lead_id, {', '.join(flags)} FROM {TOUCH} t"
            f" JOIN {LEAD} l ON l.id = t.lead_id WHERE {scope} AND "
            f"{d.epoch('t.occurred_at')} <= {d.epoch('l.created_at')} + %s"
            " GROUP BY t.lead_id) e ON e.lead_id = l.id"
        )
        join_params += [*scope_params, window_days * 86400.0]
    query = (
        f"SELECT {', '.join(columns)} FROM {LEAD} l "
        f"LEFT JOIN {ACCOUNT} a ON a.id = l.account_id{join} WHERE {scope}"
    )
    return query, [*params, *join_params, *scope_params]


def _value_source(field: str, d: Dialect) -> tuple[str, str]:
    """(value column, FROM clause) listing a field's stored values with a row per lead; a
    value held only by accounts or channels without leads is listed once, with no lead."""
    if field == "source":
        return "c.key", f"{Channel._meta.db_table} c LEFT JOIN {LEAD} l ON l.source_id = c.id"
    if field in ("industry", "country"):
        return f"a.{field}", f"{ACCOUNT} a LEFT JOIN {LEAD} l ON l.account_id = a.id"
    return text_column(field, d), f"{LEAD} l"


def field_values(field: str, *, limit: int) -> list[tuple[str, int]]:
    """The values a text field holds (as first spelled), most leads first, with lead counts."""
    d = dialect()
    column, source = _value_source(field, d)
    folded = d.fold(column)
    query = (
        f"SELECT MIN({column}), COUNT(l.id) FROM {source} WHERE {folded} <> '' "
        f"GROUP BY {folded} ORDER BY COUNT(l.id) DESC, MIN({column}) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [limit])
        return [(value, count) for value, count in cursor.fetchall()]


def values_found(field: str, folded_values: list[str]) -> set[str]:
    """Which of these (folded) values some lead, account or channel holds in this field."""
    if not folded_values:
        return set()
    d = dialect()
    column, source = _value_source(field, d)
    folded = d.fold(column)
    marks = ", ".join(["%s"] * len(folded_values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {folded} FROM {source} WHERE {folded} IN ({marks})",
            list(folded_values),
        )
        return {row[0] for row in cursor.fetchall()}
