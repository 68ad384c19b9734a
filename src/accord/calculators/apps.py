from django.apps import AppConfig


class CalculatorsConfig(AppConfig):
    name = "accord.calculators"
    label = "calculators"
    verbose_name = "Value calculators"
