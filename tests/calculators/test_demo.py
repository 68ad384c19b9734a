"""The demo's calculators, as `accord demo` writes them (the session's small company)."""

from decimal import Decimal

from accord.calculators import checks, queries
from accord.calculators.models import Calculator


def test_the_demo_publishes_a_signed_roi_calculator_and_drafts_a_tco(small_demo_company):
    roi = Calculator.objects.get(kind="roi")
    live = queries.published(roi)
    assert [a.user.username for a in live.approvals.all()] == ["cmo", "vp.sales"]
    results = queries.preview(live.content(), {})
    assert {v["key"]: v["value"] for v in results["values"]}["net_value"] == Decimal(455000)
    tco = Calculator.objects.get(kind="tco")
    assert [v.status for v in tco.versions.all()] == ["draft"]
    checks.clean(tco.versions.get().content())
