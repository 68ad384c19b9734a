from django.urls import path

from accord.qualify import value_views

app_name = "leadvalue"
urlpatterns = [path("qualify/value/", value_views.home, name="home")]
