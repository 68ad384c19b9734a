from django.urls import path

from accord.scoreboard import views

app_name = "scoreboard"
urlpatterns = [
    path("scoreboard/", views.home, name="home"),
    path("scoreboard/digest/", views.digest_preview, name="digest"),
]
