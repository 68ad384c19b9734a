from django.urls import path

from accord.attribution import views

app_name = "attribution"
urlpatterns = [
    path("attribution/", views.home, name="home"),
    path("attribution/money/", views.money, name="money"),
    path("attribution/export/<slug:table>.csv", views.export, name="export"),
    path("attribution/recompute/", views.recompute, name="recompute"),
    path("attribution/spend/", views.spend, name="spend"),
    path("attribution/spend/import/", views.spend_import, name="spend_import"),
    path("attribution/spend/<int:pk>/", views.spend_edit, name="spend_edit"),
]
