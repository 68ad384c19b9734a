from django.urls import path

from accord.attribution import views

app_name = "attribution"
urlpatterns = [
    path("attribution/", views.home, name="home"),
    path("attribution/recompute/", views.recompute, name="recompute"),
]
