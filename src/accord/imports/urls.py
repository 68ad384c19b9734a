"""The import pages. They keep the names they had in the CRM (`crm:imports`, `crm:import`…):
`accord/urls.py` serves them in the `crm` namespace, beside the CRM's own pages."""

from django.urls import path

from accord.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects, name="import_rejects"),
]
