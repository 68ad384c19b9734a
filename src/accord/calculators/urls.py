from django.urls import path

from accord.calculators import case_views, deal_views, public, stats_views, views

app_name = "calculators"
urlpatterns = [
    path("calculators/", views.calculator_list, name="list"),
    path("calculators/new/", views.calculator_new, name="new"),
    path("calculators/stats/", stats_views.all_stats_page, name="stats_all"),
    path("calculators/<int:pk>/", views.calculator_detail, name="detail"),
    path("calculators/<int:pk>/stats/", stats_views.calculator_stats_page, name="stats"),
    # Business cases on the deal (calculators.deal_views)
    path("calculators/for-lead/<int:pk>/", deal_views.for_lead, name="for_lead"),
    path("calculators/for-account/<int:pk>/", deal_views.for_account, name="for_account"),
    path(
        "calculators/for-opportunity/<int:pk>/",
        deal_views.for_opportunity,
        name="for_opportunity",
    ),
    path("calculators/for-opportunity/<int:pk>/realised/", deal_views.realised, name="realised"),
    path("calculators/submissions/new/", deal_views.start, name="start"),
    path("calculators/submissions/<int:pk>/history/", deal_views.history, name="history"),
    path("calculators/submissions/<int:pk>/adjust/", deal_views.adjust, name="adjust"),
    path(
        "calculators/submissions/<int:pk>/adjust/preview/",
        deal_views.adjust_preview,
        name="adjust_preview",
    ),
    path("calculators/<int:pk>/versions/<int:number>/edit/", views.version_edit, name="edit"),
    path("calculators/<int:pk>/versions/<int:number>/preview/", views.preview, name="preview"),
    path("calculators/<int:pk>/versions/<int:number>/<str:verb>/", views.version_act, name="act"),
    # A submission's business case, inside (with its lead) and the visitor's copy (no login).
    path("calculators/submissions/<int:pk>/case/", case_views.submission_case, name="case"),
    path(
        "calculators/submissions/<int:pk>/case.pdf",
        case_views.submission_case_pdf,
        name="case_pdf",
    ),
    path("c/case/<str:token>/", case_views.public_case, name="public_case"),
    path("c/case/<str:token>.pdf", case_views.public_case_pdf, name="public_case_pdf"),
    path("calculators/<int:pk>/public/", views.public_settings, name="public_settings"),
    # The public doors (no login): see calculators/public.py.
    path("c/forget/", public.forget, name="public_forget"),
    path("c/forget/<str:token>/", public.forget_confirm, name="public_forget_confirm"),
    path("c/<slug:slug>/", public.page, name="public"),
    path("c/<slug:slug>/compute/", public.live_results, name="public_compute"),
    path("c/<slug:slug>/submit/", public.submit, name="public_submit"),
]
