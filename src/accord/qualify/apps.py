from django.apps import AppConfig


class QualifyConfig(AppConfig):
    name = "accord.qualify"
    label = "qualify"
    verbose_name = "Lead definitions and qualification"
