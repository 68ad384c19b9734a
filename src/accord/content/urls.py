from django.urls import path

from accord.content import views

app_name = "content"
urlpatterns = [
    path("content/", views.asset_list, name="list"),
    path("content/new/", views.asset_new, name="new"),
    path("content/influence/", views.influence_page, name="influence"),
    path("content/<int:pk>/", views.asset_detail, name="asset"),
    path("content/<int:pk>/edit/", views.asset_edit, name="edit"),
    path("content/<int:pk>/versions/", views.version_new, name="version_new"),
    path("content/<int:pk>/v<int:number>/download/", views.download, name="download"),
    path("content/<int:pk>/publish/", views.publish, name="publish"),
    path("content/<int:pk>/expire/", views.expire, name="expire"),
    path("content/<int:pk>/archive/", views.archive, name="archive"),
    path("content/<int:pk>/review/", views.review, name="review"),
]
