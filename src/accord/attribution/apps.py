from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "accord.attribution"
    label = "attribution"
    verbose_name = "Revenue attribution"
