"""The calculators' stats pages: one calculator's, and all of them together. Anyone signed
in reads them; the figures are `calculators.stats`'s."""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accord.calculators import stats as calculator_stats
from accord.calculators.models import Calculator
from accord.core import figures


def _charts(found: calculator_stats.Stats) -> dict:
    months = found.by_month
    labels = [m.month.strftime("%b %Y") for m in months]
    return {
        "funnel_chart": {
            "labels": labels,
            "datasets": [
                {"label": "Views", "values": [m.views for m in months]},
                {"label": "Starts", "values": [m.starts for m in months]},
                {"label": "Completions", "values": [m.completions for m in months]},
            ],
        },
        "leads_chart": {
            "labels": labels,
            "datasets": [
                {"label": "New leads", "values": [m.new_leads for m in months]},
                {"label": "Known leads", "values": [m.existing_leads for m in months]},
                {"label": "Accepted", "values": [m.accepted for m in months]},
            ],
        },
        "money_chart": {
            "labels": labels,
            "datasets": [
                {"label": "Pipeline", "values": [float(m.pipeline) for m in months]},
                {"label": "Won", "values": [float(m.won) for m in months]},
            ],
        },
    }


def _render(request, calculator: Calculator | None):
    found = calculator_stats.stats(calculator)
    context = {
        "calculator": calculator,
        "stats": found,
        "total": found.total,
        "time_zone": timezone.get_current_timezone_name(),
    }
    if not found.empty:
        context.update(_charts(found))
    return render(request, "calculators/stats.html", context)


@figures.in_company_time
def calculator_stats_page(request, pk: int):
    return _render(request, get_object_or_404(Calculator, pk=pk))


@figures.in_company_time
def all_stats_page(request):
    return _render(request, None)
