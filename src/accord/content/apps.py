from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "accord.content"
    label = "content"
    verbose_name = "Content library"
