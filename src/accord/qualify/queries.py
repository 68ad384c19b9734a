"""Read models for the lead definition pages: rules, their hit counts, values, comparisons."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from accord.analytics import scoring as engine
from accord.crm.models import Lead
from accord.people.models import AuditLog
from accord.qualify import scoring, sql
from accord.qualify.models import LeadDefinition

# A rule's hits are counted over the leads created in a window, each lead with the touches
# of its first WINDOW_DAYS days (what a backtest scores it on); the definition page uses the
# last RECENT_DAYS, a backtest its own window.
WINDOW_DAYS = 30
RECENT_DAYS = 90
# Fields whose values a rule names exactly (equals, is one of): the editor suggests the
# values in the data and warns about values nobody has.
CATEGORICAL_FIELDS = ("country", "industry", "source", "email_domain", "title")
SUGGESTIONS = 60


def parsed_or_none(definition: LeadDefinition):
    try:
        return scoring.parse(definition, check_known=False)
    except engine.DefinitionError:
        return None


@dataclass(frozen=True)
class RuleHits:
    """How many leads created in [start, end) each rule gave points to."""

    start: datetime
    end: datetime
    leads: int
    fit: tuple[int, ...]  # in the order of the definition's fit rules
    engagement: tuple[int, ...]  # in the order of its engagement rules

    @property
    def days(self) -> int:
        return round((self.end - self.start).total_seconds() / 86400)

    def as_json(self) -> dict:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "leads": self.leads,
            "fit": list(self.fit),
            "engagement": list(self.engagement),
        }


def rule_hits(parsed: engine.Definition, start: datetime, end: datetime) -> RuleHits:
    """Every rule's hit count over the leads created in [start, end): the one computation
    behind the definition page, the backtest and the CLI."""
    query, params = sql.rule_hits_query(
        parsed, window_days=WINDOW_DAYS, created_from=start, created_to=end
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = [int(value or 0) for value in cursor.fetchone()]
    fits = len(parsed.fit_rules)
    return RuleHits(start, end, row[0], tuple(row[1 : 1 + fits]), tuple(row[1 + fits :]))


def recent_hits(parsed: engine.Definition, now: datetime | None = None) -> RuleHits:
    end = now or timezone.now()
    return rule_hits(parsed, end - timedelta(days=RECENT_DAYS), end)


def hits_side_by_side(results: list[dict]) -> list[dict]:
    """A backtest's rules of every definition it replayed, each rule once, with its hits
    under each definition (None where that version has no such rule)."""
    rows: dict[tuple, dict] = {}
    for column, result in enumerate(results):
        for rule in result.get("rules", ()):  # runs stored before hits were kept have none
            row = rows.setdefault(
                (rule["kind"], rule["rule"]),
                {**rule, "hits": [None] * len(results)},
            )
            row["hits"][column] = rule["hits"]
    return list(rows.values())


def rule_rows(definition: LeadDefinition, *, hits: RuleHits | None = None) -> dict:
    """The definition's rules as the pages show them, fit first, each with its hit count
    over the last RECENT_DAYS (`hits` computed elsewhere may be passed in)."""
    parsed = parsed_or_none(definition)
    if parsed is None:
        return {"fit": [], "engagement": [], "condition": ""}
    hits = hits or recent_hits(parsed)
    return {
        "fit": [{"rule": r, "hits": n} for r, n in zip(parsed.fit_rules, hits.fit, strict=True)],
        "engagement": [
            {"rule": r, "hits": n}
            for r, n in zip(parsed.engagement_rules, hits.engagement, strict=True)
        ],
        "condition": parsed.condition(),
        "best_fit": sum(max(r.points, 0) for r in parsed.fit_rules),
        "hits": hits,
        "never": sum(1 for n in hits.fit + hits.engagement if n == 0),
    }


def value_suggestions() -> dict[str, list[tuple[str, int]]]:
    """For each categorical field, the values in the data with their lead counts."""
    return {field: sql.field_values(field, limit=SUGGESTIONS) for field in CATEGORICAL_FIELDS}


def _quoted(values) -> str:
    shown = [f"“{v}”" for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def value_warnings(rules: list) -> list[str]:
    """One sentence per rule that names values no lead or account holds (such a rule never
    matches those values); it names the rule, the field, the values, and what the data holds."""
    warnings = []
    for number, raw in enumerate(rules, start=1):
        field, op = raw.get("field"), raw.get("op")
        if raw.get("type") != "fit" or field not in CATEGORICAL_FIELDS:
            continue
        if op not in ("equals", "one_of"):
            continue
        values = raw.get("value")
        if isinstance(values, list):
            typed = values
        else:  # "is one of" may be stored as one comma-separated text
            typed = str(values or "").split(",") if op == "one_of" else [values]
        typed = [str(v).strip() for v in typed if engine.fold(v)]
        if op == "equals":
            typed = typed[:1]
        found = sql.values_found(field, sorted({engine.fold(v) for v in typed}))
        missing = [v for v in typed if engine.fold(v) not in found]
        if not missing:
            continue
        holder = "lead" if field in ("title", "email_domain") else "lead or account"
        if field == "source":
            holder = "channel"
        label = f" ({raw['label']})" if raw.get("label") else ""
        held = sql.field_values(field, limit=5)
        example = " The data holds " + ", ".join(value for value, _ in held) + "…" if held else ""
        warnings.append(
            f"Rule {number}{label}: no {holder} has {engine.FIELDS[field]} "
            f"{_quoted(missing)}, so it never matches {'them' if len(missing) > 1 else 'it'}."
            + example
        )
    return warnings


def fields_read(definition: LeadDefinition, lead: Lead) -> list[dict]:
    """The lead's (and its account's) value of each field the definition's fit rules read."""
    parsed = parsed_or_none(definition)
    if parsed is None:
        return []
    facts = scoring.lead_facts(lead)
    values = {
        "title": facts.title,
        "email_domain": engine.email_domain(facts.email),
        "source": facts.source,
        "industry": facts.industry,
        "country": facts.country,
        "employees": facts.employees,
    }
    fields = list(dict.fromkeys(rule.field for rule in parsed.fit_rules))
    return [{"name": engine.FIELDS[f], "value": values[f]} for f in fields]


def _fit_key(rule: engine.FitRule):
    return ("fit", rule.field, rule.op, rule.value)


def _engagement_key(rule: engine.EngagementRule):
    return ("engagement", rule.kind, rule.channel, rule.campaign)


def _rule_facts(rule) -> str:
    if isinstance(rule, engine.FitRule):
        return f"{rule.points:+d}"
    facts = f"{rule.points:+d} each"
    if rule.half_life_days:
        facts += f", half-life {rule.half_life_days:g} d"
    if rule.cap is not None:
        facts += f", cap {rule.cap}"
    return facts


def _rule_what(rule) -> str:
    return rule.describe() if isinstance(rule, engine.FitRule) else rule.what()


def compare(a: LeadDefinition, b: LeadDefinition) -> dict:
    """Two versions side by side: every rule of either, and what differs."""
    pa, pb = parsed_or_none(a), parsed_or_none(b)
    newer = max(a, b, key=lambda d: d.version)

    def label(change: str) -> str:
        # By version, not by side: what the newer version did, whichever column it is in.
        return "" if change == "same" else f"{change} in v{newer.version}"

    rows = []
    for kind, key_of, rules_of in (
        ("Fit", _fit_key, lambda p: p.fit_rules),
        ("Engagement", _engagement_key, lambda p: p.engagement_rules),
    ):
        left = {key_of(r): r for r in (rules_of(pa) if pa else ())}
        right = {key_of(r): r for r in (rules_of(pb) if pb else ())}
        for key in list(left) + [k for k in right if k not in left]:
            ra, rb = left.get(key), right.get(key)
            if ra and rb:
                change = "same" if _rule_facts(ra) == _rule_facts(rb) else "changed"
            else:
                only_in = a if ra else b
                change = "added" if only_in is newer else "removed"
            rows.append(
                {
                    "kind": kind,
                    "rule": _rule_what(ra or rb),
                    "a": _rule_facts(ra) if ra else "",
                    "b": _rule_facts(rb) if rb else "",
                    "change": change,
                    "label": label(change),
                }
            )
    settings = [
        ("Grade A from", a.grade_thresholds.get("A"), b.grade_thresholds.get("A")),
        ("Grade B from", a.grade_thresholds.get("B"), b.grade_thresholds.get("B")),
        ("Grade C from", a.grade_thresholds.get("C"), b.grade_thresholds.get("C")),
        ("MQL grades", ", ".join(a.mql_grades), ", ".join(b.mql_grades)),
        ("MQL minimum score", a.mql_min_score, b.mql_min_score),
    ]
    return {
        "rows": rows,
        "settings": [
            {
                "name": n,
                "a": x,
                "b": y,
                "change": "same" if x == y else "changed",
                "label": label("same" if x == y else "changed"),
            }
            for n, x, y in settings
        ],
        "newer": newer,
        "changed": sum(1 for r in rows if r["change"] != "same")
        + sum(1 for _, x, y in settings if x != y),
    }


def history(definition: LeadDefinition):
    return (
        AuditLog.objects.filter(
            object_type=definition._meta.label_lower, object_id=str(definition.pk)
        )
        .select_related("actor")
        .order_by("at", "id")
    )
