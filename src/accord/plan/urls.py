from django.urls import path

from accord.plan import views

app_name = "plan"
urlpatterns = [
    path("plans/", views.plan_list, name="list"),
    path("plans/new/", views.plan_new, name="new"),
    path("plans/<int:pk>/", views.plan_detail, name="detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="edit"),
    path("plans/<int:pk>/revisions/<int:number>/approve/", views.plan_approve, name="approve"),
    path("plans/<int:pk>/revisions/<int:number>/decline/", views.plan_decline, name="decline"),
]
