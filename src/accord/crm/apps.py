from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "accord.crm"
    label = "crm"
    verbose_name = "CRM"
