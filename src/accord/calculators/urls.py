from django.urls import path

from accord.calculators import public, views

app_name = "calculators"
urlpatterns = [
    path("calculators/", views.calculator_list, name="list"),
    path("calculators/new/", views.calculator_new, name="new"),
    path("calculators/<int:pk>/", views.calculator_detail, name="detail"),
    path("calculators/<int:pk>/public/", views.public_settings, name="public_settings"),
    path("calculators/<int:pk>/versions/<int:number>/edit/", views.version_edit, name="edit"),
    path("calculators/<int:pk>/versions/<int:number>/preview/", views.preview, name="preview"),
    path("calculators/<int:pk>/versions/<int:number>/<str:verb>/", views.version_act, name="act"),
    # The public doors (no login): see calculators/public.py.
    path("c/forget/", public.forget, name="public_forget"),
    path("c/forget/<str:token>/", public.forget_confirm, name="public_forget_confirm"),
    path("c/<slug:slug>/", public.page, name="public"),
    path("c/<slug:slug>/compute/", public.live_results, name="public_compute"),
    path("c/<slug:slug>/submit/", public.submit, name="public_submit"),
]
