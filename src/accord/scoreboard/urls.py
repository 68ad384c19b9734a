from django.urls import path

from accord.scoreboard import views

app_name = "scoreboard"
urlpatterns = [
    path("scoreboard/", views.home, name="home"),
    path("scoreboard/pacing.csv", views.pacing_csv, name="pacing_csv"),
    path("scoreboard/digest/", views.digest_preview, name="digest"),
]
