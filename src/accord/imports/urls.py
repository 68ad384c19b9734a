"""The import pages: upload, preview and map, progress, retry, the rejected rows."""

from django.urls import path

from accord.imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="progress"),
    path("imports/<int:pk>/retry/", views.import_retry, name="retry"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects, name="rejects"),
]
