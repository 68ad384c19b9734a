from django.apps import AppConfig


class JourneyConfig(AppConfig):
    name = "accord.journey"
    label = "journey"
    verbose_name = "Customer journey"
