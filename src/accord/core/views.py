"""The baseline page of `make bench` (bench/pages.py), served only when the setting
ACCORD_BENCH_BASELINE is on (see accord/urls.py): never in production or the tests."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

BARE_ROWS = 20


@login_not_required
@require_GET
def bench_bare(request):
    """A small template rendered through Django's stack with no database query.

    Rendered without the request, so that no context processor runs: the app's read the
    session and the signed-in user, which would be queries. The session cookie the bench
    sends is never read either (the view is public, so the login check is skipped).
    """
    rows = [{"number": n, "label": f"Row {n}", "even": n % 2 == 0} for n in range(1, BARE_ROWS + 1)]
    html = render_to_string("core/bench_bare.html", {"title": "Bench baseline", "rows": rows})
    return HttpResponse(html)
