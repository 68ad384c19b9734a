from django import template

from accord.qualify import queries, scoring

register = template.Library()


@register.inclusion_tag("qualify/_lead_score.html")
def lead_score_panel(lead):
    """The lead's grade and score under the active definition, with the rules behind them."""
    definition = scoring.active_definition()
    explained = scoring.explain(lead, definition) if definition else None
    return {
        "lead": lead,
        "definition": definition,
        "explained": explained,
        "engagement": [row for row in (explained.engagement if explained else []) if row[1]],
        "mql": lead.qualifications.select_related("definition").first(),
        "fields_read": queries.fields_read(definition, lead) if definition else [],
    }
