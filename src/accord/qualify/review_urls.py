from django.urls import path

from accord.qualify import review_views

app_name = "reviews"
urlpatterns = [
    path("reviews/", review_views.home, name="home"),
    path("reviews/rates.csv", review_views.rates_csv, name="rates_csv"),
    path("reviews/reasons/", review_views.reasons, name="reasons"),
    path("leads/<int:pk>/accept/", review_views.accept, name="accept"),
    path("leads/<int:pk>/reject/", review_views.reject, name="reject"),
]
