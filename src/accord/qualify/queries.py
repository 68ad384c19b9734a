"""Read models for the lead definition pages."""

from accord.analytics import scoring as engine
from accord.people.models import AuditLog
from accord.qualify import scoring
from accord.qualify.models import LeadDefinition


def parsed_or_none(definition: LeadDefinition):
    try:
        return scoring.parse(definition, check_known=False)
    except engine.DefinitionError:
        return None


def rule_rows(definition: LeadDefinition) -> dict:
    """The definition's rules as the pages show them, fit first, each with its label."""
    parsed = parsed_or_none(definition)
    if parsed is None:
        return {"fit": [], "engagement": [], "condition": ""}
    return {
        "fit": list(parsed.fit_rules),
        "engagement": list(parsed.engagement_rules),
        "condition": parsed.condition(),
        "best_fit": sum(max(r.points, 0) for r in parsed.fit_rules),
    }


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
                change = "removed" if ra else "added"
            rows.append(
                {
                    "kind": kind,
                    "rule": _rule_what(ra or rb),
                    "a": _rule_facts(ra) if ra else "",
                    "b": _rule_facts(rb) if rb else "",
                    "change": change,
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
            {"name": n, "a": x, "b": y, "change": "same" if x == y else "changed"}
            for n, x, y in settings
        ],
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
