from django.urls import path

from accord.calculators import deal_views, views

app_name = "calculators"
urlpatterns = [
    path("calculators/", views.calculator_list, name="list"),
    path("calculators/new/", views.calculator_new, name="new"),
    path("calculators/<int:pk>/", views.calculator_detail, name="detail"),
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
]
