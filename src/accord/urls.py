from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from accord.api.main import urls as api_urls
from accord.core import views as core_views

urlpatterns = [
    path("api/v1/", api_urls()),
    path("", include("accord.crm.urls")),
    path("", include("accord.imports.urls")),
    path("", include("accord.people.urls")),
    path("", include("accord.plan.urls")),
    path("", include("accord.scoreboard.urls")),
    path("", include("accord.qualify.urls")),
    path("", include("accord.qualify.value_urls")),
    path("qualify/", include("accord.qualify.review_urls")),
    path("", include("accord.sla.urls")),
    path("", include("accord.attribution.urls")),
    path("", include("accord.webhooks.urls")),
    path("", include("accord.content.urls")),
    path("", include("accord.calculators.urls")),
    path("", include("accord.journey.urls")),
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url="/static/accord/favicon.svg", permanent=True)),
    ),
]

if settings.ACCORD_BENCH_BASELINE:
    # `make bench` only (bench/pages.py): the bare page the app's pages are timed against.
    urlpatterns.append(path("bench/bare/", core_views.bench_bare, name="bench_bare"))

handler403 = "accord.errors.forbidden"
handler404 = "accord.errors.not_found"
