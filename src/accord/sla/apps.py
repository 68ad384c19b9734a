from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "accord.sla"
    label = "sla"
    verbose_name = "Service levels"
