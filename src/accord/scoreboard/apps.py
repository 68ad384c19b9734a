from django.apps import AppConfig


class ScoreboardConfig(AppConfig):
    name = "accord.scoreboard"
    label = "scoreboard"
    verbose_name = "Scoreboard"
