from django.urls import path

from accord.qualify import views

app_name = "qualify"
urlpatterns = [
    path("qualify/", views.definition_list, name="definitions"),
    path("qualify/definitions/new/", views.definition_new, name="new"),
    path("qualify/definitions/<int:pk>/", views.definition_detail, name="definition"),
    path("qualify/definitions/<int:pk>/edit/", views.definition_edit, name="edit"),
    path("qualify/definitions/<int:pk>/backtest/", views.backtest_start, name="backtest_start"),
    path("qualify/definitions/<int:pk>/<str:verb>/", views.definition_act, name="act"),
    path("qualify/backtests/<int:pk>/", views.backtest_detail, name="backtest"),
    path("qualify/compare/", views.compare, name="compare"),
]
